// What one side of a scenario did, as data that crosses a worker boundary and compares across the
// sides (EQUIV.md §3): per call its value or its error by class name, the end of the run, a dump of
// every table (deleted rows included) and the lock log. Values are encoded here without any
// normalisation; normalise.ts applies the named rules afterwards.

import type { Plain } from '../report/equivalence-model.js';

export type { Plain };

export interface CallError {
  /** The error's class name: oslo's and rome-orm's DBDuplicateEntry match by name. */
  name: string;
  message: string;
  /** A duplicate entry's columns, as the error names them. */
  columns?: string[];
}

export interface CallRecord {
  /** The function called (`Class.method` for a method of an exported class). */
  call: string;
  /** It answered a promise (a port that turns a sync function async changes what callers get). */
  async?: true;
  ok?: Plain;
  error?: CallError;
}

export type ColumnKind = 'boolean' | 'datetime' | 'other';

export interface TableDump {
  /** Column (attribute) name → what the normaliser needs to know about it. */
  columns: Record<string, { kind: ColumnKind; references?: { table: string; column: string } }>;
  /** The primary key's column, when it is one column. */
  primaryKey?: string;
  rows: Array<Record<string, Plain>>;
}

export interface RawOutcome {
  calls: CallRecord[];
  /** The run's own end: it threw (not an api call's error, which the call records). */
  threw?: CallError;
  tables: Record<string, TableDump>;
  locks: string[];
  /** A construct one side does not run: the scenario is skipped, never called equivalent. */
  unsupported?: { call?: string; message: string };
  /** Every string the scenario gave (seed values, call arguments): UUIDs among them are not renamed. */
  given: string[];
  /** Per table, the primary keys (as JSON) of the rows the seed wrote: the same on both sides. */
  seeded?: Record<string, string[]>;
}

/** How a side describes its entities to the encoder. */
export interface EntityView {
  table: string;
  values: Record<string, unknown>;
  kinds: Record<string, ColumnKind>;
}

/**
 * A value as plain data: an entity as `{$entity: table, ...columns}` (its columns only, read as
 * the caller sees them), a Date as `{$date}`, undefined as `{$undefined: true}`, any other
 * object instance by its class name. Keys are sorted, so equal values encode to equal JSON.
 */
export function encode(value: unknown, entity: (obj: object) => EntityView | undefined, seen = new Set<object>()): Plain {
  if (value === undefined) return { $undefined: true };
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : { $number: String(value) };
  if (typeof value === 'bigint') return { $bigint: value.toString() };
  if (typeof value === 'function') return { $function: value.name || 'anonymous' };
  if (typeof value !== 'object') return { $value: String(value) };
  if (value instanceof Date) return { $date: Number.isNaN(value.getTime()) ? 'invalid' : value.toISOString() };
  if (seen.has(value)) return { $cycle: true };
  seen.add(value);
  try {
    const view = entity(value);
    if (view) return encodeEntity(view, entity, seen);
    if (Array.isArray(value)) return value.map((v) => encode(v, entity, seen));
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) {
      if (value instanceof Map) return { $map: [...value].map(([k, v]) => [encode(k, entity, seen), encode(v, entity, seen)]) };
      if (value instanceof Set) return { $set: [...value].map((v) => encode(v, entity, seen)) };
      return { $object: (value.constructor as { name?: string } | undefined)?.name ?? 'Object' };
    }
    const out: Record<string, Plain> = {};
    for (const key of Object.keys(value).sort()) out[key] = encode((value as Record<string, unknown>)[key], entity, seen);
    return out;
  } finally {
    seen.delete(value);
  }
}

function encodeEntity(view: EntityView, entity: (obj: object) => EntityView | undefined, seen: Set<object>): Plain {
  const out: Record<string, Plain> = { $entity: view.table };
  for (const key of Object.keys(view.values).sort()) out[key] = encodeColumn(view.values[key], view.kinds[key] ?? 'other', entity, seen);
  return out;
}

/** A column's value by its kind: SQLite answers booleans as 0/1 and datetimes as text. */
export function encodeColumn(value: unknown, kind: ColumnKind, entity: (obj: object) => EntityView | undefined = () => undefined, seen = new Set<object>()): Plain {
  if (value === undefined || value === null) return null;
  if (kind === 'boolean' && (value === 0 || value === 1 || value === '0' || value === '1')) return value === 1 || value === '1';
  if (kind === 'datetime' && typeof value === 'string') {
    const date = new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(value) ? value : `${value.replace(' ', 'T')}Z`);
    if (!Number.isNaN(date.getTime())) return { $date: date.toISOString() };
  }
  return encode(value, entity, seen);
}

/** An error as a call's outcome records it. */
export function callError(e: unknown): CallError {
  if (!(e instanceof Error)) return { name: typeof e, message: String(e) };
  const columns = (e as { columns?: unknown }).columns;
  return {
    name: e.constructor?.name && e.constructor.name !== 'Error' ? e.constructor.name : e.name,
    message: e.message,
    ...(Array.isArray(columns) ? { columns: columns.map(String) } : {}),
  };
}

/** One outcome of a side, with what produced it: a serial order (SQL) or a schedule's token (ROME). */
export interface LabeledOutcome {
  /** `''` for a scenario without groups; `2,1` for a serial order; a replay token for a schedule. */
  label: string;
  /** How many orders or schedules gave this outcome. */
  count: number;
  outcome: RawOutcome;
}

/** What a side answers for one scenario. */
export interface SideRuns {
  runs: LabeledOutcome[];
  /** The sizes of the scenario's concurrent groups, in order (none: a sequential scenario). */
  groups: number[];
  /** ROME: the schedules run. */
  explored?: { schedules: number; exhaustive: boolean; random: number; replayed?: string; repetitions?: number };
  /** ROME: some schedule took one of the port's locks. */
  locksTaken?: true;
}
