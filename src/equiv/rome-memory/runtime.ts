// The store and clock the runtime uses: process-wide, as ROME's driver is (lib/rome/driver/
// database_driver.py, get_driver). A test (or each simulated node) installs its own.
import { systemClock, type Clock } from './clock.js';
import { createMemoryStore, type Store } from './store.js';

let store: Store = createMemoryStore();
let clock: Clock = systemClock;

/** Makes `next` the store every session, query, entity and lock uses from now on. */
export function useStore(next: Store): void {
  store = next;
}

export function useClock(next: Clock): void {
  clock = next;
}

export function currentStore(): Store {
  return store;
}

export function currentClock(): Clock {
  return clock;
}

/**
 * ROME's own draws (a session's id, a lock owner's uuid, a lock's back-off jitter). By default the
 * global crypto and Math.random, as ROME's uuid1/random; a harness that seeds the service's draws
 * gives ROME a source of its own, so that ROME's draws do not shift the service's.
 */
let draws: { uuid(): string; random(): number } = { uuid: () => crypto.randomUUID(), random: () => Math.random() };

export function useDraws(next: { uuid(): string; random(): number }): void {
  draws = next;
}

export function romeUuid(): string {
  return draws.uuid();
}

export function romeRandom(): number {
  return draws.random();
}
