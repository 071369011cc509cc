// ROME's Entity (lib/rome/core/models.py:112-471): fields are plain properties behind a Proxy that
// is ROME's `__setattr__` (a relationship field runs its change event: fks copied, children
// registered on their parent); `update` sets them, `save` writes the row, then the related objects
// ROME saves with it; `soft_delete` and `delete` as ROME has them.
import { pyEquals, simplify, simplifyDatetime } from './codec.js';
import { getRow, nextKey, putRow, removeRow, type StoredRow } from './driver.js';
import { UnsupportedInRomeMemory } from './errors.js';
import { entityOf } from './loaded-row.js';
import { classNameOf, mappingOf, romeRelationshipsOf, type EntityClass, type Mapping } from './mapping.js';
import { currentClock } from './runtime.js';
import type { RomeSession } from './session.js';

/** The session argument of an entity method: positional, or by keyword (`{ session }`). */
export type SessionArgument = RomeSession | { session?: RomeSession | null } | null | undefined;

export class Entity {
  declare static __tablename__: string;
  [field: string]: any;

  /**
   * models.py:138-140. The instance is behind a Proxy that is ROME's `__setattr__` (models.py:
   * 166-177): the value is set, then a relationship field (utils.py:261-269) runs the relationship
   * change event (models.py:186-227). The class is mapped here, as declarative SQLAlchemy maps it
   * when it is defined, so that its backrefs are known to the classes it points to.
   */
  constructor() {
    this._session = null;
    this._rome_version_number = -1;
    const cls = new.target as unknown as EntityClass;
    if (cls.__tablename__) mappingOf(cls);
    const proxy = new Proxy(this, {
      set(target, key, value, receiver) {
        const done = Reflect.set(target, key, value);
        if (typeof key === 'string' && cls.__tablename__ && romeRelationshipsOf(cls).fields.has(key)) {
          handleRelationshipChangeEvent(receiver as Entity, key, value);
        }
        return done;
      },
    });
    targets.set(proxy, this);
    return proxy;
  }

  /** models.py:119-121: the instance's own fields. */
  keys(): string[] {
    return Object.keys(this);
  }

  /**
   * models.py:251-278: first gives every empty column its default (unless the default is a
   * function), then sets each value — a key that is not a column included. Nothing is saved.
   */
  update(values: Record<string, unknown>): this {
    for (const [key, column] of mappingOf(this.constructor as EntityClass).columns) {
      const fallback = column.default;
      if (this[key] == null && fallback !== undefined && typeof fallback !== 'function') this[key] = fallback;
    }
    for (const [key, value] of Object.entries(values)) this[key] = value;
    return this;
  }

  /** models.py:316-321: with a session, add + flush (of the whole session); without, writes now. */
  async save(session?: SessionArgument): Promise<void> {
    const s = sessionOf(session);
    if (s) {
      s.add(this);
      await s.flush();
      return;
    }
    await saveEntity(this);
  }

  /**
   * models.py:240-249: `deleted = 1` (oslo.db sets the id) and `deleted_at` set to the STORED form
   * of now (a {simplify_strategy: 'datetime', …} object, not a Date, line 244). With a session
   * the entity is only queued (no flush); without, it is saved.
   */
  async soft_delete(session?: SessionArgument): Promise<void> {
    this.deleted = 1;
    this.deleted_at = simplifyDatetime(new Date(currentClock().now()));
    const s = sessionOf(session);
    if (s) s.add(this);
    else await saveEntity(this);
  }

  async softDelete(session?: SessionArgument): Promise<void> {
    await this.soft_delete(session);
  }

  /** models.py:232-238: with a session, queued for the session's delete (a soft delete, session.py:128-129); without, a hard delete. */
  async delete(session?: SessionArgument): Promise<void> {
    const s = sessionOf(session);
    if (s) s.delete(this);
    else await removeRow(mappingOf(this.constructor as EntityClass).table, this.id);
  }
}

/** The entity behind its `__setattr__` Proxy: what `self.__dict__[key] = value` writes to. */
const targets = new WeakMap<object, Entity>();

function rawSet(self: Entity, key: string, value: unknown): void {
  const target = targets.get(entityOf(self)) ?? self;
  target[key] = value;
}

/**
 * models.py:186-227, `handle_relationship_change_event`, for each relationship whose object or
 * fk field is `key`:
 * - the fk field of a MANYTOONE (191): `load_relationships` puts a LazyRelationship there — not
 *   modelled: reading the relationship of such an entity is UnsupportedInRomeMemory (loaded-row.ts);
 * - the fk field of a ONETOMANY (192-199): each object already assigned gets the fk value when its
 *   own is None;
 * - the object field of a MANYTOONE (208-219): the fk takes the object's remote field (written
 *   directly, no event); the object's ONETOMANY relationships to this table that are None take
 *   this entity (a list never set reads [], not None: kept); this entity registers itself on the object (`register_associated_object`), which
 *   saves it after itself (452-467);
 * - the object field of a ONETOMANY (220-227): each assigned child (a list, or the one object),
 *   for EACH of its MANYTOONE relationships (whatever table they point to), gets its fk set from
 *   this entity's remote field, then its object field set to this entity (which registers it).
 */
