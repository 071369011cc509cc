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
