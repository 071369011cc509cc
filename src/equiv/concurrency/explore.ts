// Which schedules a concurrent scenario runs (EQUIV.md §4): every schedule with at most P
// preemptions, depth first, up to a cap; then seeded random schedules (PCT: random task
// priorities with P priority drops at random steps) for the rest of the budget. A schedule is
// named by its choices (a replay token): the same token runs the same schedule.
import { prng } from '../prng.js';
import type { Choice, Chooser } from './scheduler.js';

export interface ExploreOptions {
  /** Preemptions per schedule in the exhaustive part (default 2). */
  preemptions: number;
  /** Schedules per scenario in all (the CLI default is 10000). */
  schedules: number;
  /** Seed of the random part. */
  seed: number;
  /** Asked after each schedule: true ends the exploration (something was found). */
  stop?: () => boolean;
}

export interface Explored {
  /** Schedules run. */
  schedules: number;
  /** Every schedule with at most `preemptions` preemptions was run. */
  exhaustive: boolean;
  /** Of `schedules`, how many were random (PCT). */
  random: number;
}

/** Runs one schedule: the chooser decides each choice point; answers the trace. */
export type RunSchedule = (choose: Chooser) => Promise<Choice[]>;

/**
 * The chooser of a prefix: the prefix's choices first, then the running task while it can step,
 * else the first ready task (no preemption beyond the prefix).
 */
export function prefixChooser(prefix: readonly number[]): Chooser {
  return (enabled, last, point) => (point < prefix.length ? prefix[point] : (last ?? enabled[0]));
}

export async function explore(run: RunSchedule, options: ExploreOptions): Promise<Explored> {
  let schedules = 0;
  // depth first: alternatives of later choice points are tried first, each prefix once
  const stack: number[][] = [[]];
  const stopped = () => options.stop?.() === true;
  // the most choice points a run had: where PCT's priority drops can fall
  let longest = 0;
  while (stack.length > 0 && schedules < options.schedules && !stopped()) {
    const prefix = stack.pop()!;
    const trace = await run(prefixChooser(prefix));
    schedules++;
    longest = Math.max(longest, trace.length);
    const branches: number[][] = [];
    for (let i = prefix.length; i < trace.length; i++) {
      const c = trace[i];
      for (const alt of c.enabled) {
        if (alt === c.chosen) continue;
        const cost = c.preemptionsBefore + (c.last !== undefined && alt !== c.last ? 1 : 0);
        if (cost <= options.preemptions) branches.push([...trace.slice(0, i).map((x) => x.chosen), alt]);
      }
    }
    // pushed so that the earliest branch is popped last: the walk goes deep first
    stack.push(...branches);
  }
  const exhaustive = stack.length === 0 && !stopped();
  let random = 0;
  if (exhaustive) {
    // the rest of the budget, but no more random schedules than the exhaustive part ran
    const budget = Math.min(options.schedules - schedules, schedules);
    for (let k = 0; k < budget && !stopped(); k++) {
      await run(pctChooser(options.seed + k, options.preemptions, Math.max(1, longest)));
      schedules++;
      random++;
    }
  }
  return { schedules, exhaustive, random };
}

/**
 * PCT (Burckhardt et al., 2010): each task a random priority; the highest-priority ready task
 * steps; at `drops` random choice points (of the first `points`) the running task's priority falls
 * below every other. Only a choice point can change the schedule, so the drops fall on them.
 */
export function pctChooser(seed: number, drops: number, points: number): Chooser {
  const random = prng(seed);
  const priority = new Map<number, number>();
  const dropAt = new Set(Array.from({ length: drops }, () => Math.floor(random() * points)));
  let lowest = 0;
  return (enabled, last, point) => {
    for (const t of enabled) if (!priority.has(t)) priority.set(t, 1 + random());
    if (last !== undefined && dropAt.has(point)) priority.set(last, (lowest -= 1));
    return enabled.reduce((best, t) => (priority.get(t)! > priority.get(best)! ? t : best));
  };
}

/** A schedule as text: its choices, in base 36, dot-separated (`-` for a run with no choice). */
export function tokenOf(trace: readonly Choice[]): string {
  return trace.length === 0 ? '-' : trace.map((c) => c.chosen.toString(36)).join('.');
}

export function parseToken(token: string): number[] {
  if (token === '-') return [];
  if (!/^[0-9a-z]+(\.[0-9a-z]+)*$/.test(token)) throw new Error(`not a schedule token: '${token}' (it is the text after --replay in a divergence's replay command)`);
  return token.split('.').map((s) => parseInt(s, 36));
}
