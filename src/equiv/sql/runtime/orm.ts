// `sqlalchemy/orm` for the SQL reference: a Session with an identity map, dirty tracking and
// autoflush, transactions that commit on success and roll back on a throw, and the Query chain
// compiled to SELECT / UPDATE / DELETE on the engine. Terminals are synchronous and answer plain
// values, so the dialect's sync call sites work and `await q.first()` works too.
import { ConstraintError, quoteName, type Row, type SqlEngine, type Value } from '../engine.js';
import { and_, clauseOf, ColumnAttribute, isClause, Label, toSql, type Clause } from './expressions.js';
import { TextClause } from './functions.js';
import { decoratorOf } from './tables.js';
import { assignedRelations, attachSession, isModelClass, mapperOf, type Mapper } from './mapper.js';
import { DBDuplicateEntry, DBError, DBReferenceError } from './oslo-exception.js';
import { raiseOnUnknownMembers, UnsupportedInReference, type ModelClass } from './schema.js';

/** The database the loaded SQL module runs on (set by the equiv harness for each scenario). */
let current: SqlEngine | undefined;

export function useEngine(engine: SqlEngine | undefined): void {
  current = engine;
}

export function currentEngine(): SqlEngine {
  if (!current) throw new UnsupportedInReference('no reference database is open (the equiv harness opens one per scenario)');
  return current;
}

export class NoResultFound extends Error {
  constructor(message = 'No row was found for one()') {
    super(message);
    this.name = 'NoResultFound';
  }
}

export class MultipleResultsFound extends Error {
  constructor(message = 'Multiple rows were found for one()') {
    super(message);
    this.name = 'MultipleResultsFound';
  }
}

export class InvalidRequestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidRequestError';
  }
}

type Instance = Record<string, unknown>;

/** The values of an instance's columns, as stored. */
function columnValues(mapper: Mapper, obj: Instance): Record<string, Value | Clause> {
  const out: Record<string, Value | Clause> = {};
  // a SQL expression assigned to a field (`ref.updated_at = literal_column('updated_at')`) is
  // kept as is: it never equals a loaded value, so the field is written, by its SQL
  for (const [key, attr] of mapper.columns) {
    const value = obj[key];
    const decorator = decoratorOf(attr.column.type);
    out[attr.name] = isClause(value) ? value : toSql(decorator ? decorator.process_bind_param(value, SQLITE) : value);
  }
  return out;
}

/** A field's value as a statement parameter, or its SQL when it is an expression. */
function valueSql(value: unknown, params: Value[]): string {
  if (isClause(value)) return value.compile(params);
  params.push(toSql(value));
  return '?';
}

/** The WHERE of one instance's row, by its primary key. */
function byKey(mapper: Mapper, obj: Instance): { where: string; params: Value[] } {
  return {
    where: mapper.primaryKey.map((k) => `${quoteName(mapper.columns.get(k)!.name)} = ?`).join(' AND '),
    params: mapper.primaryKey.map((k) => toSql(obj[k])),
  };
}

function identityKey(mapper: Mapper, values: Record<string, unknown>): string {
  return `${mapper.table}:${JSON.stringify(mapper.primaryKey.map((k) => values[k] ?? null))}`;
}

/** SQLite's constraint error as oslo.db raises it (oslo_db/sqlalchemy/exc_filters.py). */
function translate(e: unknown): unknown {
  if (!(e instanceof ConstraintError)) return e;
  const v = e.violation;
  if (v.kind === 'unique') return new DBDuplicateEntry(v.columns, e);
  if (v.kind === 'foreign-key') return new DBReferenceError(undefined, undefined, undefined, undefined, e);
  return new DBError(e.message);
}

export interface SessionOptions {
  bind?: unknown;
  autocommit?: boolean;
  expire_on_commit?: boolean;
  /** The Query class the session's queries are (Manila's subclass with its own soft_delete). */
  query_cls?: typeof Query;
}

export class Session {
  private readonly identity = new Map<string, Instance>();
  /** Column values as last loaded or flushed: what dirty tracking compares with. */
  private readonly loaded = new WeakMap<Instance, Record<string, Value | Clause>>();
  private pending: Instance[] = [];
  private deleted: Instance[] = [];
  private transaction = 0;

  constructor(
    readonly engine: SqlEngine = currentEngine(),
    readonly options: SessionOptions = {},
  ) {}

