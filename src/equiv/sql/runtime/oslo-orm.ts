// `oslo.db/sqlalchemy/orm` for the SQL reference: oslo.db's Query and Session classes are the
// reference's (its Query already has oslo's soft_delete), and get_maker builds their sessions.
// A service may replace get_maker (Manila does, to install its Query subclass); the sessions the
// reference's EngineFacade makes are the reference's own either way.
import { Session, sessionmaker } from './orm.js';

export { Query, Session } from './orm.js';

export let get_maker = (_engine: unknown, autocommit = true, expire_on_commit = false): (() => Session) =>
  sessionmaker({ autocommit, expire_on_commit });
