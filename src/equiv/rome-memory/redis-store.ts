// The Store on a real Redis or Redis Cluster (ioredis): the same operations as the in-memory
// store, each one Redis command on one key, with the layout the runtime writes (driver.ts,
// lock.ts): a hash per table of JSON rows, counters `nextkey:<table>`, ROME's lock hash `lock`.
// Every key is under `prefix`, so a test, a scenario or a service can share a server and remove
// only its own keys. Under a prefix, the names get hash tags (`<prefix>{<table>}`,
// `<prefix>nextkey:{<table>}`, `<prefix>lock:{<name>}`): a table's hash and its counter share a
// cluster slot, and a node and a cluster have one layout; prefix '' stays ROME's untagged layout.
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import type { Store } from './store.js';

export interface RedisStoreOptions {
  /**
   * redis://[[user]:password@]host:port[/db] for one node, or
   * redis+cluster://[[user]:password@]host:port[,host:port...] for a Redis Cluster (the nodes to
   * start from; the others are discovered); ignored when `client` is given.
   * Default redis://127.0.0.1:6379.
   */
  url?: string;
  /** An ioredis client or Cluster to use (the store does not close it). */
  client?: Redis | Cluster;
  /**
   * Put before every key (e.g. 'svc:'), the names then hash-tagged; '' is ROME's own layout
   * (untagged), which clear() refuses.
   */
  prefix?: string;
  /**
   * ClusterLock on this store: 'owner' (default) takes owner-token locks (SET NX PX, release by a
   * compare-and-delete script); 'rome' runs ROME's DLM on the hash `lock`, as the in-memory ROME.
   */
  locks?: 'owner' | 'rome';
  /** Passed to ioredis when the store makes its own client (to each node's client on a cluster). */
  redis?: RedisOptions;
  /** Passed to ioredis's Cluster when the store makes its own for a redis+cluster:// URL. */
  cluster?: ClusterOptions;
}

/**
 * A redis+cluster:// URL's start-up nodes and credentials. The scheme is port-db's: ioredis's
 * Cluster takes a list of nodes, and a service's configuration wants one string.
 */