  query(...targets: unknown[]): Query {
    return new (this.options.query_cls ?? Query)(this, targets);
  }

  add(...objs: unknown[]): void {
    for (const o of objs) {
      const obj = o as Instance;
      mapperOf(obj.constructor as ModelClass);
      if (!this.loaded.has(obj) && !this.pending.includes(obj)) this.pending.push(obj);
    }
  }

  add_all(objs: Iterable<unknown>): void {
    this.add(...objs);
  }

  delete(...objs: unknown[]): void {
    for (const o of objs) if (!this.deleted.includes(o as Instance)) this.deleted.push(o as Instance);
  }

  /**
   * Runs `work` in a transaction: flushes and commits when it resolves, rolls back when it throws
   * (and the instances show the database again). Inside another transaction it is a
   * subtransaction only when asked (SQLAlchemy 1.x raises otherwise); `nested` is a savepoint.
   */
  async begin<R>(work?: () => R | PromiseLike<R>, opts: { subtransactions?: boolean; nested?: boolean } = {}): Promise<R | undefined> {
    if (opts.nested) return this.begin_nested(work);
    if (this.transaction > 0) {
      if (!opts.subtransactions) throw new InvalidRequestError('A transaction is already begun. Use subtransactions=True to allow subtransactions.');
      return work ? await work() : undefined;
    }
    const owns = !this.engine.inTransaction;
    if (owns) this.engine.begin();
    this.transaction++;
    try {
      const result = work ? await work() : undefined;
      this.flush();
      if (owns) this.engine.commit();
      return result;
    } catch (e) {
      if (owns) this.engine.rollback();
      this.afterRollback();
      throw e;
    } finally {
      this.transaction--;
    }
  }

  async begin_nested<R>(work?: () => R | PromiseLike<R>): Promise<R | undefined> {
    this.flush();
    const name = `sa_savepoint_${++savepoints}`;
    this.engine.savepoint(name);
    try {
      const result = work ? await work() : undefined;
      this.flush();
      this.engine.release(name);
      return result;
    } catch (e) {
      this.engine.rollbackTo(name);
      this.engine.release(name);
      this.afterRollback();
      throw e;
    }
  }

  /** Writes pending, changed and deleted instances (in their own transaction when none is open). */
  flush(): void {
    if (this.pending.length === 0 && this.deleted.length === 0 && !this.anyDirty()) return;
    const owns = !this.engine.inTransaction;
    if (owns) this.engine.begin();
    try {
      for (const obj of this.pending.splice(0)) this.insert(obj);
      for (const obj of [...this.identity.values()]) this.cascadeChildren(obj);
      for (const obj of [...this.identity.values()]) this.updateIfDirty(obj);
      for (const obj of this.deleted.splice(0)) this.remove(obj);
      if (owns) this.engine.commit();
    } catch (e) {
      if (owns) this.engine.rollback();
      throw translate(e);
    }
  }

  private anyDirty(): boolean {
    for (const obj of this.identity.values()) if (this.changes(obj).length > 0) return true;
    return false;
  }

  private changes(obj: Instance): string[] {
    const mapper = mapperOf(obj.constructor as ModelClass);
    const before = this.loaded.get(obj);
    if (!before) return [];
    const now = columnValues(mapper, obj);
    return [...mapper.columns.values()].filter((a) => now[a.name] !== before[a.name]).map((a) => a.key);
  }

  /**
   * SQLAlchemy's save-update cascade: a related object assigned to a relationship is saved with
   * its parent, its foreign key set from the parent's key. Parents (many-to-one) are saved first.
   */
  private cascadeParents(obj: Instance): void {
    for (const [attribute, value] of assignedRelations(obj)) {
      const { childIsTarget, pairs } = attribute.foreignKeyPairs();
      if (childIsTarget || value === null || value === undefined) continue;
      const parent = value as Instance;
      if (!this.loaded.has(parent)) this.insert(parent);
      for (const [child, key] of pairs) obj[child.key] = parent[key.key];
    }
  }

  private cascadeChildren(obj: Instance): void {
    for (const [attribute, value] of assignedRelations(obj)) {
      const { childIsTarget, pairs } = attribute.foreignKeyPairs();
      if (!childIsTarget || value === null || value === undefined) continue;
      const children = (Array.isArray(value) ? value : [value]) as Instance[];
      for (const child of children) {
        for (const [fk, key] of pairs) child[fk.key] = obj[key.key];
        if (!this.loaded.has(child)) this.insert(child);
      }
    }
  }

