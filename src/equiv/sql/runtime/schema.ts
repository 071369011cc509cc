// The mapping half of the `sqlalchemy` module the SQL reference runs the source on: column types,
// Column, ForeignKey, UniqueConstraint, Index, relationship and backref as plain metadata objects,
// and the table of a model class read from its static members (own and inherited, as the
// dialect's declarative classes hold them). Queries and sessions are built on top of this.
import type { ColumnSpec, ColumnType, TableSpec } from '../schema.js';

/** A column type: usable alone (`Integer`, `String`) or called (`String(255)`), as in the dialect. */
export interface SqlType {
  readonly __visit_name__: string;
  readonly kind: ColumnType;
  /** `String(255)`: not `length`, which an uncalled factory has already (a function's arity). */
  readonly maxLength?: number;
}

type TypeFactory = SqlType & ((...args: unknown[]) => SqlType);

function typeFactory(name: string, kind: ColumnType, lengthArg = false): TypeFactory {
  const make = (...args: unknown[]): SqlType => ({
    __visit_name__: name,
    kind,
    ...(lengthArg && typeof args[0] === 'number' ? { maxLength: args[0] } : {}),
  });
  return Object.assign(make, { __visit_name__: name, kind }) as TypeFactory;
}

export const Integer = typeFactory('integer', 'integer');
export const BigInteger = typeFactory('big_integer', 'integer');
export const SmallInteger = typeFactory('small_integer', 'integer');
export const Float = typeFactory('float', 'float');
export const Numeric = typeFactory('numeric', 'float');
export const Boolean = typeFactory('boolean', 'boolean');
export const DateTime = typeFactory('datetime', 'datetime');
export const String = typeFactory('string', 'text', true);
export const Text = typeFactory('text', 'text', true);
export const Enum = typeFactory('enum', 'text');

/** `ForeignKey('services.id')`, or the column itself (`ForeignKey(Service.id)`). */
export class ForeignKeyDef {
  constructor(
    readonly target: string | ColumnDef,
    readonly options: Record<string, unknown> = {},
  ) {}

  /** `table.column` of the referenced column. */
  reference(): { table: string; column: string } | undefined {
    if (typeof this.target !== 'string') return this.target.table && this.target.name ? { table: this.target.table, column: this.target.name } : undefined;
    const dot = this.target.lastIndexOf('.');
    return dot > 0 ? { table: this.target.slice(0, dot), column: this.target.slice(dot + 1) } : undefined;
  }
}

export function ForeignKey(target: string | ColumnDef, options?: Record<string, unknown>): ForeignKeyDef {
  return new ForeignKeyDef(target, options);
}

export interface ColumnOptions {
  primary_key?: boolean;
  nullable?: boolean;
  default?: unknown;
  server_default?: unknown;
  onupdate?: unknown;
  autoincrement?: boolean;
  unique?: boolean;
  index?: boolean;
}

/** A mapped column: its type and options; the attribute name and table are known once its class is mapped. */
export class ColumnDef {
  /** The attribute name (the static member), set when the class is mapped. */
  key?: string;
  /** The table of the class it was mapped on. */
  table?: string;
  /** The model class it was mapped on. */
  class_?: unknown;

  constructor(
    readonly type: SqlType,
    readonly options: ColumnOptions,
    readonly foreignKeys: ForeignKeyDef[],
    /** `Column('spec_key', String(255))`: the stored name differs from the attribute. */
    readonly dbName?: string,
  ) {}

  /** The stored column's name. */
  get name(): string | undefined {
    return this.dbName ?? this.key;
  }
}

/** `Column(Type, ForeignKey(...), { options })` or `Column('db_name', Type, ...)`. */
export function Column(...args: unknown[]): ColumnDef {
  const dbName = typeof args[0] === 'string' ? (args.shift() as string) : undefined;
  const type = args.shift() as SqlType | undefined;
  if (!type || typeof type.kind !== 'string') throw new UnsupportedInReference(`Column() without a column type${dbName ? ` (${dbName})` : ''}`);
  const foreignKeys = args.filter((a): a is ForeignKeyDef => a instanceof ForeignKeyDef);
  const options = Object.assign({}, ...args.filter((a) => a !== null && typeof a === 'object' && !(a instanceof ForeignKeyDef))) as ColumnOptions;
  return new ColumnDef(type, options, foreignKeys, dbName);
}

/** `UniqueConstraint('host', 'topic', { name })`. */
export class UniqueConstraintDef {
  constructor(
    readonly columns: string[],
    readonly name?: string,
  ) {}
}

export function UniqueConstraint(...args: unknown[]): UniqueConstraintDef {
  const opts = args.find((a): a is { name?: string } => a !== null && typeof a === 'object');
  return new UniqueConstraintDef(args.filter((a): a is string => typeof a === 'string'), opts?.name);
}

/** `Index('name', 'col', ..., { unique })`. */
export class IndexDef {
  constructor(
    readonly name: string,
    readonly columns: string[],
    readonly unique: boolean,
  ) {}
}

export function Index(name: string, ...args: unknown[]): IndexDef {
  const opts = args.find((a): a is { unique?: boolean } => a !== null && typeof a === 'object');
  return new IndexDef(name, args.filter((a): a is string => typeof a === 'string'), opts?.unique === true);
}

