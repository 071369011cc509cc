// What the service's code draws from the world is the same on every run of a scenario and on
// both sides (EQUIV.md §4: `Date`, `Math.random`, `crypto.randomUUID` virtual and seeded): the
// same seed gives the same UUIDs in the same order, so a table ordered by a generated key, or a
// report, does not change from run to run.

/** mulberry32: a small, well-known 32-bit PRNG; enough for reproducible draws (not for secrets). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const RealDate = Date;
const realSetTimeout = globalThis.setTimeout;
/** The virtual clock starts here and moves 1 ms at each reading, so times still increase. */
const EPOCH = RealDate.UTC(2026, 0, 1);

/** Installs seeded randomness and a virtual clock for one scenario run (process-wide in the worker). */
export function determinise(seed: number): void {
  const random = prng(seed);
  let now = EPOCH;
  const tick = () => now++;
  Math.random = random;
  const hex = (n: number) => Array.from({ length: n }, () => Math.floor(random() * 16).toString(16)).join('');
  const uuid = () => `${hex(8)}-${hex(4)}-4${hex(3)}-${'89ab'[Math.floor(random() * 4)]}${hex(3)}-${hex(12)}` as `${string}-${string}-${string}-${string}-${string}`;
  Object.defineProperty(globalThis.crypto, 'randomUUID', { value: uuid, configurable: true, writable: true });
  class VirtualDate extends RealDate {
    constructor(...args: unknown[]) {
      if (args.length === 0) super(tick());
      else super(...(args as [string | number | Date]));
    }
    static now(): number {
      return tick();
    }
  }
  globalThis.Date = VirtualDate as DateConstructor;
  // a sleep moves the virtual clock by its delay and ends at once: a lock's TTL, a retry's back-off
  // and the service's own sleeps take no wall time and the same virtual time on every run (timers
  // fire in the order they were set: a sequential scenario has one task)
  globalThis.setTimeout = ((fn: (...args: unknown[]) => void, ms = 0, ...args: unknown[]) => {
    const due = now + Math.max(0, Number(ms) || 0);
    return realSetTimeout(() => {
      now = Math.max(now, due);
      fn(...args);
    }, 0);
  }) as typeof setTimeout;
}