  private insert(obj: Instance): void {
    this.cascadeParents(obj);
    const mapper = mapperOf(obj.constructor as ModelClass);
    // client-side defaults, as SQLAlchemy applies them at INSERT
    for (const [key, attr] of mapper.columns) {
      if (obj[key] !== undefined && obj[key] !== null) continue;
      const d = attr.column.options.default;
      if (d !== undefined) obj[key] = typeof d === 'function' ? (d as () => unknown)() : d;
    }
    const values = columnValues(mapper, obj);
    const names = Object.keys(values).filter((n) => values[n] !== null);
    const params: Value[] = [];
    const sql = names.length
      ? `INSERT INTO ${quoteName(mapper.table)} (${names.map(quoteName).join(', ')}) VALUES (${names.map((n) => valueSql(values[n], params)).join(', ')})`
      : `INSERT INTO ${quoteName(mapper.table)} DEFAULT VALUES`;
    this.engine.run(sql, params);
    const [pk] = mapper.primaryKey;
    if (mapper.primaryKey.length === 1 && (obj[pk] === undefined || obj[pk] === null)) obj[pk] = this.engine.lastInsertId();
    this.track(mapper, obj);
    if (Object.values(values).some(isClause)) this.refresh(obj);
    this.cascadeChildren(obj);
  }

  private updateIfDirty(obj: Instance): void {
    const changed = this.changes(obj);
    if (changed.length === 0) return;
    const mapper = mapperOf(obj.constructor as ModelClass);
    for (const [key, attr] of mapper.columns) {
      const on = attr.column.options.onupdate;
      if (on !== undefined && !changed.includes(key)) {
        obj[key] = typeof on === 'function' ? (on as () => unknown)() : on;
        changed.push(key);
      }
    }
    const params: Value[] = [];
    const sets = changed.map((k) => `${quoteName(mapper.columns.get(k)!.name)} = ${valueSql(obj[k], params)}`);
    const key = byKey(mapper, obj);
    this.engine.run(`UPDATE ${quoteName(mapper.table)} SET ${sets.join(', ')} WHERE ${key.where}`, [...params, ...key.params]);
    // SQLAlchemy expires a field written by an expression: read the row back
    if (changed.some((k) => isClause(obj[k]))) this.refresh(obj);
    else this.loaded.set(obj, columnValues(mapper, obj));
  }

  private remove(obj: Instance): void {
    const mapper = mapperOf(obj.constructor as ModelClass);
    const key = byKey(mapper, obj);
    this.engine.run(`DELETE FROM ${quoteName(mapper.table)} WHERE ${key.where}`, key.params);
    this.identity.delete(identityKey(mapper, obj));
    this.loaded.delete(obj);
  }

  private track(mapper: Mapper, obj: Instance): void {
    attachSession(obj, this);
    this.identity.set(identityKey(mapper, obj), obj);
    this.loaded.set(obj, columnValues(mapper, obj));
  }

  /** The instance of a row: the one already in the identity map (its unflushed changes kept), or a new one. */
  instanceOf(mapper: Mapper, row: Row, prefix: string): Instance | null {
    const values: Record<string, unknown> = {};
    for (const [key, attr] of mapper.columns) values[key] = fromSql(attr, row[`${prefix}${attr.name}`]);
    if (mapper.primaryKey.every((k) => values[k] === null)) return null;
    const key = identityKey(mapper, values);
    const known = this.identity.get(key);
    if (known) return known;
    const obj = newInstance(mapper.class_);
    Object.assign(obj, values);
    this.track(mapper, obj);
    return obj;
  }

  /** After a rollback: what was added is transient again; what was loaded shows the database. */
  private afterRollback(): void {
    this.pending = [];
    this.deleted = [];
    for (const [key, obj] of [...this.identity]) {
      if (this.refresh(obj)) continue;
      this.identity.delete(key);
      this.loaded.delete(obj);
    }
  }

