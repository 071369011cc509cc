// Where two normalised outcomes differ, as a reviewer reads it: the kind (a call's result, a
// call's error, the final tables), the call, and each differing path with both values.
import type { Difference, Divergence, Plain } from '../report/equivalence-model.js';
import { canonical, type NormalOutcome } from './normalise.js';
import type { Accept } from './scenario.js';

/** At most this many differing paths are listed per divergence (the count says how many more). */
const MAX_PATHS = 8;

export function compare(sql: NormalOutcome, rome: NormalOutcome): Divergence[] {
  const out: Divergence[] = [];
  const n = Math.max(sql.calls.length, rome.calls.length);
  for (let i = 0; i < n; i++) {
    const a = sql.calls[i];
    const b = rome.calls[i];
    const label = `#${i + 1} ${(a ?? b).call}`;
    if (!a || !b || a.call !== b.call) {
      out.push({ kind: 'result', call: label, differences: [{ path: `calls[${i}]`, ...(a ? { sql: a.call } : {}), ...(b ? { rome: b.call } : {}) }] });
      break; // the runs parted: what follows is not comparable call by call
    }
    if (Boolean(a.async) !== Boolean(b.async)) {
      const answers = (x: typeof a) => (x.async ? 'a promise' : 'a value');
      out.push({ kind: 'result', call: label, differences: [{ path: `calls[${i}]`, sql: answers(a), rome: answers(b) }] });
    } else if (canonical(a.error ?? null) !== canonical(b.error ?? null)) {
      out.push({ kind: 'error', call: label, differences: [{ path: `calls[${i}]`, sql: a.error ? { error: a.error } : { ok: a.ok ?? null }, rome: b.error ? { error: b.error } : { ok: b.ok ?? null } }] });
    } else if (canonical(a.ok ?? null) !== canonical(b.ok ?? null)) {
      out.push({ kind: 'result', call: label, differences: differences(a.ok ?? null, b.ok ?? null, `calls[${i}].ok`) });
    }
  }
  if (canonical(sql.threw ?? null) !== canonical(rome.threw ?? null)) {
    out.push({ kind: 'error', call: 'the scenario itself', differences: [{ path: 'threw', sql: sql.threw ?? null, rome: rome.threw ?? null }] });
  }
  const tables = differences(sql.tables as unknown as Plain, rome.tables as unknown as Plain, 'tables');
  if (tables.length > 0) out.push({ kind: 'store', differences: tables });
  return out.map((d) => ({ ...d, differences: capped(d.differences) }));
}

/** Whether a divergence is one the scenario's `accept` lists (same kind, and the call if it names one). */
export function acceptedBy(d: Divergence, accept: readonly Accept[]): Accept | undefined {
  return accept.find((a) => a.kind === d.kind && (a.call === undefined || d.call?.replace(/^#\d+ /, '') === a.call));
}

function differences(a: Plain | undefined, b: Plain | undefined, path: string, out: Difference[] = []): Difference[] {
  if (canonical(a) === canonical(b)) return out;
  const bothObjects = a !== null && b !== null && typeof a === 'object' && typeof b === 'object' && Array.isArray(a) === Array.isArray(b);
  if (a === undefined || b === undefined || !bothObjects) {
    out.push({ path, ...(a !== undefined ? { sql: a } : {}), ...(b !== undefined ? { rome: b } : {}) });
    return out;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.max(a.length, b.length); i++) differences(a[i], b[i], `${path}[${i}]`, out);
    return out;
  }
  const ra = a as Record<string, Plain>;
  const rb = b as Record<string, Plain>;
  for (const key of [...new Set([...Object.keys(ra), ...Object.keys(rb)])].sort()) {
    differences(key in ra ? ra[key] : undefined, key in rb ? rb[key] : undefined, /^[A-Za-z_$][\w$]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`, out);
  }
  return out;
}

function capped(list: Difference[]): Difference[] {
  if (list.length <= MAX_PATHS) return list;
  return [...list.slice(0, MAX_PATHS), { path: `… ${list.length - MAX_PATHS} more differences` }];
}
