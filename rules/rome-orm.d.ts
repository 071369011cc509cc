// The ROME target API for TypeScript: the contract a module emitted by port-db is type-checked
// against (docs/TARGET.md: the API, and what ROME does differently). `port-db port` checks each port against
// these declarations; when a rule pack names another target module, the same declarations are
// checked under that name.
//
// Design decisions
//
// - Asynchronous terminals. ROME runs every read and write against a remote key/value store,
//   so the terminals of a query (`first`, `all`, `count`, `update`, `delete`, `soft_delete`,
//   `distinct`), the session's `flush` and `begin`, an entity's `save`/`delete`/`soft_delete`
//   and the DLM's `lock`/`unlock` answer a `Promise`. The source dialect also has sync
//   terminals (`const row = q.first()` on a sync SQL driver); the contract does NOT pretend
//   those still work (no "thenable row" that would be both the row and a promise): a sync call
//   site receives a Promise, and the compiler says so wherever the Promise is used as a row,
//   whatever the options: `q.first().host` (TS2339), `for (const r of q.all())` (TS2488),
//   `q.count() + 1` (TS2365); with `strictNullChecks`, `if (row)` (TS2801); with
//   `noImplicitAny`, `q.first()[0]` (TS7053). A call site that only returns the Promise (to a
//   caller that awaits it) is correct; one that only tests `!row` compiles and is wrong.
// - Both spellings. The source dialect writes `filter_by`/`filterBy`, `order_by`/`orderBy`,
//   `soft_delete`/`softDelete`; both are declared, with the same meaning.
// - Only what ROME has. A `RomeQuery` has no `limit`, `offset`, `one`, `exists`, `options`,
//   `with_lockmode`/`with_for_update`, `group_by`, `having`, `subquery`, `scalar`, `label`; a
//   `RomeSession` has no `rollback`, `execute`, `begin_nested`, `merge`, `expire`, `refresh`,
//   `expunge`. Calling them does not type-check. Where ROME has a method whose meaning
//   differs from SQL (`one`, `exists` excepted: their ROME versions are bugs, so they are
//   absent), the declaration says what ROME does: `distinct()` answers the rows, not a query;
//   `delete()`/`soft_delete()` answer the query, not a row count; `outerjoin` is an inner join
//   (declared, marked deprecated); `join` answers rows holding every joined entity.
// - Rows. `session.query(EntityClass)` is a `RomeQuery` of instances of that class;
//   `session.query(column)` a query of bare column values (not one-element rows); a query over
//   several entities or columns has tuple rows. A model (or helper) typed `any` gives
//   `RomeQuery<any>`, as the helpers port-db emits do.
// - Expressions. Filter criteria are the column expressions of the models (`M.col.eq(v)`,
//   `or_(...)`); ROME evaluates them itself, so criteria are not constrained beyond that.

declare module 'rome-orm' {
  // Only the declarations marked `export` are the API; the helper types below are private.
  export {};

  /** A class whose instances are rows (a ROME entity class, or a model not ported yet). */
  type RomeEntityClass = abstract new (...args: any[]) => object;

  /** The row of `session.query(target)` for one target. */
  type RomeRowOf<E> = 0 extends 1 & E
    ? any
    : E extends RomeEntityClass
      ? InstanceType<E>
      : E extends RomeColumn<infer V>
        ? V
        : any;

  /** A row after `join(target)`: ROME returns every joined entity, `[a, b]`, not just `a`. */
  type RomeJoinedRow<T, J> = 0 extends 1 & T
    ? [any, RomeRowOf<J>]
    : T extends readonly any[]
      ? [...T, RomeRowOf<J>]
      : [T, RomeRowOf<J>];

  /** A filter or ordering built from columns (`M.col.eq(v)`, `or_(...)`, `M.col.desc()`). */
  export interface RomeExpression<V = any> {
    /** Phantom: the value type the expression evaluates to. */
    readonly __rome_expression__?: V;
  }

  /** A mapped column (or relationship attribute) of an entity class. */
  export interface RomeColumn<V = any> extends RomeExpression<V> {
    /** The column's attribute name. */
    readonly key: string;
    /** The entity class the column belongs to. */
    readonly class_: any;
    /** The column's default value, if it has one. */
    readonly default: V | undefined;
    eq(other: V | RomeExpression | null): RomeExpression<boolean>;
    ne(other: V | RomeExpression | null): RomeExpression<boolean>;
    lt(other: V | RomeExpression): RomeExpression<boolean>;
    le(other: V | RomeExpression): RomeExpression<boolean>;
    gt(other: V | RomeExpression): RomeExpression<boolean>;
    ge(other: V | RomeExpression): RomeExpression<boolean>;
    is(other: null | boolean): RomeExpression<boolean>;
    /**
     * ROME compiles a criterion's SQL text into a Python test, `IS NOT` and `NOT IN` included
     * (lib/rome/core/expression/expression.py, prepare_criterion).
     */
    isnot(other: null | boolean): RomeExpression<boolean>;
    in_(values: readonly V[]): RomeExpression<boolean>;
    notin_(values: readonly V[]): RomeExpression<boolean>;
    like(pattern: string): RomeExpression<boolean>;
    asc(): RomeExpression<V>;
    desc(): RomeExpression<V>;
  }