  /** Reads an instance's row again (after a rollback or a bulk statement); false when the row is gone. */
  refresh(obj: Instance): boolean {
    const mapper = mapperOf(obj.constructor as ModelClass);
    const key = byKey(mapper, obj);
    const [row] = this.engine.all(`SELECT * FROM ${quoteName(mapper.table)} WHERE ${key.where}`, key.params);
    if (!row) return false;
    for (const [k, attr] of mapper.columns) obj[k] = fromSql(attr, row[attr.name]);
    this.loaded.set(obj, columnValues(mapper, obj));
    return true;
  }

  /**
   * `session.execute(text('...'), { name: value })`: the statement on the engine, `:name`
   * parameters bound (a list expands to `(?, ?, ...)` as SQLAlchemy's expanding IN does).
   */
  execute(statement: unknown, values: Record<string, unknown> = {}): ResultProxy {
    if (!(statement instanceof TextClause) && typeof statement !== 'string') throw new UnsupportedInReference('session.execute() of something other than text() or a SQL string');
    this.flush();
    const { text, params } = bindNamed(typeof statement === 'string' ? statement : statement.text, values);
    try {
      if (/^\s*(SELECT|WITH|PRAGMA)\b/i.test(text)) return new ResultProxy(this.engine.all(text, params), -1);
      return new ResultProxy([], this.engine.run(text, params));
    } catch (e) {
      // the service's own SQL failing (no such table, a syntax error) is what oslo wraps as DBError
      const translated = translate(e);
      throw translated === e && e instanceof Error && !(e instanceof UnsupportedInReference) ? new DBError(e.message, e) : translated;
    }
  }

  /** The session autocommits each flush outside `begin`: a rollback drops what is not flushed yet. */
  rollback(): void {
    this.afterRollback();
  }

  commit(): void {
    this.flush();
  }

  close(): void {
    this.pending = [];
    this.deleted = [];
  }

  /** Every instance the session tracks (for bulk statements that must keep them in step). */
  tracked(): Instance[] {
    return [...this.identity.values()];
  }
}

// `session.merge(...)`, `query.with_entities(...)`: a member the reference lacks raises unsupported
raiseOnUnknownMembers(Session, 'Session');

let savepoints = 0;

/** The dialect a TypeDecorator's conversions are told about. */
const SQLITE = { name: 'sqlite' };

/**
 * An instance for a loaded row. Constructed, so the class's field initialisers run (they stand
 * for Python's class attributes, `_extra_keys`); the row's columns are assigned after.
 */
function newInstance(model: ModelClass): Instance {
  try {
    return Reflect.construct(model as unknown as new () => object, []) as Instance;
  } catch {
    return Object.create(model.prototype) as Instance;
  }
}

/** What `session.execute` answers: the rows (objects by column name) and how many rows changed. */
export class ResultProxy {
  constructor(
    private readonly rows: Row[],
    readonly rowcount: number,
  ) {}
  [Symbol.iterator](): Iterator<Row> {
    return this.rows[Symbol.iterator]();
  }
  fetchall(): Row[] {
    return [...this.rows];
  }
  fetchone(): Row | null {
    return this.rows[0] ?? null;
  }
  first(): Row | null {
    return this.rows[0] ?? null;
  }
  scalar(): Value | null {
    const row = this.rows[0];
    return row ? Object.values(row)[0] : null;
  }
}

/** `:name` parameters to positional ones; a list value expands to a parenthesised list. */
export function bindNamed(text: string, values: Record<string, unknown>): { text: string; params: Value[] } {
  const params: Value[] = [];
  const out = text.replace(/(^|[^:\w]):([A-Za-z_]\w*)/g, (_m, before: string, name: string) => {
    if (!(name in values)) throw new UnsupportedInReference(`text() parameter :${name} without a value`);
    const value = values[name];
    if (Array.isArray(value) || value instanceof Set) {
      const list = [...value];
      params.push(...list.map(toSql));
      return `${before}(${list.length ? list.map(() => '?').join(', ') : 'NULL'})`;
    }
    params.push(toSql(value));
    return `${before}?`;
  });
  return { text: out, params };
}

/** A stored value as the model's field holds it. */
function fromSql(attr: ColumnAttribute, value: Value): unknown {
  const decorator = decoratorOf(attr.column.type);
  if (decorator) return decorator.process_result_value(value ?? null, SQLITE);
  if (value === null || value === undefined) return null;
  if (attr.column.type.kind === 'boolean') return value === 1 || value === '1';
  if (attr.column.type.kind === 'datetime' && typeof value === 'string') return new Date(value);
  return value;
}

