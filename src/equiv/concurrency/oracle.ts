// The verdict of a scenario with concurrent groups (EQUIV.md §4): the SQL module ran the groups
// in every serial order (the outcomes SQL allows); every outcome a ROME schedule gave must be one
// of those. A schedule that gives another is a divergence, shown against the closest allowed
// outcome. Pure: the runs are data.
import type { ConcurrencyRun, Divergence } from '../../report/equivalence-model.js';
import { acceptedBy, compare } from '../compare.js';
import { canonical, comparable, normalise, unordered } from '../normalise.js';
import type { LabeledOutcome, RawOutcome, SideRuns } from '../outcome.js';
import type { Accept } from '../scenario.js';
import { awaitedCalls, crashOf, withMessages, type Found } from '../verdict.js';

export interface ConcurrentRuns {
  sql: SideRuns;
  reversed: SideRuns;
  rome: SideRuns;
}

export interface OracleOptions {
  preemptions: number;
  latencyMs: number;
}

/** What the teeth run compares its lockless outcomes with (absent when teeth are moot: a divergence). */
export interface TeethAgainst {
  allowed: string[];
  rules: string[];
  unordered: boolean;
}

export function concurrentVerdictOf(runs: ConcurrentRuns, rules: Set<string>, accept: readonly Accept[], options: OracleOptions): Found & { teethAgainst?: TeethAgainst } {
  const { sql, reversed, rome } = runs;
  const all = [...sql.runs, ...reversed.runs, ...rome.runs].map((r) => r.outcome);
  const asyncNow = awaitedCalls(sql.runs.map((r) => r.outcome), rome.runs.map((r) => r.outcome));
  const found = {
    calls: [...new Set(all.flatMap((o) => o.calls.map((c) => c.call)))],
    locks: rome.runs[0]?.outcome.locks ?? [],
    ...(asyncNow.length && rules.has('awaited') ? { awaited: asyncNow } : {}),
  };
  const skippedAt = (side: string, list: LabeledOutcome[]) => {
    const hit = list.find((r) => r.outcome.unsupported);
    return hit ? { side, ...hit.outcome.unsupported! } : undefined;
  };
  const skipped = skippedAt('SQL', sql.runs) ?? skippedAt('SQL', reversed.runs) ?? skippedAt('ROME', rome.runs);
  if (skipped) return { ...found, verdict: 'skipped', reason: `${skipped.side} side${skipped.call ? `, at ${skipped.call}` : ''}: ${skipped.message}` };
  for (const r of sql.runs) {
    const crash = crashOf(r.outcome);
    if (crash) return { ...found, verdict: 'skipped', reason: `the SQL side crashed in the order ${r.label}${crash.call ? ` at ${crash.call}` : ''}: ${crash.name}: ${crash.message} (a construct the reference lacks?)` };
  }

  // each serial order against itself with the scans reversed: a result that changes depends on an
  // order SQL does not promise
  let asMultisets = false;
  for (const [k, r] of sql.runs.entries()) {
    const back = reversed.runs[k];
    const [a, b] = [normalise(r.outcome, rules), normalise(back.outcome, rules)];
    if (canonical(a) === canonical(b)) continue;
    if (!rules.has('unordered') || canonical(unordered(a)) !== canonical(unordered(b))) {
      return { ...found, verdict: 'order-dependent', reason: `in the serial order ${r.label}, the SQL module answers differently when SQLite scans in reverse order: a result depends on an order SQL does not promise` };
    }
    asMultisets = true;
  }
  const shape = (o: RawOutcome) => comparable(o, rules, asMultisets);
  const teethAgainst = { allowed: [...new Set(sql.runs.map((r) => canonical(shape(r.outcome))))], rules: [...rules], unordered: asMultisets };
  const allowed = sql.runs.map((r) => ({ label: r.label, raw: r.outcome, normal: shape(r.outcome) }));
  const allowedKeys = new Set(allowed.map((a) => canonical(a.normal)));
  const isAllowed = (o: RawOutcome) => allowedKeys.has(canonical(shape(o)));

  const failing = rome.runs.filter((r) => !isAllowed(r.outcome));
  const concurrency: ConcurrencyRun = {
    groups: sql.groups,
    orders: sql.runs.reduce((n, r) => n + r.count, 0),
    allowed: allowedKeys.size,
    schedules: rome.explored?.schedules ?? 1,
    exhaustive: rome.explored?.exhaustive ?? false,
    preemptions: options.preemptions,
    random: rome.explored?.random ?? 0,
    ...(rome.explored?.repetitions !== undefined ? { repetitions: rome.explored.repetitions } : {}),
    ...(rome.explored?.replayed !== undefined ? { replayed: rome.explored.replayed } : {}),
    outcomes: rome.runs.length,
    divergedSchedules: failing.reduce((n, r) => n + r.count, 0),
    latencyMs: options.latencyMs,
    // teeth are looked for afterwards (run.ts: `allowedKeys` for the lockless schedules)
    locks: rome.locksTaken ? 'not-checked' : 'none',
  };
  if (failing.length === 0) return { ...found, verdict: 'equivalent', concurrency, teethAgainst };

  // the first schedule (in the order they ran) that SQL does not allow, against the closest allowed outcome
  const first = failing[0];
  const b = shape(first.outcome);
  const closest = allowed.map((a) => ({ a, d: compare(a.normal, b) })).sort((x, y) => weight(x.d) - weight(y.d))[0];
  const expired = [...new Set(first.outcome.locks.filter((l) => l.startsWith('expired ')).map((l) => l.slice('expired '.length)))];
  const divergences: Divergence[] = closest.d.map((d) => ({
    ...endOf(withMessages(d, closest.a.raw, first.outcome), first.outcome),
    schedule: first.label,
    closestOrder: closest.a.label,
    ...(expired.length ? { expiredLocks: expired } : {}),
  }));
  const accepted = divergences.map((d) => acceptedBy(d, accept));
  if (accepted.every(Boolean)) {
    return { ...found, verdict: 'accepted', divergences, accepted: accepted.map((x) => ({ kind: x!.kind, ...(x!.call ? { call: x!.call } : {}), reason: x!.reason })), concurrency, teethAgainst };
  }
  return { ...found, verdict: 'diverged', divergences, concurrency };
}

/** How far apart two outcomes are: differing paths, a differing call counting more than a table cell. */
function weight(ds: Divergence[]): number {
  return ds.reduce((n, d) => n + d.differences.length * (d.kind === 'store' ? 1 : 2), 0);
}

/** A schedule that ended in a hang or a livelock says so in its kind. */
function endOf(d: Divergence, rome: RawOutcome): Divergence {
  const end = rome.threw?.name;
  if (d.call === 'the scenario itself' && (end === 'Hang' || end === 'Livelock')) return { ...d, kind: end === 'Hang' ? 'hang' : 'livelock' };
  return d;
}
