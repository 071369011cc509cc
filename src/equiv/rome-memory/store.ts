// The one place every store operation of the in-memory ROME goes through. It has the shape of
// the Redis commands ROME's driver and DLM issue (lib/rome/driver/redis/driver.py: HGET, HMGET,
// HSET, HDEL, HKEYS, INCR on a hash per table; lib/rome/driver/redis/lock.py: HSETNX, HMGET,
// HDEL on the hash `lock`), so that a Redis implementation and a scheduler that interleaves
// concurrent calls at each operation can stand in for the Map-based one below.

/** A key/value store with Redis hash and counter semantics; values are strings (JSON rows). */
export interface Store {
  hget(hash: string, field: string): Promise<string | null>;
  hmget(hash: string, fields: readonly string[]): Promise<Array<string | null>>;
  hset(hash: string, field: string, value: string): Promise<void>;
  /** Sets the field only if it is absent; answers whether it did (Redis HSETNX). */
  hsetnx(hash: string, field: string, value: string): Promise<boolean>;
  /** Answers how many fields were removed. */
  hdel(hash: string, fields: readonly string[]): Promise<number>;
  hkeys(hash: string): Promise<string[]>;
  hgetall(hash: string): Promise<Record<string, string>>;
  /** Adds one to a counter (absent = 0) and answers the new value (Redis INCR). */
  incr(key: string): Promise<number>;
  /**
   * Which locks ClusterLock takes on this store (lock.ts): 'rome' is ROME's DLM on the hash
   * `lock` (what equiv compares against, so the in-memory store keeps it); 'owner' is the
   * primitive below, safe on a real store shared by several nodes.
   */
  readonly locks: 'rome' | 'owner';
  /**
   * Takes the lock `name` for `token` if nobody holds it; it expires by itself after `ttlMs`
   * (Redis SET NX PX). `token` is new per acquisition, so an expired holder is no owner anymore.
   */
  lockAcquire(name: string, token: string, ttlMs: number): Promise<boolean>;
  /** Releases `name` only if `token` still holds it, atomically; answers whether it did. */
  lockRelease(name: string, token: string): Promise<boolean>;
}

/** Every operation of a Store: what a wrapper must pass through. */
export const STORE_OPERATIONS = ['hget', 'hmget', 'hset', 'hsetnx', 'hdel', 'hkeys', 'hgetall', 'incr', 'lockAcquire', 'lockRelease'] as const;
export type StoreOperation = (typeof STORE_OPERATIONS)[number];

/**
 * `store` with every operation run through `around` (its name, its arguments, and the call
 * itself): the one way a wrapper (equiv's lock log, the scheduler) sees them all, so that an
 * operation added to the Store cannot be missed by one of them.
 */
export function aroundOperations(store: Store, around: (op: StoreOperation, args: unknown[], call: () => Promise<unknown>) => Promise<unknown>): Store {
  const wrapped: Record<string, unknown> = { locks: store.locks };
  for (const op of STORE_OPERATIONS) {
    const method = store[op] as (...args: unknown[]) => Promise<unknown>;
    wrapped[op] = (...args: unknown[]) => around(op, args, () => method.apply(store, args));
  }
  return wrapped as unknown as Store;
}

/**
 * The in-memory store: one Map per hash, one number per counter. Its ClusterLock is ROME's
 * (locks = 'rome'); the owner-token primitive is here too, kept apart from the hashes so that
 * dump() and equiv's outcomes do not see it. `now` times its TTLs (a store has no runtime clock:
 * runtime.ts imports this module).
 */
export class MemoryStore implements Store {
  readonly locks = 'rome' as const;
  private readonly hashes = new Map<string, Map<string, string>>();
  private readonly counters = new Map<string, number>();
  private readonly ownerLocks = new Map<string, { token: string; expiresAt: number }>();
  private readonly now: () => number;

  constructor(options: { now?: () => number } = {}) {
    this.now = options.now ?? Date.now;
  }

  async hget(hash: string, field: string): Promise<string | null> {
    return this.hashes.get(hash)?.get(field) ?? null;
  }

  async hmget(hash: string, fields: readonly string[]): Promise<Array<string | null>> {
    const map = this.hashes.get(hash);
    return fields.map((field) => map?.get(field) ?? null);
  }

  async hset(hash: string, field: string, value: string): Promise<void> {
    this.hashOf(hash).set(field, value);
  }

  async hsetnx(hash: string, field: string, value: string): Promise<boolean> {
    const map = this.hashOf(hash);
    if (map.has(field)) return false;
    map.set(field, value);
    return true;
  }

  async hdel(hash: string, fields: readonly string[]): Promise<number> {
    const map = this.hashes.get(hash);
    let removed = 0;
    for (const field of fields) if (map?.delete(field)) removed++;
    return removed;
  }

  async hkeys(hash: string): Promise<string[]> {
    return [...(this.hashes.get(hash)?.keys() ?? [])];
  }

  async hgetall(hash: string): Promise<Record<string, string>> {
    return Object.fromEntries(this.hashes.get(hash) ?? []);
  }

  async incr(key: string): Promise<number> {
    const next = (this.counters.get(key) ?? 0) + 1;
    this.counters.set(key, next);
    return next;
  }

  async lockAcquire(name: string, token: string, ttlMs: number): Promise<boolean> {
    const held = this.ownerLocks.get(name);
    if (held && held.expiresAt > this.now()) return false;
    this.ownerLocks.set(name, { token, expiresAt: this.now() + ttlMs });
    return true;
  }

  async lockRelease(name: string, token: string): Promise<boolean> {
    const held = this.ownerLocks.get(name);
    if (!held || held.token !== token || held.expiresAt <= this.now()) return false;
    this.ownerLocks.delete(name);
    return true;
  }

  /** Every hash and counter, for tests and outcome dumps (not a store operation ROME issues). */
  dump(): { hashes: Record<string, Record<string, string>>; counters: Record<string, number> } {
    const hashes: Record<string, Record<string, string>> = {};
    for (const [name, map] of [...this.hashes].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) hashes[name] = Object.fromEntries(map);
    return { hashes, counters: Object.fromEntries(this.counters) };
  }

  private hashOf(hash: string): Map<string, string> {
    let map = this.hashes.get(hash);
    if (!map) this.hashes.set(hash, (map = new Map()));
    return map;
  }
}

export function createMemoryStore(options: { now?: () => number } = {}): MemoryStore {
  return new MemoryStore(options);
}
