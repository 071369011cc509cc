// `oslo.db/sqlalchemy/session` for the SQL reference: EngineFacade, whose engine is the
// reference's engine object and whose sessions run on the reference database, whatever the
// connection string says (the harness opens one database per scenario).
import { create_engine, ReferenceEngine } from './sqlalchemy.js';
import type { Session } from './orm.js';
import * as orm from './oslo-orm.js';
import { pythonModule } from './python-modules.js';

export class EngineFacade {
  private readonly engine: ReferenceEngine;
  constructor(
    _sql_connection?: string,
    private readonly options: Record<string, unknown> = {},
  ) {
    this.engine = create_engine(_sql_connection);
  }

  static from_config(conf: unknown, options: Record<string, unknown> = {}): EngineFacade {
    const connection = (conf as { database?: { connection?: string } } | undefined)?.database?.connection;
    return new EngineFacade(connection, options);
  }

  get_engine(_opts?: { use_slave?: boolean }): ReferenceEngine {
    return this.engine;
  }

  get_session(opts: { autocommit?: boolean; expire_on_commit?: boolean; [name: string]: unknown } = {}): Session {
    const { autocommit = true, expire_on_commit = false } = { ...this.options, ...opts } as { autocommit?: boolean; expire_on_commit?: boolean };
    // oslo.db's EngineFacade makes its sessions with `orm.get_maker(engine, ...)`, looked up on
    // the module: a service that replaced it (Manila, to install its Query class) gets its own
    const get_maker = pythonModule('oslo.db/sqlalchemy/orm', orm).get_maker as typeof orm.get_maker;
    return get_maker(this.engine, autocommit, expire_on_commit)();
  }
}