/** `sessionmaker({ bind, autocommit, expire_on_commit })`: a factory of sessions on the reference database. */
export function sessionmaker(options: SessionOptions = {}): () => Session {
  return () => new Session(currentEngine(), options);
}

interface QueryState {
  where: Clause[];
  order: Clause[];
  joins: { target: ModelClass; on?: Clause; outer: boolean }[];
  group: Clause[];
  having?: Clause;
  limit?: number;
  offset?: number;
  distinct: boolean;
}

/** A generative query: each chain method answers a new query, as SQLAlchemy's does. */
export class Query {
  private readonly state: QueryState;

  constructor(
    readonly session: Session,
    private readonly targets: unknown[],
    state?: QueryState,
  ) {
    if (targets.length === 0) throw new UnsupportedInReference('a query without a target');
    for (const t of targets) {
      if (isModelClass(t)) mapperOf(t);
      else if (!isClause(t)) throw new UnsupportedInReference('a query on something that is neither a model nor an expression');
    }
    this.state = state ?? { where: [], order: [], joins: [], group: [], distinct: false };
  }

  /** The query's own class: a subclass (query_cls) stays itself along the chain. */
  private get Self(): new (session: Session, targets: unknown[], state?: QueryState) => Query {
    return this.constructor as new (session: Session, targets: unknown[], state?: QueryState) => Query;
  }

  private next(patch: Partial<QueryState>): Query {
    return new this.Self(this.session, this.targets, { ...this.state, ...patch });
  }

  /** The model the query is on: its first target's, or the first column's inside an expression (`func.count(M.id)`) or a criterion. */
  private get primary(): Mapper {
    for (const t of this.targets) {
      if (isModelClass(t)) return mapperOf(t);
      const column = columnIn(t);
      if (column) return mapperOf(column.class_);
    }
    // `query(func.count()).filter(M.x == 1)`: SQLAlchemy takes the FROM from the criteria
    const criterion = this.state.where.map((w) => columnIn(w)).find(Boolean);
    if (criterion) return mapperOf(criterion.class_);
    throw new UnsupportedInReference('a query whose expressions name no model column (no FROM)');
  }

  filter(...criteria: unknown[]): Query {
    return this.next({ where: [...this.state.where, ...criteria.map(clauseOf)] });
  }

  /** Equality on the columns of the last joined entity (or the queried one), as SQLAlchemy. */
  filter_by(values: Record<string, unknown>): Query {
    const last = this.state.joins.length ? mapperOf(this.state.joins[this.state.joins.length - 1].target) : this.primary;
    const criteria = Object.entries(values).map(([key, value]) => {
      const attr = last.columns.get(key);
      // SQLAlchemy raises for a key that is no attribute of the entity
      if (!attr) throw new InvalidRequestError(`Entity namespace for "${last.table}" has no property "${key}"`);
      return attr.eq(value);
    });
    return this.filter(...criteria);
  }

  filterBy(values: Record<string, unknown>): Query {
    return this.filter_by(values);
  }

  order_by(...clauses: unknown[]): Query {
    return this.next({ order: [...this.state.order, ...clauses.filter((c) => c !== null).map(clauseOf)] });
  }

  orderBy(...clauses: unknown[]): Query {
    return this.order_by(...clauses);
  }

  limit(n: number | null): Query {
    return this.next({ limit: n ?? undefined });
  }

  offset(n: number | null): Query {
    return this.next({ offset: n ?? undefined });
  }

  join(target: unknown, onclause?: unknown): Query {
    return this.joined(target, onclause, false);
  }

  outerjoin(target: unknown, onclause?: unknown): Query {
    return this.joined(target, onclause, true);
  }

  private joined(target: unknown, onclause: unknown, outer: boolean): Query {
    if (!isModelClass(target)) throw new UnsupportedInReference('a join on something other than a model class');
    return this.next({ joins: [...this.state.joins, { target, on: onclause === undefined ? undefined : clauseOf(onclause), outer }] });
  }

  /** Loader options change how relations load, not which rows: the same query. */
  options(..._options: unknown[]): Query {
    return this;
  }

  /** Row locks: the reference runs one call at a time, so a lock changes nothing it can see. */
  with_lockmode(_mode?: string): Query {
    return this;
  }