  export function or_(...clauses: unknown[]): RomeExpression<boolean>;
  export function and_(...clauses: unknown[]): RomeExpression<boolean>;
  export function not_(clause: unknown): RomeExpression<boolean>;

  /** SQL's bulk-operation flag: accepted and ignored (ROME has no identity map to synchronize). */
  export interface RomeQueryFlags {
    synchronize_session?: false | 'evaluate' | 'fetch';
  }

  /**
   * A query. The chain methods answer a new query; the terminals run it against the store.
   * Iterate it with `for await`. Usually made by `session.query(...)`; `new RomeQuery(M)`
   * queries outside any session, as ROME's `Query(M)` does.
   */
  export class RomeQuery<T = any> implements AsyncIterable<T> {
    constructor(...targets: unknown[]);
    [Symbol.asyncIterator](): AsyncIterator<T>;
    filter(...criteria: unknown[]): RomeQuery<T>;
    /** Equality on columns. A key that is not a column of the entity is silently ignored. */
    filter_by(values: Record<string, unknown>): RomeQuery<T>;
    filterBy(values: Record<string, unknown>): RomeQuery<T>;
    order_by(...clauses: unknown[]): RomeQuery<T>;
    orderBy(...clauses: unknown[]): RomeQuery<T>;
    /** Each row then holds every joined entity: `[row, joined]`. */
    join<J>(target: J, onclause?: unknown): RomeQuery<RomeJoinedRow<T, J>>;
    /** @deprecated ROME runs `outerjoin` as an inner join: rows without a match disappear. */
    outerjoin<J>(target: J, onclause?: unknown): RomeQuery<RomeJoinedRow<T, J>>;

    /** The first row, or null. */
    first(): Promise<T | null>;
    /** The only row, or null; raises MultipleResultsFound on more than one (query.py:117-126). */
    one_or_none(): Promise<T | null>;
    oneOrNone(): Promise<T | null>;
    all(): Promise<T[]>;
    /** The number of rows (ROME loads them all). */
    count(): Promise<number>;
    /** The distinct rows: a list, not a query. */
    distinct(): Promise<T[]>;
    /** Loads every row, updates and saves each (not atomic); answers how many. */
    update(values: Record<string, unknown>, flags?: RomeQueryFlags): Promise<number>;
    /** Hard delete of the matching rows. Answers the query, not a row count. */
    delete(flags?: RomeQueryFlags): Promise<RomeQuery<T>>;
    /** Sets `deleted` on the matching rows. Answers the query, not a row count. */
    soft_delete(flags?: RomeQueryFlags): Promise<RomeQuery<T>>;
    softDelete(flags?: RomeQueryFlags): Promise<RomeQuery<T>>;
  }

  /**
   * A unit of work. There is no dirty tracking (a changed entity is written only if it was
   * added) and no rollback.
   */
  export class RomeSession {
    constructor();
    /** Queues entities for the next flush. */
    add(...entities: object[]): void;
    /** Queues entities for deletion at the next flush. */
    delete(...entities: object[]): void;
    query<E>(target: E): RomeQuery<RomeRowOf<E>>;
    query<E extends unknown[]>(...targets: E): RomeQuery<{ [K in keyof E]: RomeRowOf<E[K]> }>;
    /**
     * Runs `work`, then flushes; answers what `work` answered. An error inside propagates, but
     * nothing is rolled back: what was saved directly stays saved.
     */
    begin<R>(work: () => R | PromiseLike<R>): Promise<R>;
    /**
     * Writes the queued entities (a commit). Takes one DLM lock per entity and rejects with
     * `DBDeadlock` when one is held.
     */
    flush(): Promise<void>;
  }

  // -- mapping: entity classes and their columns ---------------------------------------------
  //
  // ROME maps an entity class from declarative column attributes, as SQLAlchemy does (the Python
  // ROME reuses SQLAlchemy's Column, types, ForeignKey and relationship as mapping metadata, not
  // as DDL). They are part of the target API so that an entity module imports nothing from the
  // SQL library. What is DDL only has no declaration: ROME creates no table, so there is no
  // `UniqueConstraint`, `Index`, `__table_args__`, nor a `unique`/`index` column option (ROME
  // enforces no unique key: the ports check them under a lock, see create-lock).

  /** A column type; `V` is the value a field of that type holds. */
  export interface RomeType<V = any> {
    /** Phantom: the value type. */
    readonly __rome_type__?: V;
  }

  /**
   * A column type, usable alone (`Integer`, `String`) or called (`Integer()`, `String(255)`), as
   * the SQLAlchemy type classes ROME maps with are (lib/rome/core/models.py imports SQLAlchemy's
   * `Column` and `declarative_base`: the column metadata is SQLAlchemy's).
   */
  type RomeTypeFactory<V, A extends unknown[] = []> = RomeType<V> & ((...args: A) => RomeType<V>);