function handleRelationshipChangeEvent(self: Entity, key: string, value: unknown): void {
  const relationships = romeRelationshipsOf(self.constructor as EntityClass);
  if (relationships.unknown.includes(key) && value != null && !(Array.isArray(value) && value.length === 0)) {
    throw new UnsupportedInRomeMemory(`assigning the relationship ${classNameOf(self.constructor as EntityClass)}.${key} (${relationships.reasons.get(key) ?? ''})`);
  }
  for (const r of relationships.known.filter((x) => key === x.localObjectField || key === x.localFkField)) {
    if (key === r.localFkField) {
      if (r.direction === 'ONETOMANY') {
        const existing = self[r.localObjectField];
        // 193-194: an unset list relationship reads [] (SQLAlchemy), an unset scalar None
        const candidates: unknown[] = r.isList ? (Array.isArray(existing) ? existing : []) : [existing];
        for (const c of candidates) {
          if (c == null) continue;
          const child = c as Entity;
          if (child[r.remoteObjectField] == null) child[r.remoteObjectField] = value;
        }
      }
      continue;
    }
    if (r.direction === 'MANYTOONE' && !r.isList) {
      rawSet(self, r.localFkField, value == null ? null : ((value as Entity)[r.remoteObjectField] ?? null));
      if (value instanceof Entity) {
        for (const r2 of romeRelationshipsOf(value.constructor as EntityClass).known) {
          if (r2.remoteTable !== mappingOf(self.constructor as EntityClass).table || r2.direction !== 'ONETOMANY') continue;
          // 215-217: set only when None. A list already assigned, even empty, is kept, and so is a
          // list never set: SQLAlchemy reads it as an empty collection, not None (as at 193-194)
          const current = value[r2.localObjectField];
          if (current === null || (current === undefined && !r2.isList)) value[r2.localObjectField] = self;
        }
        registerAssociatedObject(value, self);
      }
    }
    if (r.direction === 'ONETOMANY') {
      // 221: `value if r.is_list else [value]` — iterating an entity (not a list) yields field names: no child
      const candidates: unknown[] = r.isList ? (Array.isArray(value) ? value : []) : [value];
      for (const c of candidates) {
        if (!(c instanceof Entity)) continue;
        for (const r2 of romeRelationshipsOf(c.constructor as EntityClass).known) {
          if (r2.direction !== 'MANYTOONE') continue;
          c[r2.localFkField] = self[r2.remoteObjectField];
          c[r2.localObjectField] = self;
        }
      }
    }
  }
}

/** models.py:280-285: prepended. */
function registerAssociatedObject(self: Entity, obj: Entity): void {
  const associated = (self._associated_objects as Entity[] | undefined) ?? [];
  self._associated_objects = [obj, ...associated];
}

function sessionOf(arg: SessionArgument): RomeSession | null {
  if (arg == null) return null;
  return 'session' in arg && !('flush' in arg) ? (arg.session ?? null) : (arg as RomeSession);
}

/** What a session commit passes to save (models.py:316, force=True and session_saving). */
export interface SavingSession {
  /** `<table>:<id>` of every row this session already wrote (session.py:43). */
  readonly alreadySaved: Set<string>;
}

/**
 * models.py:316-471 (force=True, or no session). Store operations: INCR for a new id, then per
 * saving candidate HGET of the stored row and HSET; then the associated objects are saved.
 *
 * The saving candidates are what ROME's encoder caches while simplifying the entity (json.py:
 * 113-141, 143-196): the entity, and — recursively — every entity held by one of its relationship
 * fields (a many-to-one object; a list of children is not followed, json.py:130 hands the list
 * back untouched). ROME iterates them in Python 2 dict order (models.py:381), i.e. unspecified:
 * here the entity first, then the related objects depth first.
 */
export async function saveEntity(self: Entity, sessionSaving?: SavingSession): Promise<void> {
  const mapping = mappingOf(self.constructor as EntityClass);
  // 325-326: a session writes a row at most once, over all its flushes (returns before the associated objects)
  if (sessionSaving && self.id && sessionSaving.alreadySaved.has(`${mapping.table}:${self.id}`)) return;
  setDefaultValues(self, mapping);
  if (self.id == null) self.id = await nextKey(mapping.table);
  const candidates = savingCandidates(self);
  // 357-377: a related object with no id books one first
  for (const c of candidates.slice(1)) if (c.id == null) c.id = await nextKey(mappingOf(c.constructor as EntityClass).table);
  let selfRow: StoredRow = complexObject(self, mapping);
  for (const c of candidates) {
    const row = await saveCandidate(self, c, sessionSaving);
    if (c === self) selfRow = row;
  }
  // 452-467: the associated objects (registered by models.py:218-219), then reset; each saved
  // with the same session_saving, a failure swallowed (traceback.print_exc(); pass)
  const associated = (self._associated_objects as Entity[] | undefined) ?? [];
  self._associated_objects = [];
  for (const c of associated) {
    try {
      await saveEntity(entityOf(c), sessionSaving);
    } catch {
      // 464-467
    }
  }
  // 469: ROME fills from the last candidate of its loop; here the entity's own row
  fillNoneFields(self, selfRow, mapping);
}

