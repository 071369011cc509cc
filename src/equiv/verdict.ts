// The verdict of one scenario from its three runs: the SQL module, the SQL module with SQLite's
// unordered scans reversed, and the port (EQUIV.md §3-§4). Pure: the runs are data.
import type { Divergence, ScenarioResult } from '../report/equivalence-model.js';
import { acceptedBy, compare } from './compare.js';
import { canonical, normalise, unordered } from './normalise.js';
import type { RawOutcome } from './outcome.js';
import type { Accept } from './scenario.js';

export interface Runs {
  sql: RawOutcome;
  reversed: RawOutcome;
  rome: RawOutcome;
}

export type Found = Omit<ScenarioResult, 'file' | 'name' | 'replay'>;

export function verdictOf(runs: Runs, rules: Set<string>, accept: readonly Accept[] = []): Found {
  const { sql, reversed, rome } = runs;
  const asyncNow = awaitedCalls([sql], [rome]);
  const found = {
    calls: [...new Set([...sql.calls, ...rome.calls].map((c) => c.call))],
    locks: rome.locks,
    ...(asyncNow.length && rules.has('awaited') ? { awaited: asyncNow } : {}),
  };
  // a construct one side does not run: no verdict can be claimed
  const skipped = sql.unsupported ? { side: 'SQL', ...sql.unsupported } : reversed.unsupported ? { side: 'SQL', ...reversed.unsupported } : rome.unsupported ? { side: 'ROME', ...rome.unsupported } : undefined;
  if (skipped) return { ...found, verdict: 'skipped', reason: `${skipped.side} side${skipped.call ? `, at ${skipped.call}` : ''}: ${skipped.message}` };
  // the SQL module crashing (a TypeError, ...) on the reference is no behaviour to compare with:
  // a construct the reference lacks, most likely; the same crash on both sides proves nothing
  const crash = crashOf(sql);
  if (crash) return { ...found, verdict: 'skipped', reason: `the SQL side crashed${crash.call ? ` at ${crash.call}` : ''}: ${crash.name}: ${crash.message} (a construct the reference lacks?)` };

  let [a, r, b] = [normalise(sql, rules), normalise(reversed, rules), normalise(rome, rules)];
  if (canonical(a) !== canonical(r)) {
    if (!rules.has('unordered') || canonical(unordered(a)) !== canonical(unordered(r))) {
      return { ...found, verdict: 'order-dependent', reason: 'the SQL module answers differently when SQLite scans in reverse order: a result (first() without order_by?) depends on an order SQL does not promise' };
    }
    // only the order of lists changed: compare them as multisets
    [a, b] = [unordered(a), unordered(b)];
  }
  const divergences = compare(a, b).map((d) => withMessages(d, sql, rome));
  if (divergences.length === 0) return { ...found, verdict: 'equivalent' };
  const accepted = divergences.map((d) => acceptedBy(d, accept));
  if (accepted.every(Boolean)) {
    return { ...found, verdict: 'accepted', divergences, accepted: accepted.map((x) => ({ kind: x!.kind, ...(x!.call ? { call: x!.call } : {}), reason: x!.reason })) };
  }
  return { ...found, verdict: 'diverged', divergences };
}

/** What a JavaScript engine throws for broken code, as opposed to what the service raises. */
const CRASHES = new Set(['TypeError', 'ReferenceError', 'RangeError', 'SyntaxError', 'EvalError', 'URIError']);

export function crashOf(o: RawOutcome): { call?: string; name: string; message: string } | undefined {
  const call = o.calls.find((c) => c.error && CRASHES.has(c.error.name));
  if (call) return { call: call.call, ...call.error! };
  return o.threw && CRASHES.has(o.threw.name) ? o.threw : undefined;
}

/** An error divergence shows what each side's error said. */
export function withMessages(d: Divergence, sql: RawOutcome, rome: RawOutcome): Divergence {
  if (d.kind !== 'error') return d;
  const at = /^#(\d+) /.exec(d.call ?? '');
  const pick = (o: RawOutcome) => (at ? o.calls[Number(at[1]) - 1]?.error?.message : o.threw?.message);
  const messages = { ...(pick(sql) !== undefined ? { sql: pick(sql) } : {}), ...(pick(rome) !== undefined ? { rome: pick(rome) } : {}) };
  return Object.keys(messages).length ? { ...d, messages } : d;
}

/**
 * The functions the port made async: a ROME run's call answered a promise where an SQL run's call
 * at the same place, of the same function, answered a value (calls pair by position, as compared).
 */
export function awaitedCalls(sql: readonly RawOutcome[], rome: readonly RawOutcome[]): string[] {
  const names = new Set<string>();
  for (const o of rome) {
    o.calls.forEach((c, i) => {
      if (c.async && sql.some((s) => s.calls[i]?.call === c.call && !s.calls[i].async)) names.add(c.call);
    });
  }
  return [...names];
}