  export const Integer: RomeTypeFactory<number>;
  export const BigInteger: RomeTypeFactory<number>;
  export const SmallInteger: RomeTypeFactory<number>;
  export const Float: RomeTypeFactory<number, [precision?: number]>;
  export const Boolean: RomeTypeFactory<boolean>;
  export const DateTime: RomeTypeFactory<Date, [timezone?: boolean]>;
  export const Text: RomeTypeFactory<string, [length?: number]>;
  export const String: RomeTypeFactory<string, [length?: number]>;
  export const Enum: RomeTypeFactory<string, unknown[]>;

  /** A reference to another entity's column (`'services.id'`): how relationships find rows. */
  export interface RomeForeignKey {
    readonly column: string;
  }
  /** The column by name (`'services.id'`) or as the column itself (`Service.id`), as SQLAlchemy's `ForeignKey` takes it. */
  export function ForeignKey(column: string | RomeColumn, opts?: Record<string, unknown>): RomeForeignKey;

  /** Mapping options of a column (no `unique`, no `index`: ROME has neither). */
  export interface RomeColumnOptions {
    primary_key?: boolean;
    nullable?: boolean;
    /** A value, or a function called when a new row is saved without the field. */
    default?: unknown;
    /** Ids come from a per-table counter; accepted for the SQL spelling. */
    autoincrement?: boolean;
    onupdate?: unknown;
    doc?: string;
  }

  /**
   * A mapped column: declare it as a static member of the entity class. Its expressions are
   * typed `any`, as the source dialect's columns are: a port is judged against its source, and
   * `session.query(M.col)` rows stay `any` (ROME answers bare values; see RomeQuery).
   */
  export function Column(type: RomeType, ...args: Array<RomeForeignKey | RomeColumnOptions>): RomeColumn<any>;
  /** A column whose stored name differs from its attribute (`key = Column('spec_key', String(255))`). */
  export function Column(name: string, type: RomeType, ...args: Array<RomeForeignKey | RomeColumnOptions>): RomeColumn<any>;

  /**
   * A relationship to another entity class, by name or as the class itself (SQLAlchemy's
   * `relationship` takes either, and ROME maps with SQLAlchemy's); ROME loads it lazily (loader
   * options are ignored). The join options (`primaryjoin`, `foreign_keys`, `backref`, ...) keep
   * the SQL spelling.
   */
  export function relationship(target: string | RomeEntityClass, opts?: Record<string, unknown>): RomeColumn<any>;
  export function backref(name: string, opts?: Record<string, unknown>): unknown;

  /**
   * The session an entity method takes: positional, or by keyword as the source dialect writes
   * Python's `save(session=session)` (ROME's `save(self, session=None, ...)`, `delete(self,
   * session=None)` and `soft_delete(self, session=None)`, lib/rome/core/models.py, take either).
   */
  type RomeSessionArgument = RomeSession | { session?: RomeSession | null } | null;

  /** Base class of ROME entities (model objects). Fields are the entity's columns. */
  export class Entity {
    static __tablename__: string;
    [field: string]: any;
    /** No arguments: ROME's `Entity.__init__(self)` (lib/rome/core/models.py); set fields after. */
    constructor();
    /** Sets fields without saving. */
    update(values: Record<string, unknown>): void;
    /** With a session: add + flush. Without: writes immediately. */
    save(session?: RomeSessionArgument): Promise<void>;
    /** Sets `deleted` and `deleted_at`, then saves. */
    soft_delete(session?: RomeSessionArgument): Promise<void>;
    softDelete(session?: RomeSessionArgument): Promise<void>;
    delete(session?: RomeSessionArgument): Promise<void>;
  }

  /** The distributed lock manager. */
  export class ClusterLock {
    constructor();
    /** Tries once; resolves to whether the lock was taken. It expires after `ttlMs`. */
    lock(name: string, ttlMs: number): Promise<boolean>;
    /** Releases the lock if this process owns it or it has expired. */
    unlock(name: string): Promise<void>;
  }

  /**
   * The base of the store's errors. ROME raises oslo.db's own exceptions (lib/rome/core/utils.py
   * imports DBDeadlock from oslo_db.exception), so their hierarchy is oslo.db's: DBError above
   * DBDuplicateEntry and DBDeadlock, and `catch (e) { if (e instanceof DBError) ... }` keeps working.
   */
  export class DBError extends Error {
    constructor(message?: string);
  }

  /**
   * A duplicate on a unique key. ROME enforces no unique constraints and never raises it
   * itself; ports raise it from their uniqueness checks (create-lock).
   */
  export class DBDuplicateEntry extends DBError {
    /** The columns of the violated key. */
    columns: string[];
    value?: unknown;
    constructor(columns?: string[], value?: unknown);
  }

  /** A DLM lock was held by someone else (flush, or a lock acquisition that gave up). */
  export class DBDeadlock extends DBError {
    constructor(message?: string);
  }

  export class NoResultFound extends Error {
    constructor(message?: string);
  }

  export class MultipleResultsFound extends Error {
    constructor(message?: string);
  }
}
