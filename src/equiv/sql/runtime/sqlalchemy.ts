// The `sqlalchemy` module the SQL reference runs the source on (the names the samples'
// types/sqlalchemy.d.ts declare). What the reference does not run raises UnsupportedInReference
// when used (never when imported): the scenario is then `skipped`, never `equivalent`.
import { currentEngine, Session, sessionmaker } from './orm.js';
import { relationship, backref, Index, UniqueConstraint, Column, ForeignKey } from './schema.js';
import { MetaData, Table } from './tables.js';
import { false_, null_, select, true_ } from './functions.js';

export { and_, or_, not_ } from './expressions.js';
export { BigInteger, Boolean, Column, DateTime, Enum, Float, ForeignKey, Index, Integer, Numeric, SmallInteger, String, Text, UniqueConstraint, relationship, backref } from './schema.js';
export { func, literal_column, text, select, true_, false_, null_, true_ as true, false_ as false, null_ as null } from './functions.js';
export { MetaData, Table, TypeDecorator } from './tables.js';

/** `create_engine(url)`: the reference database, whatever the URL (the scenario's, opened by the harness). */
export function create_engine(_url?: string, _options?: unknown): ReferenceEngine {
  return new ReferenceEngine();
}

/** The engine object the service holds: its sessions and `execute` run on the reference database. */
export class ReferenceEngine {
  readonly url = 'sqlite:// (port-db equiv reference)';
  dispose(): void {}
  session(): Session {
    return new Session(currentEngine());
  }
  /** `engine.execute(text, params)`: as `session.execute`, in a session of its own (autocommit). */
  execute(statement: unknown, params?: Record<string, unknown>) {
    return this.session().execute(statement, params);
  }
  connect(): ReferenceEngine {
    return this;
  }
}

/** Loader options: they change how relations load, not which rows; the query ignores them. */
const loaderOption = (path: unknown) => ({ loader: true, path });
export const joinedload = loaderOption;
export const joinedload_all = loaderOption;
export const subqueryload = loaderOption;
export const subqueryload_all = loaderOption;
export const noload = loaderOption;
export const undefer = loaderOption;
export const contains_eager = loaderOption;

export const orm = { relationship, backref, joinedload, joinedload_all, subqueryload, noload, undefer, contains_eager, sessionmaker };
export const schema = { UniqueConstraint, Index, Table, MetaData, Column, ForeignKey };
/** `from sqlalchemy import sql`: `sql.null()`, `sql.true()`, `sql.select(...)`. */
export const sql = { null: null_, true: true_, false: false_, select };