  withLockmode(mode?: string): Query {
    return this.with_lockmode(mode);
  }

  with_for_update(_opts?: unknown): Query {
    return this;
  }

  withForUpdate(opts?: unknown): Query {
    return this.with_for_update(opts);
  }

  distinct(...columns: unknown[]): Query {
    if (columns.length) throw new UnsupportedInReference('distinct(columns) (DISTINCT ON)');
    return this.next({ distinct: true });
  }

  group_by(...clauses: unknown[]): Query {
    return this.next({ group: [...this.state.group, ...clauses.map(clauseOf)] });
  }

  groupBy(...clauses: unknown[]): Query {
    return this.group_by(...clauses);
  }

  having(criterion: unknown): Query {
    return this.next({ having: this.state.having ? and_(this.state.having, criterion) : clauseOf(criterion) });
  }

  add_columns(...columns: unknown[]): Query {
    return new this.Self(this.session, [...this.targets, ...columns], this.state);
  }

  /** As a value of `in_()` (a Query is a selectable in SQLAlchemy): its SELECT. */
  compile(params: Value[]): string {
    this.session.flush();
    return this.select(params).text;
  }

  /** `q.subquery()`: the SELECT, usable in `in_()`; joining to it (`.c.name`) is not run here. */
  subquery(_name?: string): Clause & { c: Record<string, never> } {
    const c = new Proxy({} as Record<string, never>, {
      get: (_t, name) => {
        throw new UnsupportedInReference(`a subquery's column .c.${String(name)} (joins to a subquery)`);
      },
    });
    return { compile: (params: Value[]) => this.compile(params), c };
  }

  // -- terminals ----------------------------------------------------------------

  /**
   * The rows, as SQLAlchemy 1.x's Query answers them (orm/loading.py, `instances`): a single
   * mapped class answers its instances; any other query answers rows (`keyedRow`), a one-column
   * query included. When a mapped class is among the targets the rows are uniqued
   * (`util.unique_list`: an instance by identity, a column by value), so a join answers each
   * instance once; a query of columns only keeps every row.
   */
  all(): unknown[] {
    this.session.flush();
    const { text, params, readers } = this.select();
    const single = this.targets.length === 1 && isModelClass(this.targets[0]);
    const keys = this.targets.map(targetKey);
    const rows = this.session.engine.all(text, params).map((row) => readers.map((read) => read(row)));
    const unique = this.targets.some(isModelClass) ? uniqueRows(rows, this.targets.map(isModelClass)) : rows;
    return unique.map((items) => (single ? items[0] : keyedRow(items, keys)));
  }

  first(): unknown {
    const rows = this.next({ limit: 1 }).all();
    return rows.length ? rows[0] : null;
  }

  /** All the rows, not two: the rows are counted after uniquing, as SQLAlchemy's one() does. */
  one(): unknown {
    const rows = this.all();
    if (rows.length === 0) throw new NoResultFound();
    if (rows.length > 1) throw new MultipleResultsFound();
    return rows[0];
  }

  one_or_none(): unknown {
    const rows = this.all();
    if (rows.length > 1) throw new MultipleResultsFound();
    return rows[0] ?? null;
  }

  oneOrNone(): unknown {
    return this.one_or_none();
  }

  /** The first column of the first row, or null; more than one row raises, as SQLAlchemy's. */
  scalar(): unknown {
    const rows = this.all();
    if (rows.length > 1) throw new MultipleResultsFound();
    const [row] = rows;
    return Array.isArray(row) ? row[0] : (row ?? null);
  }

  /** Whether any row matches (the dialect's terminal; SQLAlchemy's `session.query(q.exists()).scalar()`). */
  exists(): boolean {
    return this.next({ limit: 1 }).all().length > 0;
  }

  count(): number {
    this.session.flush();
    const { text, params } = this.select();
    return Number(this.session.engine.all(`SELECT count(*) AS n FROM (${text})`, params)[0].n);
  }

