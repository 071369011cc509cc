// A row a query returns is not the entity itself but ROME's LazyValue (lib/rome/core/lazy.py:97-211,
// made in lib/rome/core/rows/rows.py:145-154): reads of a stored field answer the row AS LOADED
// (`wrapped_dict`, lazy.py:183-194), assignments write both that and the entity (lazy.py:201-210),
// and methods run on the entity (lazy.py:193-194). So after `row.update({host: 'b'})` the entity
// — what save() writes — has 'b' while `row.host` still reads the loaded value.
import { desimplify } from './codec.js';
import type { StoredRow } from './driver.js';
import type { Entity } from './entity.js';
import { UnsupportedInRomeMemory } from './errors.js';
import { mappingOf, romeRelationshipsOf, type EntityClass } from './mapping.js';

interface Loaded {
  readonly entity: Entity;
  readonly wrapped: StoredRow;
}

const loaded = new WeakMap<object, Loaded>();

/**
 * The entity ROME's decoder builds for a stored row (lazy.py:254-300: an empty instance with
 * `deleted = False`, then every stored key set, datetimes decoded) behind its LazyValue.
 */
export function loadRow(cls: EntityClass, stored: StoredRow): Entity {
  const entity = new (cls as unknown as new () => Entity)();
  entity.deleted = false;
  for (const [key, value] of Object.entries(stored)) entity[key] = desimplify(value);
  const wrapped = stored;
  // its own relationships and the backrefs other classes declare to it (read as undefined, a
  // backref hid a relationship ROME would load: Manila's export locations' `_el_metadata_bare`)
  const rome = romeRelationshipsOf(cls);
  const relationships = new Set([...mappingOf(cls).relationships.map((r) => r.key), ...rome.known.map((r) => r.localObjectField), ...rome.unknown]);
  const row = new Proxy(entity, {
    get(target, key, receiver) {
      if (typeof key === 'string' && Object.hasOwn(wrapped, key)) return desimplify(wrapped[key]);
      // ROME loads a relationship lazily: the first read of a field the row does not hold puts a
      // LazyRelationship on every relationship (lazy.py:182-187, 143-159), which on its first use
      // reads the remote table (driver getall, else a query) and keeps the rows whose remote field
      // equals this row's local fk value — soft-deleted rows included, the primaryjoin's
      // `deleted == 0` is not applied — a list for a to-many, else the first or None
      // (utils.py:472-499). That read happens inside a synchronous attribute access, which the
      // asynchronous Store cannot serve: not modelled.
      if (typeof key === 'string' && relationships.has(key) && !Object.hasOwn(target, key)) throw new UnsupportedInRomeMemory(`reading the relationship ${key}`);
      const value = Reflect.get(target, key, receiver);
      return typeof value === 'function' && key !== 'constructor' ? value.bind(target) : value;
    },
    set(target, key, value) {
      if (typeof key === 'string') wrapped[key] = value;
      return Reflect.set(target, key, value);
    },
  });
  loaded.set(row, { entity, wrapped });
  return row;
}

/** The entity behind a loaded row, or the object itself. */
export function entityOf<T extends object>(obj: T): T {
  return (loaded.get(obj)?.entity as T | undefined) ?? obj;
}

/**
 * How a session tells objects apart (session.py:45-50, `"%s" % obj`): a loaded row by its
 * content as loaded (LazyValue.__repr__, lazy.py:159-165, minus ROME's own keys), anything else
 * by identity. Two loads of one unchanged row are the same object to a session.
 */
export function signatureOf(obj: object): object | string {
  const row = loaded.get(obj);
  if (!row) return obj;
  const filtered = Object.entries(row.wrapped).filter(([key]) => !UNWANTED_KEYS.has(key));
  return JSON.stringify(filtered.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

// lazy.py:112
const UNWANTED_KEYS = new Set(['_session', '_nova_classname', 'simplify_strategy', '_rome_version_number', '_rid', '_pid', '_metadata_novabase_classname', '_diff_dict', '_unwanted_keys']);
