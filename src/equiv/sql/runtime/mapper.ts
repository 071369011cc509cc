// The mapping of a model class, made once per class as SQLAlchemy's declarative does: each
// column becomes a class attribute of its own (`models.Service.deleted` and `models.Instance.deleted`
// are different columns although the mixin declared one), and instances are read from and
// written to rows through it.
import { ColumnAttribute } from './expressions.js';
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

/** The mapper of a model class (instrumenting it the first time). */
export function mapperOf(model: ModelClass): Mapper {
  const known = mappers.get(model);
  if (known) return known;
  const table = model.__tablename__;
  if (!table) throw new UnsupportedInReference(`${model.name} is not a mapped model (no __tablename__)`);
  const { columns, relationships } = membersOf(model);
  const attributes = new Map<string, ColumnAttribute>();
  for (const [key, def] of columns) {
    const attribute = new ColumnAttribute(model, key, def, table);
    attributes.set(key, attribute);
    Object.defineProperty(model, key, { value: attribute, configurable: true, enumerable: true, writable: true });
  }
  for (const [key, rel] of relationships) {
    rel.key = key;
    rel.class_ = model;
  }
  const primaryKey = [...attributes.values()].filter((a) => a.column.options.primary_key).map((a) => a.key);
  if (primaryKey.length === 0) throw new UnsupportedInReference(`${model.name} has no primary key`);
  const mapper: Mapper = { class_: model, table, columns: attributes, relationships, primaryKey };
  mappers.set(model, mapper);
  return mapper;
}

/** Whether a value is a mapped model class (not an instance, not a column). */
export function isModelClass(value: unknown): value is ModelClass {
  return typeof value === 'function' && typeof (value as ModelClass).__tablename__ === 'string';
}