  /** UPDATE of the matching rows; answers how many; loaded instances follow. */
  update(values: Record<string, unknown>, _flags?: unknown): number {
    return this.bulk((where, params) => {
      const mapper = this.primary;
      const sets = Object.entries(values).map(([key, value]) => {
        const attr = mapper.columns.get(key) ?? [...mapper.columns.values()].find((a) => a.name === key);
        if (!attr) throw new InvalidRequestError(`${mapper.table} has no column ${key}`);
        return [attr, value] as const;
      });
      const setParams: Value[] = [];
      const assignments = sets.map(([attr, value]) => `${quoteName(attr.name)} = ${clauseOf(value).compile(setParams)}`);
      return { text: `UPDATE ${quoteName(mapper.table)} SET ${assignments.join(', ')} WHERE ${where}`, params: [...setParams, ...params] };
    });
  }

  /** DELETE of the matching rows; answers how many. */
  delete(_flags?: unknown): number {
    return this.bulk((where, params) => ({ text: `DELETE FROM ${quoteName(this.primary.table)} WHERE ${where}`, params }));
  }

  /** oslo.db's Query.soft_delete: `deleted = id`, `deleted_at = now`, updated_at kept; answers how many. */
  soft_delete(_flags?: unknown): number {
    const m = this.primary;
    const id = m.columns.get('id') ?? m.columns.get(m.primaryKey[0])!;
    return this.bulk((where, params) => ({
      text: `UPDATE ${quoteName(m.table)} SET ${quoteName('deleted')} = ${quoteName(id.name)}, ${quoteName('deleted_at')} = ? WHERE ${where}`,
      params: [toSql(new Date()), ...params],
    }));
  }

  softDelete(flags?: unknown): number {
    return this.soft_delete(flags);
  }

  async *[Symbol.asyncIterator](): AsyncIterator<unknown> {
    yield* this.all();
  }

  /** A bulk statement on the rows this query selects (by primary key), then the session in step. */
  private bulk(statement: (where: string, params: Value[]) => { text: string; params: Value[] }): number {
    this.session.flush();
    const m = this.primary;
    const pk = m.primaryKey.map((k) => m.columns.get(k)!);
    const keyed = new Query(this.session, pk, { ...this.state, order: [], limit: undefined, offset: undefined });
    const inner = keyed.select();
    const where = pk.length === 1 ? `${quoteName(pk[0].name)} IN (${inner.text})` : `(${pk.map((c) => quoteName(c.name)).join(', ')}) IN (${inner.text})`;
    const { text, params } = statement(where, inner.params);
    let count: number;
    try {
      count = this.session.engine.run(text, params);
    } catch (e) {
      throw translate(e);
    }
    for (const obj of this.session.tracked()) if (obj.constructor === m.class_) this.session.refresh(obj);
    return count;
  }

  /** SELECT text, its params, and how each target is read back from a row. */
  private select(params: Value[] = []): { text: string; params: Value[]; readers: ((row: Row) => unknown)[] } {
    const columns: string[] = [];
    const readers: ((row: Row) => unknown)[] = [];
    this.targets.forEach((t, i) => {
      if (isModelClass(t)) {
        const m = mapperOf(t);
        const prefix = `t${i}__`;
        for (const attr of m.columns.values()) columns.push(`${attr.compile()} AS ${quoteName(prefix + attr.name)}`);
        readers.push((row) => this.session.instanceOf(m, row, prefix));
      } else if (t instanceof ColumnAttribute) {
        const alias = `c${i}`;
        columns.push(`${t.compile()} AS ${quoteName(alias)}`);
        readers.push((row) => fromSql(t, row[alias]));
      } else {
        const alias = t instanceof Label ? t.name : `c${i}`;
        columns.push(`${(t as Clause).compile(params)} AS ${quoteName(alias)}`);
        readers.push((row) => row[alias]);
      }
    });
    const tables = [this.primary, ...this.state.joins.map((j) => mapperOf(j.target))];
    let from = quoteName(this.primary.table);
    // other entities queried and not joined are in the FROM too (a cross join, as SQLAlchemy's)
    for (const t of this.targets) {
      const m = isModelClass(t) ? mapperOf(t) : columnIn(t) ? mapperOf(columnIn(t)!.class_) : undefined;
      if (m && !tables.includes(m)) {
        tables.push(m);
        from += `, ${quoteName(m.table)}`;
      }
    }
    this.state.joins.forEach((j, k) => {
      const to = mapperOf(j.target);
      const on = j.on ?? inferJoin(tables.slice(0, k + 1), to);
      from += ` ${j.outer ? 'LEFT OUTER JOIN' : 'JOIN'} ${quoteName(to.table)} ON ${on.compile(params)}`;
    });
    let text = `SELECT ${this.state.distinct ? 'DISTINCT ' : ''}${columns.join(', ')} FROM ${from}`;
    if (this.state.where.length) text += ` WHERE ${and_(...this.state.where).compile(params)}`;
    if (this.state.group.length) text += ` GROUP BY ${this.state.group.map((g) => g.compile(params)).join(', ')}`;
    if (this.state.having) text += ` HAVING ${this.state.having.compile(params)}`;
    if (this.state.order.length) text += ` ORDER BY ${this.state.order.map((o) => o.compile(params)).join(', ')}`;
    if (this.state.limit !== undefined || this.state.offset !== undefined) {
      text += ' LIMIT ? OFFSET ?';
      params.push(this.state.limit ?? -1, this.state.offset ?? 0);
    }
    return { text, params, readers };
  }
}

