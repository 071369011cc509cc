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
/** Bumped whenever the registry changes: the relationships of a class include backrefs declared on others. */
let registryGeneration = 0;

/** Maps `cls` once: binds its columns (copying inherited ones onto it) and registers it. */
export function mappingOf(cls: EntityClass): Mapping {
  const known = mappings.get(cls);
  if (known) {
    // mapped before the registry was last forgotten (the same classes, a fresh store): found again
    if (!registry.has(cls)) {
      registry.add(cls);
      registryGeneration++;
    }
    return known;
  }
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
  registryGeneration++;
  return mapping;
}

/**
 * Forgets every mapped class, so that classes loaded again (a fresh module graph: the next test,
 * the next scenario) are found by name instead of the ones loaded before.
 */
export function forgetMappedClasses(): void {
  registry.clear();
  registryGeneration++;
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

/**
 * A relationship as ROME sees it (lib/rome/core/utils.py:375-457, `get_relationships`, one
 * RelationshipModel per relationship attribute of the class — backrefs declared on other classes
 * included, as SQLAlchemy adds them to `_sa_class_manager`): `local_fk_field` and
 * `remote_object_field` are the first of SQLAlchemy's `local_remote_pairs` (utils.py:407-419),
 * `is_list` its `uselist` (421), `direction` ONETOMANY or MANYTOONE (428).
 */
export interface RomeRelationship {
  readonly localObjectField: string;
  readonly localFkField: string;
  readonly remoteObjectField: string;
  readonly remoteTable: string;
  readonly isList: boolean;
  readonly direction: 'ONETOMANY' | 'MANYTOONE';
}

/** The relationships of a class; `unknown` names the attributes whose pair or direction is not modelled (a secondary table, …). */
export interface RomeRelationships {
  readonly known: readonly RomeRelationship[];
  readonly unknown: readonly string[];
  /** Why each unknown one is not modelled. */
  readonly reasons: ReadonlyMap<string, string>;
  /** utils.py:261-269 (with_indirect_field): every local object field and local fk field, "id" excepted. */
  readonly fields: ReadonlySet<string>;
}

const romeRelationships = new WeakMap<EntityClass, { generation: number; value: RomeRelationships }>();

export function romeRelationshipsOf(cls: EntityClass): RomeRelationships {
  const cached = romeRelationships.get(cls);
  if (cached && cached.generation === registryGeneration) return cached.value;
  const mapping = mappingOf(cls);
  const known: RomeRelationship[] = [];
  const unknown: string[] = [];
  const reasons = new Map<string, string>();
  const add = (name: string, derive: () => RomeRelationship | null): void => {
    let relation: RomeRelationship | null = null;
    let reason = 'a secondary table, a self-referential one, or no joining pair found';
    try {
      relation = derive();
    } catch (e) {
      reason = e instanceof Error ? e.message : `${e}`;
    }
    if (relation) known.push(relation);
    else {
      unknown.push(name);
      reasons.set(name, reason);
    }
  };
  for (const relation of mapping.relationships) {
    const target = targetClassOf(relation);
    add(relation.key, () => (target ? ownRelationship(cls, target, relation) : null));
  }
  // backrefs: a relationship declared on another mapped class whose target is this one
  for (const other of registry) {
    for (const relation of mappingOf(other).relationships) {
      const backrefOption = relation.options.backref as string | { name: string; opts: Record<string, unknown> } | undefined;
      if (backrefOption === undefined || targetClassOf(relation) !== cls) continue;
      const name = typeof backrefOption === 'string' ? backrefOption : backrefOption.name;
      const opts = typeof backrefOption === 'string' ? {} : backrefOption.opts;
      add(name, () => {
        const forward = ownRelationship(other, cls, relation);
        if (!forward || other === cls) return null;
        const direction = forward.direction === 'MANYTOONE' ? 'ONETOMANY' : 'MANYTOONE';
        return {
          localObjectField: name,
          localFkField: forward.remoteObjectField,
          remoteObjectField: forward.localFkField,
          remoteTable: mappingOf(other).table,
          isList: typeof opts.uselist === 'boolean' ? opts.uselist : direction !== 'MANYTOONE',
          direction,
        } satisfies RomeRelationship;
      });
    }
  }
  const fields = new Set<string>();
  for (const r of known) fields.add(r.localObjectField).add(r.localFkField);
  for (const name of unknown) fields.add(name);
  fields.delete('id');
  const value = { known, unknown, reasons, fields };
  romeRelationships.set(cls, { generation: registryGeneration, value });
  return value;
}

/** The target class; by name, a mapped class with columns first (a class another module maps by querying it has none). */
function targetClassOf(relation: RelationshipAttribute): EntityClass | null {
  if (typeof relation.target !== 'string') return relation.target;
  const name = relation.target;
  const named = [...registry].filter((cls) => classNameOf(cls) === name);
  return named.find((cls) => mappingOf(cls).columns.size > 0) ?? named[0] ?? null;
}

interface ColumnRef {
  readonly table: string;
  readonly key: string;
}

/**
 * SQLAlchemy's reading of `relationship()` on `local` to `remote`: the joining pair is the first
 * `A.x == B.y` of the primaryjoin between the two tables, else the foreign key between them; the
 * "foreign" column is the one `foreign_keys` names, else the one with a ForeignKey. It is
 * MANYTOONE when the foreign column is local, ONETOMANY when it is remote; `uselist` defaults to
 * `direction != MANYTOONE`. Null when not modelled: a secondary table, a self-referential one.
 */
function ownRelationship(local: EntityClass, remote: EntityClass, relation: RelationshipAttribute): RomeRelationship | null {
  if (relation.options.secondary !== undefined || local === remote) return null;
  const localTable = mappingOf(local).table;
  const remoteTable = mappingOf(remote).table;
  const pair = joinPair(local, remote, relation);
  if (!pair) return null;
  const [localColumn, remoteColumn] = pair[0].table === localTable ? pair : [pair[1], pair[0]];
  if (localColumn.table !== localTable || remoteColumn.table !== remoteTable) return null;
  const foreign = foreignColumns(relation, [local, remote]);
  let localIsForeign: boolean;
  if (foreign.length > 0) localIsForeign = foreign.some((c) => c.table === localTable && c.key === localColumn.key);
  else localIsForeign = (mappingOf(local).columns.get(localColumn.key)?.foreignKeys ?? []).some((fk) => fk.column.split('.')[0] === remoteTable);
  const direction = localIsForeign ? 'MANYTOONE' : 'ONETOMANY';
  const uselist = relation.options.uselist;
  return {
    localObjectField: relation.key,
    localFkField: localColumn.key,
    remoteObjectField: remoteColumn.key,
    remoteTable,
    isList: typeof uselist === 'boolean' ? uselist : direction !== 'MANYTOONE',
    direction,
  };
}

function joinPair(local: EntityClass, remote: EntityClass, relation: RelationshipAttribute): [ColumnRef, ColumnRef] | null {
  const tables = [mappingOf(local).table, mappingOf(remote).table];
  const primaryjoin = relation.options.primaryjoin;
  if (typeof primaryjoin === 'string') {
    for (const m of primaryjoin.matchAll(/(\w+)\.(\w+)\s*==\s*(\w+)\.(\w+)/g)) {
      const left = columnRefOf(m[1], m[2], [local, remote]);
      const right = columnRefOf(m[3], m[4], [local, remote]);
      if (left && right && tables.includes(left.table) && tables.includes(right.table) && left.table !== right.table) return [left, right];
    }
    return null;
  }
  if (primaryjoin !== undefined) return null;
  for (const [from, to] of [
    [local, remote],
    [remote, local],
  ]) {
    const toTable = mappingOf(to).table;
    for (const [key, column] of mappingOf(from).columns) {
      const fk = column.foreignKeys.find((f) => f.column.split('.')[0] === toTable);
      if (fk) return [{ table: mappingOf(from).table, key }, { table: toTable, key: fk.column.split('.')[1] }];
    }
  }
  return null;
}

function foreignColumns(relation: RelationshipAttribute, involved: readonly EntityClass[]): ColumnRef[] {
  const option = relation.options.foreign_keys;
  const items = Array.isArray(option) ? option : option === undefined ? [] : [option];
  return items.flatMap((item): ColumnRef[] => {
    if (item instanceof ColumnAttribute) return [{ table: item.table, key: item.key }];
    if (typeof item === 'string') {
      const [name, key] = item.replace(/^\[|\]$/g, '').split('.');
      const ref = key ? columnRefOf(name, key, involved) : null;
      return ref ? [ref] : [];
    }
    return [];
  });
}

/** A class named in a primaryjoin: one of the relationship's two classes first (another module may map a class of the same name). */
function columnRefOf(className: string, key: string, involved: readonly EntityClass[]): ColumnRef | null {
  const cls = involved.find((c) => classNameOf(c) === className) ?? findClass(className);
  return cls && mappingOf(cls).columns.has(key) ? { table: mappingOf(cls).table, key } : null;
}