/** json.py:125-131 and 143-196: the entity, then the entities its relationship fields hold, recursively (a list is not followed). */
function savingCandidates(self: Entity): Entity[] {
  const seen: Entity[] = [];
  const visit = (obj: Entity): void => {
    const entity = entityOf(obj);
    const cls = entity.constructor as EntityClass;
    // json.py:62-82: processed once per class and id (or per object when it has no id)
    if (seen.some((s) => s === entity || (entity.id != null && s.constructor === cls && s.id === entity.id))) return;
    seen.push(entity);
    const relationships = romeRelationshipsOf(cls);
    const fields = new Set([...relationships.known.map((r) => r.localObjectField), ...relationships.unknown]);
    for (const field of fields) {
      const value = entity[field];
      if (value instanceof Entity) visit(value);
    }
  };
  visit(self);
  return seen;
}

/**
 * models.py:381-449 for one candidate `c` of `self`'s save; answers the row as ROME last had it
 * (`current_object`).
 */
async function saveCandidate(self: Entity, c: Entity, sessionSaving?: SavingSession): Promise<StoredRow> {
  const mapping = mappingOf(c.constructor as EntityClass);
  const current = complexObject(c, mapping);
  const objectKey = `${mapping.table}:${String(current.id)}`;
  // 398-399
  if (sessionSaving?.alreadySaved.has(objectKey)) return current;
  const existing = await getRow(mapping.table, current.id);
  // 404-407: an unchanged row is not written at all (no updated_at either)
  if (sameVersion(existing, current, mapping)) return current;
  // 405: the stored row is merged under the entity's — but the entity's holds every column (None
  // when unset), so only ROME's own keys survive: a client-chosen id overwrites the row (EQUIV.md
  // §2's "save() merges into the stored row" is true of those keys only)
  const row: StoredRow = { ...(existing ?? {}), ...current };
  const now = new Date(currentClock().now());
  if (row.created_at == null) row.created_at = simplifyDatetime(now);
  row.updated_at = simplifyDatetime(now);
  // 421: `self`, whichever candidate is written
  self.updated_at = now;
  // 428-429: the session only on the entity's own row (another keeps the stored one, if any)
  if (c === self) row._session = self._session ?? null;
  // 430-437: the version follows the stored one — `self`'s counter, whichever candidate
  if ('_rome_version_number' in row) self._rome_version_number = row._rome_version_number;
  self._rome_version_number = (typeof self._rome_version_number === 'number' ? self._rome_version_number : -1) + 1;
  row._rome_version_number = self._rome_version_number;
  await putRow(mapping.table, row.id, row);
  sessionSaving?.alreadySaved.add(objectKey);
  return row;
}

/**
 * models.py:142-151 (`_set_default_values`, on every save): a column with a default whose value
 * is FALSY (None, 0, False, '') takes the default — `is_public = false` with `default: true`
 * is saved as true. A function default is called.
 */
function setDefaultValues(self: Entity, mapping: Mapping): void {
  for (const [key, column] of mapping.columns) {
    if (!('default' in column.options) || self[key]) continue;
    const fallback = column.default;
    self[key] = typeof fallback === 'function' ? (fallback as (e: Entity) => unknown)(self) : fallback;
  }
}

/** json.py:113-141 and models.py:390: every column (unset = None), stored form, plus ROME's class and table keys. */
function complexObject(self: Entity, mapping: Mapping): StoredRow {
  const row: StoredRow = {};
  for (const key of mapping.columns.keys()) row[key] = simplify(self[key] ?? null);
  row._metadata_novabase_classname = classNameOf(self.constructor as EntityClass);
  row._nova_classname = mapping.table;
  return row;
}

/** models.py:65-73. */
function sameVersion(existing: StoredRow | null, current: StoredRow, mapping: Mapping): boolean {
  if (existing === null) return false;
  for (const key of mapping.columns.keys()) {
    if (key in existing !== key in current) return false;
    if (key in existing && !pyEquals(existing[key], current[key])) return false;
  }
  return true;
}

/** models.py:302-314: a field stored as None becomes None on the entity (created_at stays None after an insert). */
function fillNoneFields(self: Entity, row: StoredRow, mapping: Mapping): void {
  for (const [key, value] of Object.entries(row)) if (value === null && (mapping.columns.has(key) || key in self)) self[key] = null;
}
