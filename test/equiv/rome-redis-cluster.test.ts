// ROME on a 3-master Redis Cluster of the test's own: every ROME behaviour test (rome-behaviour.ts,
// with ROME's locks, as on one node), and the store itself there: keys spread over the masters, a
// table's hash and counter in one slot, the prefix kept on every master, owner-token locks.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Cluster, Redis } from 'ioredis';
import { ClusterLock, Column, Entity, Integer, RomeSession, String, systemClock, useClock, useStore } from '../../src/equiv/rome-memory/index.js';
import { RedisStore, parseClusterUrl } from '../../src/equiv/rome-memory/redis-store.js';
import { startRedisCluster, type TestRedisCluster } from '../../scripts/redis-servers.mjs';
import { romeBehaviour } from './rome-behaviour.js';

let cluster: TestRedisCluster;
let client: Cluster;

beforeAll(async () => {
  cluster = await startRedisCluster({ masters: 3 });
  client = new Cluster(cluster.nodes);
});

afterAll(async () => {
  await client?.quit();
  await cluster?.stop();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Each master's keys, by port (SCAN on one node sees that node's keys only). */
async function keysByMaster(): Promise<Map<number, string[]>> {
  const byPort = new Map<number, string[]>();
  for (const node of client.nodes('master')) byPort.set(node.options.port!, (await node.keys('*')).sort());
  return byPort;
}

async function allKeys(): Promise<string[]> {
  return [...(await keysByMaster()).values()].flat().sort();
}

romeBehaviour({
  name: 'a Redis Cluster',
  fresh: async () => {
    const store = new RedisStore({ client, prefix: 'behaviour:', locks: 'rome' });
    await store.clear();
    return store;
  },
});

class Item extends Entity {
  static __tablename__ = 'items';
  static id = Column(Integer, { primary_key: true });
  static name = Column(String(255));
}

describe('RedisStore on a cluster', () => {
  beforeEach(async () => {
    await Promise.all(client.nodes('master').map((node) => node.flushdb()));
    useClock(systemClock);
  });

  it('keys land on every master; a table\'s hash and its nextkey counter share a slot', async () => {
    const store = new RedisStore({ client, prefix: 'svc:' });
    for (let t = 0; t < 12; t++) {
      await store.hset(`t${t}`, `t${t}:id:1`, '{}');
      await store.incr(`nextkey:t${t}`);
    }
    const byMaster = await keysByMaster();
    expect(byMaster.size).toBe(3);
    for (const keys of byMaster.values()) expect(keys.length).toBeGreaterThan(0);
    // each master holds the counters of the very tables whose hashes it holds
    for (const keys of byMaster.values()) {
      const tables = (counters: boolean) => keys.filter((k) => k.includes('nextkey') === counters).map((k) => /t\d+/.exec(k)![0]).sort();
      expect(tables(true)).toEqual(tables(false));
    }
    for (let t = 0; t < 12; t++) {
      expect(await client.cluster('KEYSLOT', `svc:nextkey:{t${t}}`)).toBe(await client.cluster('KEYSLOT', `svc:{t${t}}`));
    }
    const { hashes, counters } = await store.dump();
    expect(Object.keys(hashes)).toHaveLength(12);
    expect(Object.keys(counters)).toHaveLength(12);
    expect(counters['nextkey:t7']).toBe(1);
  });

  it('the runtime on the cluster: entities saved and queried, ROME\'s layout under the prefix', async () => {
    useStore(new RedisStore({ client, prefix: 'svc:' }));
    for (const name of ['a', 'b', 'c']) {
      const item = new Item();
      item.update({ name });
      await item.save();
    }
    expect((await new RomeSession().query(Item).all()).map((r) => [r.id, r.name])).toEqual([[1, 'a'], [2, 'b'], [3, 'c']]);
    expect(await allKeys()).toEqual(['svc:nextkey:{items}', 'svc:{items}']);
    expect(JSON.parse((await client.hget('svc:{items}', 'items:id:2'))!)).toMatchObject({ id: 2, name: 'b' });
  });

  it('clear() removes the prefix\'s keys on every master and no other', async () => {
    const foreign = ['other', 'svc2:{items}', 's[v]c:x', 'svc', ...Array.from({ length: 30 }, (_, i) => `x${i}`)];
    for (const key of foreign) await client.set(key, 'not mine');
    const store = new RedisStore({ client, prefix: 's[v]*:' });
    for (let i = 0; i < 600; i++) await store.incr(`nextkey:t${i}`);
    await store.hset('items', 'f', 'v');
    await store.lockAcquire('x', 't', 10_000);
    for (const keys of (await keysByMaster()).values()) expect(keys.filter((k) => k.startsWith('s[v]*:')).length).toBeGreaterThan(0);
    // a store just made by URL: its first command, clear(), waits for the slot map to know the masters
    const fresh = new RedisStore({ url: cluster.url, prefix: 's[v]*:' });
    await fresh.clear();
    await fresh.close();
    expect(await allKeys()).toEqual([...foreign].sort());
    expect(await store.dump()).toEqual({ hashes: {}, counters: {} });
  });

  it('connects by a redis+cluster:// URL (one node is enough to find the others) and closes its own connection', async () => {
    const [first] = cluster.nodes;
    const store = new RedisStore({ url: `redis+cluster://${first.host}:${first.port}`, prefix: 'u:' });
    expect(store.client.isCluster).toBe(true);
    for (let t = 0; t < 6; t++) await store.hset(`h${t}`, 'f', `v${t}`);
    for (let t = 0; t < 6; t++) expect(await client.hget(`u:{h${t}}`, 'f')).toBe(`v${t}`);
    await store.close();
    await expect(store.hget('h0', 'f')).rejects.toThrow();
    const full = new RedisStore({ url: cluster.url, prefix: 'u:' });
    expect(Object.keys((await full.dump()).hashes)).toEqual(['h0', 'h1', 'h2', 'h3', 'h4', 'h5']);
    expect(await full.hget('h5', 'f')).toBe('v5');
    await full.close();
  });

  it('owner-token locks on every master: one holder at a time, release only by the holder, expiry in ms', async () => {
    const store = new RedisStore({ client, prefix: 'p:' });
    const names = Array.from({ length: 9 }, (_, i) => `lock${i}`);
    for (const name of names) {
      expect(await store.lockAcquire(name, 'a', 10_000)).toBe(true);
      expect(await store.lockAcquire(name, 'b', 10_000)).toBe(false);
      expect(await store.lockRelease(name, 'b')).toBe(false);
    }
    // the release script ran on more than one master
    const holding = [...(await keysByMaster()).values()].filter((keys) => keys.some((k) => k.startsWith('p:lock:')));
    expect(holding.length).toBeGreaterThan(1);
    for (const name of names) {
      expect(await store.lockRelease(name, 'a')).toBe(true);
      expect(await store.lockRelease(name, 'a')).toBe(false);
    }
    expect(await allKeys()).toEqual([]);

    expect(await store.lockAcquire('x', 'a', 50)).toBe(true);
    await sleep(120);
    expect(await store.lockAcquire('x', 'b', 10_000)).toBe(true);
    expect(await store.lockRelease('x', 'a')).toBe(false);
    const won = await Promise.all(Array.from({ length: 20 }, (_, i) => store.lockAcquire('y', `t${i}`, 10_000)));
    expect(won.filter(Boolean)).toHaveLength(1);
  });

  it('ClusterLock takes owner-token locks; a request whose lock expired does not release its successor\'s', async () => {
    useStore(new RedisStore({ client, prefix: 'p:' }));
    const first = new ClusterLock();
    const second = new ClusterLock();
    expect(await first.lock('x', 50)).toBe(true);
    expect(await client.pttl('p:lock:{x}')).toBeGreaterThan(0);
    await sleep(120);
    expect(await second.lock('x', 10_000)).toBe(true);
    await first.unlock('x');
    expect(await client.exists('p:lock:{x}')).toBe(1);
    expect(await new ClusterLock().lock('x', 10_000)).toBe(false);
    await second.unlock('x');
    expect(await client.exists('p:lock:{x}')).toBe(0);
  });
});

describe('redis+cluster:// URLs', () => {
  it('lists the start-up nodes, with optional credentials', () => {
    expect(parseClusterUrl('redis+cluster://127.0.0.1:7000,10.0.0.2:7001')).toEqual({ nodes: [{ host: '127.0.0.1', port: 7000 }, { host: '10.0.0.2', port: 7001 }] });
    expect(parseClusterUrl('redis+cluster://:s%40cret@h:1/')).toEqual({ nodes: [{ host: 'h', port: 1 }], password: 's@cret' });
    expect(parseClusterUrl('redis+cluster://me:pw@[::1]:7000')).toEqual({ nodes: [{ host: '::1', port: 7000 }], username: 'me', password: 'pw' });
  });

  it('refuses a database number (a cluster has only 0), a node without a port, another scheme', () => {
    expect(() => parseClusterUrl('redis+cluster://h:1/2')).toThrow(/no database number/);
    expect(() => parseClusterUrl('redis+cluster://h:1,h2')).toThrow(/needs host:port, not 'h2'/);
    expect(() => parseClusterUrl('redis://h:1')).toThrow(/not a redis\+cluster/);
  });

  it('a redis:// URL still makes a one-node client', async () => {
    const store = new RedisStore({ url: 'redis://127.0.0.1:1', prefix: 'p:', redis: { lazyConnect: true } });
    expect(store.client).toBeInstanceOf(Redis);
    store.client.disconnect();
  });
});
