// Time and sleeping, injectable so that a virtual clock can replace them (EQUIV.md §4: TTLs,
// ROME's back-off sleep and timestamps then run on virtual time).

export interface Clock {
  /** Milliseconds since the epoch (ROME reads time.time() and datetime.utcnow()). */
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};
