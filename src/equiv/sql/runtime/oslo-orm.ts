// `oslo.db/sqlalchemy/orm` for the SQL reference: oslo.db's Query and Session classes are the
// reference's (its Query already has oslo's soft_delete), and get_maker builds their sessions.
// A service may replace get_maker (Manila does, to install its Query subclass): EngineFacade
// reads it through the module's mutable object (python-modules.ts), so its sessions are then the
// service's, as in oslo.db.
import { Session, sessionmaker } from './orm.js';

export { Query, Session } from './orm.js';

export const get_maker = (_engine: unknown, autocommit = true, expire_on_commit = false): (() => Session) =>
  sessionmaker({ autocommit, expire_on_commit });
