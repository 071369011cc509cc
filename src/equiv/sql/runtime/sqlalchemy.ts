// The `sqlalchemy` module the SQL reference runs the source on (the names the samples'
// types/sqlalchemy.d.ts declare). What the reference does not run raises UnsupportedInReference:
// the scenario is then `skipped`, never `equivalent`.
import { currentEngine, Session } from './orm.js';
import { relationship, backref, Index, UniqueConstraint, UnsupportedInReference } from './schema.js';

export { and_, or_, not_ } from './expressions.js';
export { BigInteger, Boolean, Column, DateTime, Enum, Float, ForeignKey, Index, Integer, Numeric, SmallInteger, String, Text, UniqueConstraint, relationship, backref } from './schema.js';

const unsupported =
  (what: string) =>
  (..._args: unknown[]): never => {
    throw new UnsupportedInReference(what);
  };

/** `create_engine(url)`: the reference database, whatever the URL (the scenario's, opened by the harness). */
export function create_engine(_url?: string, _options?: unknown): { url: string; dispose(): void; session(): Session } {
  const engine = currentEngine();
  return { url: 'sqlite:// (port-db equiv reference)', dispose: () => undefined, session: () => new Session(engine) };
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

export const text = unsupported('raw SQL text()');
export const literal_column = unsupported('literal_column()');
export const select = unsupported('select()');
export const func = new Proxy({}, { get: (_t, name) => unsupported(`func.${String(name)}()`) });

export const orm = { relationship, backref, joinedload, joinedload_all, subqueryload, noload, undefer, contains_eager };
export const schema = { UniqueConstraint, Index };