export function parseClusterUrl(url: string): { nodes: Array<{ host: string; port: number }>; username?: string; password?: string } {
  const match = /^redis\+cluster:\/\/(?:([^@]*)@)?([^/?#@]+)\/?$/.exec(url);
  if (!match) throw new Error(`not a redis+cluster://[[user]:password@]host:port[,host:port...] URL (a cluster has no database number): ${url}`);
  const nodes = match[2].split(',').map((address) => {
    const node = /^(.+):(\d+)$/.exec(address);
    if (!node) throw new Error(`a cluster node needs host:port, not '${address}' in ${url}`);
    return { host: node[1].replace(/^\[(.*)\]$/, '$1'), port: Number(node[2]) };
  });
  const credentials: { username?: string; password?: string } = {};
  if (match[1] !== undefined) {
    // as in a URL: user[:password], either part may be empty
    const [user, ...password] = match[1].split(':');
    if (user !== '') credentials.username = decodeURIComponent(user);
    if (password.length > 0) credentials.password = decodeURIComponent(password.join(':'));
  }
  return { nodes, ...credentials };
}

/** The owner-token locks: `<prefix>lock:{<name>}` = token, expiring after the TTL (PX). */
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end`;

export class RedisStore implements Store {
  readonly locks: 'owner' | 'rome';
  readonly prefix: string;
  readonly client: Redis | Cluster;
  private readonly ownsClient: boolean;

  constructor(options: RedisStoreOptions = {}) {
    this.prefix = options.prefix ?? '';
    this.locks = options.locks ?? 'owner';
    this.ownsClient = !options.client;
    this.client = options.client ?? connect(options);
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
    return (await this.client.set(this.lockKey(name), token, 'PX', Math.max(1, Math.ceil(ttlMs)), 'NX')) === 'OK';
  }

  async lockRelease(name: string, token: string): Promise<boolean> {
    // one key, so on a cluster the script runs on the node of that key's slot
    const client = this.client as (Redis | Cluster) & { romeLockRelease(key: string, token: string): Promise<number> };
    return (await client.romeLockRelease(this.lockKey(name), token)) === 1;
  }

  /** Every hash and counter under the prefix, as MemoryStore.dump() shows them (tests, outcome dumps). */
  async dump(): Promise<{ hashes: Record<string, Record<string, string>>; counters: Record<string, number> }> {
    const hashes: Record<string, Record<string, string>> = {};
    const counters: Record<string, number> = {};
    // in the order of the untagged names, as MemoryStore's (a tag's `}` would sort `{ab}` before `{a}`)
    const named = (await this.ownKeys()).map((key) => [this.untagged(key.slice(this.prefix.length)), key] as const);
    for (const [name, key] of named.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      const type = await this.client.type(key);
      // fields sorted: a hash of long values (over hash-max-listpack-value) keeps no order
      if (type === 'hash') hashes[name] = Object.fromEntries(Object.entries(await this.client.hgetall(key)).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
      else if (type === 'string' && name.startsWith('nextkey:')) counters[name] = Number(await this.client.get(key));
    }
    return { hashes, counters };
  }

  /** Removes every key under the prefix (SCAN + DEL; on a cluster, every master's, one DEL per key), and no other. */
  async clear(): Promise<void> {
    if (this.prefix === '') throw new Error('RedisStore.clear() needs a prefix: without one it would remove every key of the database');
    const keys = await this.ownKeys();
    for (let i = 0; i < keys.length; i += 500) {
      const batch = keys.slice(i, i + 500);
      // a cluster refuses a DEL of keys in different slots
      if (this.client.isCluster) await Promise.all(batch.map((key) => this.client.del(key)));
      else await this.client.del(...batch);
    }
  }

  /** Closes the connection if the store opened it. */
  async close(): Promise<void> {
    if (this.ownsClient) await this.client.quit();
  }

  /**
   * The key of a table's hash (or the lock hash) or of a counter. Under a prefix the table is the
   * hash tag, so `<table>` and `nextkey:<table>` land in one slot; prefix '' is ROME's layout.
   */
  private key(name: string): string {
    if (this.prefix === '') return name;
    const counter = /^nextkey:(.*)$/s.exec(name);
    return counter ? `${this.prefix}nextkey:{${counter[1]}}` : `${this.prefix}{${name}}`;
  }

  /** An owner-token lock's key, tagged by the lock's name. */
  private lockKey(name: string): string {
    return this.prefix === '' ? `lock:${name}` : `${this.prefix}lock:{${name}}`;
  }

  /** The store's name for a key under the prefix (what key() and lockKey() made it from). */
  private untagged(name: string): string {
    if (this.prefix === '') return name;
    const tagged = /^(nextkey:|lock:)?\{(.*)\}$/s.exec(name);
    return tagged ? (tagged[1] ?? '') + tagged[2] : name;
  }

  private async ownKeys(): Promise<string[]> {
    // MATCH is a glob: the prefix's own *, ?, [ and \ must match themselves
    const match = `${this.prefix.replace(/[*?[\]\\]/g, '\\$&')}*`;
    const keys = new Set<string>();
    // SCAN on a cluster sees one node's keys: ask every master
    const nodes = this.client.isCluster ? await masters(this.client as Cluster) : [this.client as Redis];
    for (const node of nodes) {
      let cursor = '0';
      do {
        const [next, batch] = await node.scan(cursor, 'MATCH', match, 'COUNT', 1000);
        for (const key of batch) keys.add(key);
        cursor = next;
      } while (cursor !== '0');
    }
    return [...keys];
  }
}

function connect(options: RedisStoreOptions): Redis | Cluster {
  const url = options.url ?? 'redis://127.0.0.1:6379';
  if (!url.startsWith('redis+cluster://')) return new Redis(url, options.redis ?? {});
  const { nodes, ...credentials } = parseClusterUrl(url);
  return new Cluster(nodes, { ...options.cluster, redisOptions: { ...options.redis, ...credentials, ...options.cluster?.redisOptions } });
}

/** A cluster's masters. A new Cluster knows none until it has loaded the slot map: a command waits for that. */
async function masters(cluster: Cluster): Promise<Redis[]> {
  if (cluster.status !== 'ready') await cluster.ping();
  return cluster.nodes('master');
}
