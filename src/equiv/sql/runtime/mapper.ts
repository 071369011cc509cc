// The mapping of a model class, made once per class as SQLAlchemy's declarative does: each
// column becomes a class attribute of its own (`models.Service.deleted` and `models.Instance.deleted`
// are different columns although the mixin declared one), each relationship an attribute with
// any()/has() that instances load lazily, and instances are read from and written to rows
// through it.
import { ColumnAttribute, type Clause } from './expressions.js';
import { RelationshipAttribute, type Registry } from './relationships.js';
import { membersOf, type RelationshipDef, UnsupportedInReference, type ModelClass } from './schema.js';

export interface Mapper {
  class_: ModelClass;
  table: string;
  /** Attribute name → column, in declaration order (base classes' first). */
  columns: Map<string, ColumnAttribute>;
  relationships: Map<string, RelationshipDef>;
  /** The primary key's attribute names. */
  primaryKey: string[];
}

const mappers = new WeakMap<object, Mapper>();
/** Mapped classes by name: a relationship or primaryjoin names its target class as a string. */
const byName = new Map<string, ModelClass>();
/** Relationships declared with a backref whose attribute is not installed yet. */
const pendingBackrefs: RelationshipAttribute[] = [];

const registry: Registry = { mapperOf, byName: (name) => byName.get(name) };

/**
 * The mapper of a model class (instrumenting it the first time). `className` is the name its
 * module declares it under (a `static name` column hides the class's own name, as Glance's Image).
 */
export function mapperOf(model: ModelClass, className?: string): Mapper {
  const known = mappers.get(model);
  if (known) return known;
  const declaredName = className ?? (typeof model.name === 'string' ? model.name : undefined);
  const table = model.__tablename__;
  if (!table) throw new UnsupportedInReference(`${declaredName ?? 'a class'} is not a mapped model (no __tablename__)`);
  const { columns, relationships } = membersOf(model);
  const attributes = new Map<string, ColumnAttribute>();
  for (const [key, def] of columns) {
    const attribute = new ColumnAttribute(model, key, def, table);
    attributes.set(key, attribute);
    Object.defineProperty(model, key, { value: attribute, configurable: true, enumerable: true, writable: true });
  }
  const primaryKey = [...attributes.values()].filter((a) => a.column.options.primary_key).map((a) => a.key);
  // a ROME entity reaching the reference's SQL code (a port's manual code) has no SQL columns
  if (primaryKey.length === 0) throw new UnsupportedInReference(`the model of table ${table}, which maps no primary key column (not a SQL model?)`);
  const mapper: Mapper = { class_: model, table, columns: attributes, relationships, primaryKey };
  mappers.set(model, mapper);
  if (declaredName) byName.set(declaredName, model);
  for (const [key, rel] of relationships) {
    rel.key = key;
    rel.class_ = model;
    const attribute = new RelationshipAttribute(registry, model, key, rel);
    install(model, attribute);
    if (rel.options.backref !== undefined) pendingBackrefs.push(attribute);
  }
  return mapper;
}

/** Installs the backrefs whose target classes are mapped by now (SQLAlchemy's configure_mappers). */
export function configureMappers(): void {
  for (const attribute of pendingBackrefs.splice(0)) {
    const spec = attribute.def.options.backref as string | { backref: string; options: Record<string, unknown> };
    const [name, options] = typeof spec === 'string' ? [spec, {}] : [spec.backref, spec.options];
    let target: ModelClass;
    try {
      target = attribute.target.class_;
    } catch {
      pendingBackrefs.push(attribute);
      continue;
    }
    install(target, new RelationshipAttribute(registry, target, name, attribute.def, attribute.owner, options));
  }
}

/** The session that loaded or saved an instance (its relationships load through it). */
const sessions = new WeakMap<object, { query(...targets: unknown[]): RelatedQuery }>();
interface RelatedQuery {
  join(target: unknown, on: Clause): RelatedQuery;
  filter(...criteria: unknown[]): RelatedQuery;
  all(): unknown[];
}

export function attachSession(obj: object, session: { query(...targets: unknown[]): RelatedQuery }): void {
  sessions.set(obj, session);
}

const related = new WeakMap<object, Map<string, unknown>>();
/** The relationships assigned on an instance (not loaded): the session saves what they hold. */
const assigned = new WeakMap<object, Map<string, RelationshipAttribute>>();

/** The relationship values assigned on an instance, with their attributes (SQLAlchemy's save-update cascade reads them). */
export function assignedRelations(obj: object): [RelationshipAttribute, unknown][] {
  return [...(assigned.get(obj)?.values() ?? [])].map((attribute) => [attribute, related.get(obj)?.get(attribute.key)]);
}

/** The class attribute (`Model.rel.any(...)`) and the instance property that loads on first read. */
function install(model: ModelClass, attribute: RelationshipAttribute): void {
  Object.defineProperty(model, attribute.key, { value: attribute, configurable: true, enumerable: true, writable: true });
  Object.defineProperty(model.prototype, attribute.key, {
    configurable: true,
    get(this: Record<string, unknown>) {
      const values = related.get(this) ?? new Map<string, unknown>();
      related.set(this, values);
      if (!values.has(attribute.key)) values.set(attribute.key, load(this, attribute));
      return values.get(attribute.key);
    },
    set(this: object, value: unknown) {
      const values = related.get(this) ?? new Map<string, unknown>();
      related.set(this, values);
      values.set(attribute.key, value);
      const keys = assigned.get(this) ?? new Map<string, RelationshipAttribute>();
      assigned.set(this, keys);
      keys.set(attribute.key, attribute);
    },
  });
}

/** The related rows of one instance: the owner's row joined on the relationship's condition. */
function load(obj: Record<string, unknown>, attribute: RelationshipAttribute): unknown {
  const session = sessions.get(obj);
  // a transient instance has no related rows yet, as in SQLAlchemy
  if (!session) return attribute.uselist ? [] : null;
  const source = attribute.source;
  const key = source.primaryKey.map((k) => source.columns.get(k)!.eq(obj[k]));
  const rows = session.query(attribute.target.class_).join(source.class_, attribute.condition()).filter(...key).all();
  return attribute.uselist ? rows : (rows[0] ?? null);
}

/** Whether a value is a mapped model class (not an instance, not a column). */
export function isModelClass(value: unknown): value is ModelClass {
  return typeof value === 'function' && typeof (value as ModelClass).__tablename__ === 'string';
}
