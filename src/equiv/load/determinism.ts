// What the service's code draws from the world is the same on every run of a scenario and on
// both sides (EQUIV.md §4: `Date`, `Math.random`, `crypto.randomUUID` virtual and seeded): the
// same seed gives the same UUIDs in the same order, so a table ordered by a generated key, or a
// report, does not change from run to run.
import type { VirtualTime } from '../concurrency/scheduler.js';
import { prng } from '../prng.js';

const RealDate = Date;
const realSetTimeout = globalThis.setTimeout;
const realClearTimeout = globalThis.clearTimeout;
/** The virtual clock starts here and moves 1 ms at each reading, so times still increase. */
const EPOCH = RealDate.UTC(2026, 0, 1);

/** Where a concurrent group's timers go instead (the scheduler): undefined when it takes none. */
export interface TimerSink {
  timer(fire: () => void, ms: number): object | undefined;
  clear(handle: unknown): boolean;
}

let now = EPOCH;
let sink: TimerSink | undefined;

/** The virtual clock, as the scheduler moves it (reading it does not tick). */
export const virtualTime: VirtualTime = {
  now: () => now,
  advanceTo: (t) => {
    now = Math.max(now, t);
  },
};

/** Timers set inside a concurrent group go to `next` (the group's scheduler). */
export function useTimerSink(next: TimerSink | undefined): void {
  sink = next;
}

const tick = () => now++;

// one class for every run of the worker: a date made while a scenario loaded (its seed rows) is
// still an instance of `Date` when a later run reset the clock
class VirtualDate extends RealDate {
  constructor(...args: unknown[]) {
    if (args.length === 0) super(tick());
    else super(...(args as [string | number | Date]));
  }
  static now(): number {
    return tick();
  }
}

/**
 * Installs seeded randomness and a virtual clock for one scenario run (process-wide in the worker).
 * `realTimers` (a real store: `--rome redis://…`): a sleep takes its real delay, since the store's
 * lock TTLs run on real time and a back-off must wait as long against them; the virtual clock
 * still moves by the delay, so `Date` reads as it does on the in-memory ROME.
 */
export function determinise(seed: number, realTimers = false): void {
  now = EPOCH;
  seedDraws(seed);
  globalThis.Date = VirtualDate as DateConstructor;
  // a sleep moves the virtual clock by its delay and ends at once: a lock's TTL, a retry's back-off
  // and the service's own sleeps take no wall time and the same virtual time on every run (timers
  // fire in the order they were set: a sequential scenario has one task). Inside a concurrent
  // group the scheduler fires them, when their time comes on its clock.
  globalThis.setTimeout = ((fn: (...args: unknown[]) => void, ms = 0, ...args: unknown[]) => {
    const delay = Math.max(0, Number(ms) || 0);
    const scheduled = sink?.timer(() => fn(...args), delay);
    if (scheduled) return scheduled;
    const due = now + delay;
    return realSetTimeout(
      () => {
        now = Math.max(now, due);
        fn(...args);
      },
      realTimers ? delay : 0,
    );
  }) as typeof setTimeout;
  globalThis.clearTimeout = ((handle: unknown) => {
    if (sink?.clear(handle)) return;
    realClearTimeout(handle as NodeJS.Timeout);
  }) as typeof clearTimeout;
}

/**
 * `Math.random` and `crypto.randomUUID` from `seed`, the clock left as it is: a node process of a
 * concurrent group on a real store draws from a seed of its call's own, so that two nodes that
 * replayed the same setup do not draw the same UUIDs.
 */
export function seedDraws(seed: number): void {
  const random = prng(seed);
  Math.random = random;
  const hex = (n: number) => Array.from({ length: n }, () => Math.floor(random() * 16).toString(16)).join('');
  const uuid = () => `${hex(8)}-${hex(4)}-4${hex(3)}-${'89ab'[Math.floor(random() * 4)]}${hex(3)}-${hex(12)}` as `${string}-${string}-${string}-${string}-${string}`;
  Object.defineProperty(globalThis.crypto, 'randomUUID', { value: uuid, configurable: true, writable: true });
}
