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
  {
    name: 'ids',
    says: 'primary keys are renamed per table (<table>#1, ...), final tables first: the seed\'s keys and those the scenario gave in key order, then generated ones in key order, but siblings (rows next to each other that reference the same rows) in the order of what they hold: a store numbers a parent\'s new children in an order of its own; foreign keys to them follow',
    source: 'BeyondTheClouds/rome lib/rome/core/models.py:280-285 (register_associated_object prepends: a parent\'s new children are saved, and numbered, last first)',
  },
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

  const isIdReference = (table: string, key: string): boolean => {
    const references = columnsOf(table)[key]?.references;
    return references !== undefined && references.column === primaryKeyOf(references.table);
  };

  /** A column's value as compared; `name` renames ids and generated UUIDs (else they are left out or a placeholder). */
  const column = (table: string, key: string, v: Plain, name: boolean): Plain => {
    // a live row: 0 or false, or Manila's text column's 'False'
    if (key === 'deleted' && rules.has('soft-delete-marker')) return v === null || v === 0 || v === false || v === 'False' || v === '0' ? (v === null ? null : false) : '<deleted>';
    if ((key === 'updated_at' || key === 'created_at') && rules.has('rome-timestamps')) return '<ignored>';
    return name ? value(v) : unnamed(v);
  };

  /** A value as `value` gives it, but with no names given out: a generated UUID is `<uuid>`. */
  const unnamed = (v: Plain): Plain => {
    if (v === null) return null;
    if (typeof v === 'string') return rules.has('uuids') && UUID.test(v) && !given.has(v) ? '<uuid>' : v;
    if (typeof v !== 'object') return v;
    if (Array.isArray(v)) return v.map(unnamed);
    if (typeof v.$date === 'string') return rules.has('datetimes') ? '<datetime>' : v;
    const out: Record<string, Plain> = {};
    for (const key of Object.keys(v)) out[key] = unnamed(v[key]);
    return out;
  };

  const row = (table: string, r: Record<string, Plain>): Record<string, Plain> => {
    const primaryKey = primaryKeyOf(table);
    const out: Record<string, Plain> = {};
    for (const key of Object.keys(r)) {
      const v = r[key];
      if (key === '$entity') out[key] = v;
      else if (key === primaryKey) out[key] = idOf(table, v);
      // a foreign key to a primary key follows that table's names; one to another column is data
      else if (isIdReference(table, key)) out[key] = idOf(columnsOf(table)[key].references!.table, v);
      else out[key] = column(table, key, v, true);
    }
    return out;
  };

  /** What a row holds but its names: the order of rows whose key the code generated. */
  const contents = (table: string, r: Record<string, Plain>): string => {
    const out: Record<string, Plain> = {};
    for (const key of Object.keys(r)) if (key !== primaryKeyOf(table) && !isIdReference(table, key)) out[key] = column(table, key, r[key], false);
    return canonical(out);
  };

  // the final tables name the ids first, so that the order of a call's answer does not rename
  // every id after it: the keys of the seed's rows and those the scenario gave, in key order (the
  // same on both sides), then the ones the code generated, in key order but for siblings (rows
  // next to each other that reference the same rows), which go by what they hold
  const tables: NormalOutcome['tables'] = {};
  const names = Object.keys(raw.tables).sort();
  const dumped = (table: string) => (raw.tables[table] as TableDump).rows;
  const byName = new Map<string, Array<Record<string, Plain>>>();
  for (const table of names) {
    const primaryKey = primaryKeyOf(table);
    const seeded = new Set(raw.seeded?.[table] ?? []);
    const isGiven = (r: Record<string, Plain>) => seeded.has(JSON.stringify(r[primaryKey])) || (typeof r[primaryKey] === 'string' && given.has(r[primaryKey] as string));
    // the rows that reference the same rows (children of one parent), one after the other in key
    // order: ROME saves a parent's new children last first, so their order is what they hold
    const parentsOf = (r: Record<string, Plain>): string | undefined => {
      const refs: Record<string, Plain> = {};
      for (const key of Object.keys(r)) if (key !== primaryKey && isIdReference(table, key) && r[key] !== null) refs[key] = r[key];
      return Object.keys(refs).length > 0 ? canonical(refs) : undefined;
    };
    const rest = dumped(table).filter((r) => !isGiven(r));
    const generated: Array<Record<string, Plain>> = [];
    for (let i = 0; i < rest.length; ) {
      const parents = parentsOf(rest[i]);
      let j = i + 1;
      if (parents !== undefined) while (j < rest.length && parentsOf(rest[j]) === parents) j++;
      const run = rest.slice(i, j).map((r, k) => ({ r, k, contents: contents(table, r) }));
      generated.push(...run.sort((a, b) => compareText(a.contents, b.contents) || a.k - b.k).map((x) => x.r));
      i = j;
    }
    // a table without a single primary key has no names to give: its rows stay in key order
    if (!rules.has('ids') || raw.tables[table]?.primaryKey === undefined) {
      byName.set(table, dumped(table));
      continue;
    }
    const ordered = [...dumped(table).filter(isGiven), ...generated];
    for (const r of ordered) if (primaryKey in r) idOf(table, r[primaryKey]);
    byName.set(table, ordered);
  }
  for (const table of names) tables[table] = byName.get(table)!.map((r) => row(table, r));
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
