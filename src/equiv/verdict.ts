// The verdict of one scenario from its three runs: the SQL module, the SQL module with SQLite's
// unordered scans reversed, and the port (EQUIV.md §3-§4). Pure: the runs are data.
import type { ScenarioResult } from '../report/equivalence-model.js';
import { acceptedBy, compare } from './compare.js';
import { canonical, normalise, unordered } from './normalise.js';
import type { RawOutcome } from './outcome.js';
import type { Accept } from './scenario.js';

export interface Runs {
  sql: RawOutcome;
  reversed: RawOutcome;
  rome: RawOutcome;
}

type Found = Omit<ScenarioResult, 'file' | 'name' | 'replay'>;

export function verdictOf(runs: Runs, rules: Set<string>, accept: readonly Accept[] = []): Found {
  const { sql, reversed, rome } = runs;
  const found = { calls: [...new Set([...sql.calls, ...rome.calls].map((c) => c.call))], locks: rome.locks };
  // a construct one side does not run: no verdict can be claimed
  const skipped = sql.unsupported ? { side: 'SQL', ...sql.unsupported } : reversed.unsupported ? { side: 'SQL', ...reversed.unsupported } : rome.unsupported ? { side: 'ROME', ...rome.unsupported } : undefined;
  if (skipped) return { ...found, verdict: 'skipped', reason: `${skipped.side} side${skipped.call ? `, at ${skipped.call}` : ''}: ${skipped.message}` };

  let [a, r, b] = [normalise(sql, rules), normalise(reversed, rules), normalise(rome, rules)];
  if (canonical(a) !== canonical(r)) {
    if (!rules.has('unordered') || canonical(unordered(a)) !== canonical(unordered(r))) {
      return { ...found, verdict: 'order-dependent', reason: 'the SQL module answers differently when SQLite scans in reverse order: a result (first() without order_by?) depends on an order SQL does not promise' };
    }
    // only the order of lists changed: compare them as multisets
    [a, b] = [unordered(a), unordered(b)];
  }
  const divergences = compare(a, b);
  if (divergences.length === 0) return { ...found, verdict: 'equivalent' };
  const accepted = divergences.map((d) => acceptedBy(d, accept));
  if (accepted.every(Boolean)) {
    return { ...found, verdict: 'accepted', divergences, accepted: accepted.map((x) => ({ kind: x!.kind, ...(x!.call ? { call: x!.call } : {}), reason: x!.reason })) };
  }
  return { ...found, verdict: 'diverged', divergences };
}
