// The Store on a real Redis (ioredis): the same operations as the in-memory store, each one Redis
// command, with the layout the runtime writes (driver.ts, lock.ts): a hash per table of JSON rows,
// counters `nextkey:<table>`, ROME's lock hash `lock`. Every key is under `prefix`, so a test, a
// scenario or a service can share a server and remove only its own keys.
import { Redis, type RedisOptions } from 'ioredis';
import type { Store } from './store.js';

export interface RedisStoreOptions {
  /** redis://host:port[/db]; ignored when `client` is given. Default redis://127.0.0.1:6379. */
  url?: string;
  /** An ioredis client to use (the store does not close it). */
  client?: Redis;
  /** Put before every key (e.g. 'svc:'); '' is ROME's own layout, which clear() refuses. */
  prefix?: string;
  /**
   * ClusterLock on this store: 'owner' (default) takes owner-token locks (SET NX PX, release by a
   * compare-and-delete script); 'rome' runs ROME's DLM on the hash `lock`, as the in-memory ROME.
   */
  locks?: 'owner' | 'rome';
  /** Passed to ioredis when the store makes its own client. */
  redis?: RedisOptions;
}

/** The owner-token locks: `<prefix>lock:<name>` = token, expiring after the TTL (PX). */
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end`;

export class RedisStore implements Store {
  readonly locks: 'owner' | 'rome';
  readonly prefix: string;
  readonly client: Redis;
  private readonly ownsClient: boolean;

  constructor(options: RedisStoreOptions = {}) {
    this.prefix = options.prefix ?? '';
    this.locks = options.locks ?? 'owner';
    this.ownsClient = !options.client;
    this.client = options.client ?? new Redis(options.url ?? 'redis://127.0.0.1:6379', options.redis ?? {});
    // EVALSHA of the script, loaded on first use (a client passed in may already have it)
    if (!('romeLockRelease' in this.client)) this.client.defineCommand('romeLockRelease', { numberOfKeys: 1, lua: RELEASE });
  }

  async hget(hash: string, field: string): Promise<string | null> {
    return this.client.hget(this.key(hash), field);
  }

  async hmget(hash: string, fields: readonly string[]): Promise<Array<string | null>> {
    // Redis refuses HMGET with no field; the answer is known
    if (fields.length === 0) return [];
    return this.client.hmget(this.key(hash), ...fields);
  }

  async hset(hash: string, field: string, value: string): Promise<void> {
    await this.client.hset(this.key(hash), field, value);
  }

  async hsetnx(hash: string, field: string, value: string): Promise<boolean> {
    return (await this.client.hsetnx(this.key(hash), field, value)) === 1;
  }

  async hdel(hash: string, fields: readonly string[]): Promise<number> {
    // ROME's lock() issues an HDEL of no key (lock.py:268); Redis refuses it
    if (fields.length === 0) return 0;
    return this.client.hdel(this.key(hash), ...fields);
  }

  async hkeys(hash: string): Promise<string[]> {
    return this.client.hkeys(this.key(hash));
  }

  async hgetall(hash: string): Promise<Record<string, string>> {
    return this.client.hgetall(this.key(hash));
  }

  async incr(key: string): Promise<number> {
    return this.client.incr(this.key(key));
  }

  async lockAcquire(name: string, token: string, ttlMs: number): Promise<boolean> {
    return (await this.client.set(this.key(`lock:${name}`), token, 'PX', Math.max(1, Math.ceil(ttlMs)), 'NX')) === 'OK';
  }

  async lockRelease(name: string, token: string): Promise<boolean> {
    const client = this.client as Redis & { romeLockRelease(key: string, token: string): Promise<number> };
    return (await client.romeLockRelease(this.key(`lock:${name}`), token)) === 1;
  }

  /** Every hash and counter under the prefix, as MemoryStore.dump() shows them (tests, outcome dumps). */
  async dump(): Promise<{ hashes: Record<string, Record<string, string>>; counters: Record<string, number> }> {
    const hashes: Record<string, Record<string, string>> = {};
    const counters: Record<string, number> = {};
    for (const key of (await this.ownKeys()).sort()) {
      const name = key.slice(this.prefix.length);
      const type = await this.client.type(key);
      // fields sorted: a hash of long values (over hash-max-listpack-value) keeps no order
      if (type === 'hash') hashes[name] = Object.fromEntries(Object.entries(await this.client.hgetall(key)).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
      else if (type === 'string' && name.startsWith('nextkey:')) counters[name] = Number(await this.client.get(key));
    }
    return { hashes, counters };
  }

  /** Removes every key under the prefix (SCAN + DEL), and no other. */
  async clear(): Promise<void> {
    if (this.prefix === '') throw new Error('RedisStore.clear() needs a prefix: without one it would remove every key of the database');
    const keys = await this.ownKeys();
    for (let i = 0; i < keys.length; i += 500) await this.client.del(...keys.slice(i, i + 500));
  }

  /** Closes the connection if the store opened it. */
  async close(): Promise<void> {
    if (this.ownsClient) await this.client.quit();
  }

  private key(name: string): string {
    return this.prefix + name;
  }

  private async ownKeys(): Promise<string[]> {
    // MATCH is a glob: the prefix's own *, ?, [ and \ must match themselves
    const match = `${this.prefix.replace(/[*?[\]\\]/g, '\\$&')}*`;
    const keys = new Set<string>();
    let cursor = '0';
    do {
      const [next, batch] = await this.client.scan(cursor, 'MATCH', match, 'COUNT', 1000);
      for (const key of batch) keys.add(key);
      cursor = next;
    } while (cursor !== '0');
    return [...keys];
  }
}
