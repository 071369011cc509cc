// ROME's Entity (lib/rome/core/models.py:112-471): fields are plain properties; `update` sets
// them, `save` writes the row, `soft_delete` and `delete` as ROME has them.
import { pyEquals, simplify, simplifyDatetime } from './codec.js';
import { getRow, nextKey, putRow, removeRow, type StoredRow } from './driver.js';
import { classNameOf, mappingOf, type EntityClass, type Mapping } from './mapping.js';
import { currentClock } from './runtime.js';
import type { RomeSession } from './session.js';

/** The session argument of an entity method: positional, or by keyword (`{ session }`). */
export type SessionArgument = RomeSession | { session?: RomeSession | null } | null | undefined;

export class Entity {
  declare static __tablename__: string;
  [field: string]: any;

  /** models.py:138-140. */
  constructor() {
    this._session = null;
    this._rome_version_number = -1;
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
 * models.py:323-471, for one entity (related objects are not saved: relationships are not
 * modelled). Store operations: INCR for a new id, HGET of the stored row, HSET.
 */
export async function saveEntity(self: Entity, sessionSaving?: SavingSession): Promise<void> {
  const mapping = mappingOf(self.constructor as EntityClass);
  // 325-326: a session writes a row at most once, over all its flushes
  if (sessionSaving && self.id && sessionSaving.alreadySaved.has(`${mapping.table}:${self.id}`)) return;
  setDefaultValues(self, mapping);
  if (self.id == null) self.id = await nextKey(mapping.table);
  const current = complexObject(self, mapping);
  const objectKey = `${mapping.table}:${String(current.id)}`;
  if (sessionSaving?.alreadySaved.has(objectKey)) return;
  const existing = await getRow(mapping.table, current.id);
  // 404-407: an unchanged row is not written at all (no updated_at either)
  if (sameVersion(existing, current, mapping)) return fillNoneFields(self, current, mapping);
  // 405: the stored row is merged under the entity's — but the entity's holds every column (None
  // when unset), so only ROME's own keys survive: a client-chosen id overwrites the row (EQUIV.md
  // §2's "save() merges into the stored row" is true of those keys only)
  const row: StoredRow = { ...(existing ?? {}), ...current };
  const now = new Date(currentClock().now());
  if (row.created_at == null) row.created_at = simplifyDatetime(now);
  row.updated_at = simplifyDatetime(now);
  self.updated_at = now;
  row._session = self._session ?? null;
  // 430-437: the version follows the stored one
  if ('_rome_version_number' in row) self._rome_version_number = row._rome_version_number;
  self._rome_version_number = (typeof self._rome_version_number === 'number' ? self._rome_version_number : -1) + 1;
  row._rome_version_number = self._rome_version_number;
  await putRow(mapping.table, row.id, row);
  sessionSaving?.alreadySaved.add(objectKey);
  fillNoneFields(self, row, mapping);
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
