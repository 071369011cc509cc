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
}

/** The in-memory store: one Map per hash, one number per counter. */
export class MemoryStore implements Store {
  private readonly hashes = new Map<string, Map<string, string>>();
  private readonly counters = new Map<string, number>();

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

export function createMemoryStore(): MemoryStore {
  return new MemoryStore();
}
