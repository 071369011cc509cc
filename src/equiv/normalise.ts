// Normalisation (EQUIV.md §3): what may differ between the sides without being a difference in
// behaviour. Each rule has a name, says what it does and why, and can be switched off in
// port-db.config.json ({ "equiv": { "normalise": { "<rule>": false } } }). Error messages are
// never compared (errors match by class name and columns) and entities are always reduced to
// their columns (outcome.ts): those two are how an outcome is defined, not rules.
import type { CallRecord, Plain, RawOutcome, TableDump } from './outcome.js';

export interface Rule {
  name: string;
  says: string;
  /** Where ROME's or SQL's behaviour that makes the rule necessary comes from. */
  source?: string;
}

export const RULES: readonly Rule[] = [
  { name: 'ids', says: 'primary keys are renamed per table in order of first appearance, final tables first (<table>#1, ...); foreign keys to them follow' },
  { name: 'uuids', says: 'UUIDs the code generated (not given by the scenario) are renamed in order of first appearance (uuid#1, ...)' },
  { name: 'datetimes', says: 'datetimes are compared as set or not set' },
  {
    name: 'soft-delete-marker',
    says: 'a soft-deleted row is compared as deleted, a live one as not, whatever the marker (oslo.db sets `deleted` to the id, ROME to 1; a live row holds 0, false or, in a text column, \'False\')',
    source: 'BeyondTheClouds/rome lib/rome/core/models.py:240-249 (soft_delete sets deleted = 1)',
  },
  {
    name: 'rome-timestamps',
    says: '`created_at` and `updated_at` are not compared (ROME\'s save sets created_at when empty and updated_at on every save, inserts included)',
    source: 'BeyondTheClouds/rome lib/rome/core/models.py:400-420 (Entity.save: created_at when empty, updated_at on every write)',
  },
  {
    name: 'awaited',
    says: "a call is compared on its awaited value, not on whether it answered a promise (ROME's terminals are async, so a port of a sync function is async: its callers must await it; the functions the port made async are listed)",
  },
  { name: 'unordered', says: 'lists are compared as multisets when the SQL result changes with the scan order (PRAGMA reverse_unordered_selects)' },
];

export type RuleSwitches = Partial<Record<string, boolean>>;

export function enabledRules(switches: RuleSwitches = {}): Set<string> {
  return new Set(RULES.map((r) => r.name).filter((name) => switches[name] !== false));
}

/** An outcome as compared: calls (errors by name and columns), the run's own end, every table. */
export interface NormalOutcome {
  calls: Array<{ call: string; async?: true; ok?: Plain; error?: { name: string; columns?: string[] } }>;
  threw?: { name: string };
  tables: Record<string, Array<Record<string, Plain>>>;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function normalise(raw: RawOutcome, rules: Set<string>): NormalOutcome {
  const ids = new Map<string, Map<string, string>>();
  const uuids = new Map<string, string>();
  const idOf = (table: string, id: Plain): Plain => {
    if (!rules.has('ids') || id === null || typeof id === 'object') return id;
    let names = ids.get(table);
    if (!names) ids.set(table, (names = new Map()));
    const key = JSON.stringify(id);
    if (!names.has(key)) names.set(key, `${table}#${names.size + 1}`);
    return names.get(key)!;
  };
  const columnsOf = (table: string) => raw.tables[table]?.columns ?? {};
  const given = new Set(raw.given ?? []);
  const primaryKeyOf = (table: string) => raw.tables[table]?.primaryKey ?? 'id';

  const value = (v: Plain): Plain => {
    if (v === null) return null;
    if (typeof v === 'string') {
      // a UUID the scenario gave is data; one the code generated is renamed
      if (rules.has('uuids') && UUID.test(v) && !given.has(v)) {
        if (!uuids.has(v.toLowerCase())) uuids.set(v.toLowerCase(), `uuid#${uuids.size + 1}`);
        return uuids.get(v.toLowerCase())!;
      }
      return v;
    }
    if (typeof v !== 'object') return v;
    if (Array.isArray(v)) return v.map((x) => value(x));
    if (typeof v.$date === 'string') return rules.has('datetimes') ? '<datetime>' : v;
    if (typeof v.$entity === 'string') return row(v.$entity, v);
    const out: Record<string, Plain> = {};
    for (const key of Object.keys(v)) out[key] = value(v[key]);
    return out;
  };

  const row = (table: string, r: Record<string, Plain>): Record<string, Plain> => {
    const columns = columnsOf(table);
    const primaryKey = primaryKeyOf(table);
    const out: Record<string, Plain> = {};
    for (const key of Object.keys(r)) {
      const v = r[key];
      if (key === '$entity') out[key] = v;
      else if (key === primaryKey) out[key] = idOf(table, v);
      // a foreign key to a primary key follows that table's names; one to another column is data
      else if (columns[key]?.references && columns[key].references!.column === primaryKeyOf(columns[key].references!.table)) out[key] = idOf(columns[key].references!.table, v);
      // a live row: 0 or false, or Manila's text column's 'False'
      else if (key === 'deleted' && rules.has('soft-delete-marker')) out[key] = v === null || v === 0 || v === false || v === 'False' || v === '0' ? (v === null ? null : false) : '<deleted>';
      else if ((key === 'updated_at' || key === 'created_at') && rules.has('rome-timestamps')) out[key] = '<ignored>';
      else out[key] = value(v);
    }
    return out;
  };

  // the final tables name the ids first (rows in key order on both sides), so that the order of
  // a call's answer does not rename every id after it
  const tables: NormalOutcome['tables'] = {};
  for (const table of Object.keys(raw.tables).sort()) tables[table] = (raw.tables[table] as TableDump).rows.map((r) => row(table, r));
  const calls = raw.calls.map((c: CallRecord) => ({
    call: c.call,
    ...(c.async && !rules.has('awaited') ? { async: true as const } : {}),
    ...('ok' in c ? { ok: value(c.ok ?? null) } : {}),
    ...(c.error ? { error: { name: c.error.name, ...(c.error.columns ? { columns: [...c.error.columns].sort() } : {}) } } : {}),
  }));
  return { calls, ...(raw.threw ? { threw: { name: raw.threw.name } } : {}), tables };
}

/** The outcome with every list in a canonical order (the `unordered` rule: lists as multisets). */
/** An outcome as compared: normalised, and with its lists as multisets when the order did not hold. */
export function comparable(raw: RawOutcome, rules: Set<string>, asMultisets: boolean): NormalOutcome {
  const normal = normalise(raw, rules);
  return asMultisets ? unordered(normal) : normal;
}

export function unordered(value: NormalOutcome): NormalOutcome {
  const sort = (v: Plain): Plain => {
    if (v === null || typeof v !== 'object') return v;
    if (Array.isArray(v)) return v.map(sort).sort((a, b) => compareText(canonical(a), canonical(b)));
    const out: Record<string, Plain> = {};
    for (const key of Object.keys(v)) out[key] = sort(v[key]);
    return out;
  };
  // the calls keep their order: only what a call answered, and each table's rows, are multisets
  const tables: NormalOutcome['tables'] = {};
  for (const [name, rows] of Object.entries(value.tables)) tables[name] = sort(rows) as Array<Record<string, Plain>>;
  return { ...value, calls: value.calls.map((c) => ('ok' in c ? { ...c, ok: sort(c.ok ?? null) } : c)), tables };
}

/** JSON with sorted keys: equal values, equal text. */
export function canonical(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'undefined';
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  return `{${Object.keys(v)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
    .join(',')}}`;
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