raiseOnUnknownMembers(Query, 'Query');

/** The key a target's item is read by in a row: a column's attribute, a label's name, a class's name. */
function targetKey(target: unknown): string | undefined {
  if (target instanceof ColumnAttribute) return target.key;
  if (target instanceof Label) return target.name;
  if (isModelClass(target)) return target.name;
  return undefined;
}

/**
 * A row of a query that is not a single mapped class (SQLAlchemy's KeyedTuple): a tuple
 * (`row[0]`, destructuring, length) whose items are also read by their keys (`row.uuid`,
 * `row.Instance`), with `_fields` and `_asdict()`. The keys are not enumerable, so the row
 * compares, clones and serialises as the plain array of its items. A key that is an array
 * member (`length`, `map`) stays the array's.
 */
export function keyedRow(items: unknown[], keys: (string | undefined)[]): unknown[] {
  const row = [...items];
  const fields = keys.filter((k): k is string => k !== undefined);
  keys.forEach((key, i) => {
    if (key === undefined || key in row) return;
    Object.defineProperty(row, key, { value: items[i], enumerable: false, configurable: true, writable: true });
  });
  Object.defineProperty(row, '_fields', { value: fields, enumerable: false, configurable: true });
  Object.defineProperty(row, '_asdict', {
    value: () => Object.fromEntries(keys.flatMap((k, i) => (k === undefined ? [] : [[k, items[i]]]))),
    enumerable: false,
    configurable: true,
  });
  return row;
}

/** Rows without repeats: an instance compared by identity, a column value by value (SQLAlchemy's `unique_list`). */
function uniqueRows(rows: unknown[][], isEntity: boolean[]): unknown[][] {
  const ids = new WeakMap<object, number>();
  let count = 0;
  const idOf = (o: unknown) => {
    if (o === null || typeof o !== 'object') return null;
    if (!ids.has(o)) ids.set(o, ++count);
    return ids.get(o);
  };
  const seen = new Set<string>();
  return rows.filter((items) => {
    const key = JSON.stringify(items.map((item, i) => (isEntity[i] ? idOf(item) : item instanceof Date ? item.toISOString() : item)));
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** The first model column inside an expression (`func.sum(M.size)` → M.size), for its FROM. */
function columnIn(value: unknown, depth = 0): ColumnAttribute | undefined {
  if (value instanceof ColumnAttribute) return value;
  if (depth > 4 || value === null || typeof value !== 'object') return undefined;
  for (const inner of Object.values(value as Record<string, unknown>)) {
    const found = Array.isArray(inner) ? inner.map((v) => columnIn(v, depth + 1)).find(Boolean) : columnIn(inner, depth + 1);
    if (found) return found;
  }
  return undefined;
}

/** The join condition from the foreign keys between a joined table and the ones before it. */
function inferJoin(from: Mapper[], to: Mapper): Clause {
  for (const m of from) {
    for (const [a, b] of [
      [to, m],
      [m, to],
    ] as const) {
      for (const attr of a.columns.values()) {
        const ref = attr.column.foreignKeys.map((fk) => fk.reference()).find((r) => r?.table === b.table);
        const target = ref && [...b.columns.values()].find((c) => c.name === ref.column);
        if (target) return attr.eq(target);
      }
    }
  }
  throw new UnsupportedInReference(`a join to ${to.table} without a foreign key to follow: give the condition`);
}