/** A relationship attribute: the target (a class or its name) and SQLAlchemy's options. */
export class RelationshipDef {
  key?: string;
  class_?: unknown;
  constructor(
    readonly target: unknown,
    readonly options: Record<string, unknown> = {},
  ) {}
}

export function relationship(target: unknown, options?: Record<string, unknown>): RelationshipDef {
  return new RelationshipDef(target, options);
}

export function backref(name: string, options: Record<string, unknown> = {}): { backref: string; options: Record<string, unknown> } {
  return { backref: name, options };
}

/** A construct the reference does not run: the scenario is `skipped`, never `equivalent`. */
export class UnsupportedInReference extends Error {
  constructor(what: string) {
    super(`unsupported in the SQL reference: ${what}`);
    this.name = 'UnsupportedInReference';
  }
}

/** What generic code reads to probe a value (await, JSON, printers, test matchers): never a call of the service. */
const PROBES = new Set(['then', 'toJSON', 'asymmetricMatch', 'nodeType', 'tagName', 'inspect', 'toPrimitive', 'valueOf', 'toString']);

/**
 * Makes a member the reference lacks raise UnsupportedInReference when the service reads it
 * (`query.with_entities`, `session.merge`, `Model.col.between`), instead of reading undefined and
 * failing as "x is not a function", which looks like a crash of the service. A Proxy is put last
 * in the class's prototype chain: it is consulted only when no real member (own, of the class or
 * of a subclass) has the name. Symbols, probes (PROBES, `$$`, `@@` and `__` names) and `in` answer
 * as before, so awaiting, serialising and printing a value are unchanged.
 */
export function raiseOnUnknownMembers(cls: abstract new (...args: never[]) => unknown, what: string): void {
  const base = Object.getPrototypeOf(cls.prototype) as object;
  const guard = new Proxy(base, {
    get(target, key, receiver) {
      if (typeof key === 'symbol' || key in target || PROBES.has(key) || /^(\$\$|@@|__)/.test(key)) return Reflect.get(target, key, receiver);
      throw new UnsupportedInReference(`${what}.${key}`);
    },
  });
  Object.setPrototypeOf(cls.prototype, guard);
}

/** A member of a value, when it has one (`in`: no unknown-member guard is tripped). */
export function memberOf(value: unknown, key: string): unknown {
  return value !== null && typeof value === 'object' && key in value ? (value as Record<string, unknown>)[key] : undefined;
}

/** A model class as the dialect declares it: static `__tablename__` and column members. */
export type ModelClass = (abstract new (...args: never[]) => unknown) & { __tablename__?: string; [member: string]: unknown };

/**
 * The columns and relationships of a model class, own and inherited (a mixin's `deleted`), by
 * attribute name; a subclass's own declaration wins. An inherited column object is shared by
 * every subclass (SQLAlchemy copies mixin columns per class: the query layer will instrument
 * each class with its own attributes).
 */
export function membersOf(model: ModelClass): { columns: Map<string, ColumnDef>; relationships: Map<string, RelationshipDef> } {
  const columns = new Map<string, ColumnDef>();
  const relationships = new Map<string, RelationshipDef>();
  const chain: object[] = [];
  for (let c: object | null = model; c && c !== Function.prototype; c = Object.getPrototypeOf(c)) chain.push(c);
  // the base classes' members first, so a subclass's own declaration wins, in declaration order
  for (const c of chain.reverse()) {
    for (const key of Object.getOwnPropertyNames(c)) {
      const value = (c as Record<string, unknown>)[key];
      // a mapped base class holds its columns as attributes (mapper.ts): their definitions count
      const held = memberOf(value, 'column');
      const declared = { def: memberOf(value, 'def'), declaredOn: memberOf(value, 'declaredOn') };
      if (value instanceof ColumnDef) columns.set(key, value);
      else if (held instanceof ColumnDef) columns.set(key, held);
      else if (value instanceof RelationshipDef) relationships.set(key, value);
      // a mapped base class's relationship attribute (not a backref another class added)
      else if (declared.def instanceof RelationshipDef && declared.declaredOn === undefined) relationships.set(key, declared.def);
    }
  }
  return { columns, relationships };
}

/**
 * The table of a model class. Unique keys are given (port-db's models analyzer reads them, so
 * the reference enforces exactly the keys create-lock checks); the rest comes from the columns.
 */
export function tableOf(model: ModelClass, uniqueKeys: string[][]): TableSpec {
  const table = model.__tablename__;
  if (!table) throw new UnsupportedInReference(`model ${model.name} has no __tablename__`);
  const { columns } = membersOf(model);
  const specs: ColumnSpec[] = [];
  for (const [key, col] of columns) {
    const name = col.dbName ?? key;
    const reference = col.foreignKeys.map((fk) => fk.reference()).find((r) => r !== undefined);
    specs.push({
      name,
      type: col.type.kind,
      ...(col.type.maxLength !== undefined ? { length: col.type.maxLength } : {}),
      nullable: col.options.nullable ?? !col.options.primary_key,
      ...(col.options.primary_key ? { primaryKey: true } : {}),
      ...(typeof col.options.server_default === 'string' ? { serverDefault: `'${col.options.server_default.replace(/'/g, "''")}'` } : {}),
      ...(reference ? { references: reference } : {}),
    });
  }
  return { name: table, columns: specs, uniqueKeys };
}
