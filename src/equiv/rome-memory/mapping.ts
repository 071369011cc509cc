// Mapping metadata: column types, Column, ForeignKey, relationship, backref, and the mapping of
// an entity class (its table and columns). ROME maps with SQLAlchemy's declarative metadata
// (lib/rome/core/models.py:14-22) and keeps a global list of entity classes to find one by
// table or class name (models.py:42-91, `sys.rome_global_scope`): `registry` below.
import { expression, type CompareOp, type Criterion, type Ordering } from './expression.js';

export interface ColumnType {
  readonly typeName: string;
  readonly args: readonly unknown[];
}

/** A type usable alone (`Integer`) or called (`String(255)`), as SQLAlchemy's type classes are. */
export type TypeFactory = ColumnType & ((...args: unknown[]) => ColumnType);

function columnType(typeName: string): TypeFactory {
  const factory = (...args: unknown[]): ColumnType => ({ typeName, args });
  return Object.assign(factory, { typeName, args: [] as unknown[] });
}

export const Integer = columnType('Integer');
export const BigInteger = columnType('BigInteger');
export const SmallInteger = columnType('SmallInteger');
export const Float = columnType('Float');
export const Boolean = columnType('Boolean');
export const DateTime = columnType('DateTime');
export const Text = columnType('Text');
export const String = columnType('String');
export const Enum = columnType('Enum');

export class ForeignKeyRef {
  constructor(readonly target: string | ColumnAttribute) {}
  /** `'services.id'`, whichever way it was given. */
  get column(): string {
    return typeof this.target === 'string' ? this.target : `${this.target.table}.${this.target.key}`;
  }
}

export function ForeignKey(column: string | ColumnAttribute, _opts?: Record<string, unknown>): ForeignKeyRef {
  return new ForeignKeyRef(column);
}

interface ColumnOptions {
  primary_key?: boolean;
  nullable?: boolean;
  default?: unknown;
  [option: string]: unknown;
}

/** A mapped column: a static member of an entity class; its methods build criteria. */
export class ColumnAttribute {
  key = '';
  class_: EntityClass | undefined;

  constructor(
    readonly type: ColumnType,
    readonly foreignKeys: readonly ForeignKeyRef[],
    readonly options: ColumnOptions,
  ) {}

  get default(): unknown {
    return this.options.default;
  }

  get table(): string {
    const table = this.class_?.__tablename__;
    if (!table) throw new Error(`rome-memory: column ${this.key} belongs to no mapped entity class (query its class first)`);
    return table;
  }

  /** The same column on a subclass (SQLAlchemy copies mixin columns onto each mapped class). */
  copyFor(cls: EntityClass, key: string): ColumnAttribute {
    const copy = new ColumnAttribute(this.type, this.foreignKeys, this.options);
    copy.key = key;
    copy.class_ = cls;
    return copy;
  }

  eq(other: unknown): Criterion {
    return other instanceof ColumnAttribute ? expression({ kind: 'join', left: this, right: other }) : this.compare('eq', other);
  }
  ne(other: unknown): Criterion {
    return this.compare('ne', other);
  }
  lt(other: unknown): Criterion {
    return this.compare('lt', other);
  }
  le(other: unknown): Criterion {
    return this.compare('le', other);
  }
  gt(other: unknown): Criterion {
    return this.compare('gt', other);
  }
  ge(other: unknown): Criterion {
    return this.compare('ge', other);
  }
  /** SQL's IS: `is(null)` is `IS NULL`, which ROME turns into `== 0` (see expression.ts). */
  is(other: unknown): Criterion {
    return this.compare('eq', other);
  }
  isnot(other: unknown): Criterion {
    return this.compare('ne', other);
  }
  in_(values: readonly unknown[]): Criterion {
    return expression({ kind: 'in', column: this, values: [...values], negate: false });
  }
  notin_(values: readonly unknown[]): Criterion {
    return expression({ kind: 'in', column: this, values: [...values], negate: true });
  }
  like(pattern: string): Criterion {
    return expression({ kind: 'like', column: this, pattern });
  }
  asc(): Ordering {
    return expression({ kind: 'order', column: this, direction: 'ASC' });
  }
  desc(): Ordering {
    return expression({ kind: 'order', column: this, direction: 'DESC' });
  }

  private compare(op: CompareOp, value: unknown): Criterion {
    if (value instanceof ColumnAttribute) throw new Error('rome-memory: only eq() compares two columns (a join condition)');
    return expression({ kind: 'compare', op, column: this, value });
  }
}

/** `Column(type, ...)` or `Column(name, type, ...)`; the stored name is the attribute's (a renamed column is not modelled). */
export function Column(...args: unknown[]): ColumnAttribute {
  const rest = typeof args[0] === 'string' ? args.slice(1) : args;
  const [type, ...more] = rest as [ColumnType, ...unknown[]];
  const foreignKeys = more.filter((a): a is ForeignKeyRef => a instanceof ForeignKeyRef);
  const options = Object.assign({}, ...more.filter((a) => !(a instanceof ForeignKeyRef))) as ColumnOptions;
  return new ColumnAttribute(type, foreignKeys, options);
}

/** A relationship: mapping metadata only; join() reads it to find the joining columns. */
export class RelationshipAttribute {
  key = '';
  class_: EntityClass | undefined;
  constructor(
    readonly target: string | EntityClass,
    readonly options: Record<string, unknown>,
  ) {}
}

export function relationship(target: string | EntityClass, opts: Record<string, unknown> = {}): RelationshipAttribute {
  return new RelationshipAttribute(target, opts);
}

export function backref(name: string, opts: Record<string, unknown> = {}): { name: string; opts: Record<string, unknown> } {
  return { name, opts };
}

/** What an entity class is to the mapping: a constructor with static columns and a table. */
export type EntityClass = (abstract new (...args: never[]) => object) & { __tablename__?: string };

export interface Mapping {
  readonly table: string;
  readonly columns: ReadonlyMap<string, ColumnAttribute>;
  readonly relationships: readonly RelationshipAttribute[];
}

const mappings = new WeakMap<EntityClass, Mapping>();
const registry = new Set<EntityClass>();

/** Maps `cls` once: binds its columns (copying inherited ones onto it) and registers it. */
export function mappingOf(cls: EntityClass): Mapping {
  const known = mappings.get(cls);
  if (known) return known;
  const table = cls.__tablename__;
  if (!table) throw new Error(`rome-memory: ${classNameOf(cls)} has no __tablename__`);
  const columns = new Map<string, ColumnAttribute>();
  const relationships: RelationshipAttribute[] = [];
  for (const owner of classChain(cls)) {
    for (const key of Object.getOwnPropertyNames(owner)) {
      const attribute = (owner as unknown as Record<string, unknown>)[key];
      if (attribute instanceof ColumnAttribute) {
        if (!attribute.class_) Object.assign(attribute, { key, class_: owner });
        const own = owner === cls ? attribute : attribute.copyFor(cls, key);
        if (owner !== cls) Object.defineProperty(cls, key, { value: own, configurable: true, enumerable: true, writable: true });
        columns.set(key, own);
      } else if (attribute instanceof RelationshipAttribute) {
        if (!attribute.class_) Object.assign(attribute, { key, class_: owner });
        relationships.push(attribute);
      }
    }
  }
  const mapping = { table, columns, relationships };
  mappings.set(cls, mapping);
  registry.add(cls);
  return mapping;
}

/**
 * Forgets every mapped class, so that classes loaded again (a fresh module graph: the next test,
 * the next scenario) are found by name instead of the ones loaded before.
 */
export function forgetMappedClasses(): void {
  registry.clear();
}

/** The mapped class of a table or class name (models.py:42-57); null when none is mapped yet. */
export function findClass(nameOrTable: string): EntityClass | null {
  for (const cls of registry) if (classNameOf(cls) === nameOrTable || cls.__tablename__ === nameOrTable) return cls;
  return null;
}

/**
 * The class's name. `cls.name` will not do: a column named `name` (a static member) hides it,
 * so the name is read from the class's source text then.
 */
export function classNameOf(cls: EntityClass): string {
  const name: unknown = cls.name;
  if (typeof name === 'string') return name;
  return /^class\s+([\w$]+)/.exec(Function.prototype.toString.call(cls))?.[1] ?? '';
}

/** From the topmost base to `cls`, so that a subclass's own columns win. */
function classChain(cls: EntityClass): EntityClass[] {
  const chain: EntityClass[] = [];
  for (let c: unknown = cls; typeof c === 'function' && c !== Function.prototype; c = Object.getPrototypeOf(c)) chain.unshift(c as EntityClass);
  return chain;
}
