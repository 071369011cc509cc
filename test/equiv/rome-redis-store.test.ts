// The Store on a real redis-server: the prefix keeps every key in its place, and the owner-token
// lock primitive behaves the same on both stores (the in-memory one for unit tests of a port).
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { ClusterLock, MemoryStore, RomeSession, Entity, Column, Integer, String, useStore, useClock, systemClock, type Store } from '../../src/equiv/rome-memory/index.js';
import { RedisStore } from '../../src/equiv/rome-memory/redis-store.js';
import { startRedis, type TestRedis } from '../../scripts/redis-servers.mjs';

let redis: TestRedis;
let client: Redis;

beforeAll(async () => {
  redis = await startRedis();
  client = new Redis(redis.url);
});

afterAll(async () => {
  await client?.quit();
  await redis?.stop();
});

beforeEach(async () => {
  await client.flushdb();
  useClock(systemClock);
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

class Item extends Entity {
  static __tablename__ = 'items';
  static id = Column(Integer, { primary_key: true });
  static name = Column(String(255));
}

describe('RedisStore: keys', () => {
  it('writes ROME\'s layout under the prefix, hash-tagged by table: a hash per table of JSON rows, nextkey:<table>', async () => {
    const store = new RedisStore({ client, prefix: 'svc:' });
    useStore(store);
    const item = new Item();
    item.update({ name: 'a' });
    await item.save();
    expect((await client.keys('*')).sort()).toEqual(['svc:nextkey:{items}', 'svc:{items}']);
    expect(JSON.parse((await client.hget('svc:{items}', 'items:id:1'))!)).toMatchObject({ id: 1, name: 'a' });
    expect(await client.get('svc:nextkey:{items}')).toBe('1');
    await store.hset('item', 'f', 'v');
    await store.hset('items_x', 'f', 'v');
    // in name order, as the in-memory store's dump (the tagged keys sort `{items}` before `{item}`)
    expect(Object.keys((await store.dump()).hashes)).toEqual(['item', 'items', 'items_x']);
    expect((await store.dump()).counters).toEqual({ 'nextkey:items': 1 });
    const rows = await new RomeSession().query(Item).all();
    expect(rows.map((r) => r.name)).toEqual(['a']);
  });

  it('prefix \'\' is ROME\'s own layout, untagged: it reads and extends what ROME wrote', async () => {
    await client.hset('items', 'items:id:1', JSON.stringify({ id: 1, name: 'by ROME' }));
    await client.set('nextkey:items', '1');
    const store = new RedisStore({ client });
    useStore(store);
    const item = new Item();
    item.update({ name: 'b' });
    await item.save();
    expect(item.id).toBe(2);
    expect((await new RomeSession().query(Item).all()).map((r) => r.name).sort()).toEqual(['b', 'by ROME']);
    expect((await client.keys('*')).sort()).toEqual(['items', 'nextkey:items']);
    expect(await store.lockAcquire('x', 't', 10_000)).toBe(true);
    expect(await client.get('lock:x')).toBe('t');
  });

  it('clear() removes the keys under its prefix and no other (a prefix with glob characters included)', async () => {
    await client.set('other', '1');
    await client.hset('svc2:items', 'f', 'v');
    await client.set('s[v]c:x', 'not mine: a glob would match it');
    const store = new RedisStore({ client, prefix: 's[v]*:' });
    for (let i = 0; i < 1200; i++) await store.incr(`nextkey:t${i}`);
    await store.hset('items', 'f', 'v');
    await store.lockAcquire('x', 't', 10_000);
    await store.clear();
    expect((await client.keys('*')).sort()).toEqual(['other', 's[v]c:x', 'svc2:items']);
  });

  it('clear() without a prefix refuses (it would remove the whole database)', async () => {
    await expect(new RedisStore({ client }).clear()).rejects.toThrow(/needs a prefix/);
  });

  it('connects by url and closes its own connection', async () => {
    const store = new RedisStore({ url: redis.url, prefix: 'u:' });
    await store.hset('h', 'f', 'v');
    expect(await client.hget('u:{h}', 'f')).toBe('v');
    await store.close();
    await expect(store.hget('h', 'f')).rejects.toThrow();
  });
});

const stores: Array<[string, () => Store]> = [
  ['MemoryStore', () => new MemoryStore()],
  ['RedisStore', () => new RedisStore({ client, prefix: 'p:' })],
];

describe.each(stores)('the owner-token lock primitive on %s', (_name, make) => {
  it('one holder at a time; a release needs the holder\'s token', async () => {
    const store = make();
    expect(await store.lockAcquire('x', 'a', 10_000)).toBe(true);
    expect(await store.lockAcquire('x', 'b', 10_000)).toBe(false);
    expect(await store.lockRelease('x', 'b')).toBe(false);
    expect(await store.lockAcquire('x', 'b', 10_000)).toBe(false);
    expect(await store.lockRelease('x', 'a')).toBe(true);
    expect(await store.lockRelease('x', 'a')).toBe(false);
    expect(await store.lockAcquire('x', 'b', 10_000)).toBe(true);
  });

  it('a lock expires after its TTL in ms; the expired holder then cannot release its successor\'s', async () => {
    const store = make();
    expect(await store.lockAcquire('x', 'a', 50)).toBe(true);
    expect(await store.lockAcquire('x', 'b', 50)).toBe(false);
    await sleep(120);
    expect(await store.lockAcquire('x', 'b', 10_000)).toBe(true);
    expect(await store.lockRelease('x', 'a')).toBe(false);
    expect(await store.lockAcquire('x', 'c', 10_000)).toBe(false);
  });

  it('concurrent acquisitions: exactly one wins', async () => {
    const store = make();
    const won = await Promise.all(Array.from({ length: 20 }, (_, i) => store.lockAcquire('x', `t${i}`, 10_000)));
    expect(won.filter(Boolean)).toHaveLength(1);
  });
});

describe('ClusterLock on a RedisStore (locks: owner, the default)', () => {
  it('takes owner-token locks, not ROME\'s lock hash; unlock releases only its own', async () => {
    const store = new RedisStore({ client, prefix: 'p:' });
    useStore(store);
    const a = new ClusterLock();
    const b = new ClusterLock();
    expect(await a.lock('x', 10_000)).toBe(true);
    expect(await client.exists('p:{lock}')).toBe(0);
    expect(await client.pttl('p:lock:{x}')).toBeGreaterThan(9_000);
    expect(await b.lock('x', 10_000)).toBe(false);
    await b.unlock('x');
    expect(await client.exists('p:lock:{x}')).toBe(1);
    await a.unlock('x');
    expect(await client.exists('p:lock:{x}')).toBe(0);
    expect(await b.lock('x', 10_000)).toBe(true);
  });

  it('a request whose lock expired does not release its successor\'s', async () => {
    useStore(new RedisStore({ client, prefix: 'p:' }));
    const first = new ClusterLock();
    const second = new ClusterLock();
    expect(await first.lock('x', 50)).toBe(true);
    await sleep(120);
    expect(await second.lock('x', 10_000)).toBe(true);
    await first.unlock('x');
    expect(await new ClusterLock().lock('x', 10_000)).toBe(false);
  });

  // The port emits one module-level `cluster_lock` for every request of a process: the owner is
  // the acquisition, not the instance.
  it('two requests sharing one ClusterLock: the one whose lock expired does not release its successor\'s', async () => {
    useStore(new RedisStore({ client, prefix: 'p:' }));
    const shared = new ClusterLock();
    const other = () => new ClusterLock().lock('x', 10_000);
    expect(await shared.lock('x', 50)).toBe(true); // request A
    await sleep(120);
    expect(await shared.lock('x', 10_000)).toBe(true); // request B, after A's lock expired
    await shared.unlock('x'); // A, late
    expect(await other()).toBe(false);
    await shared.unlock('x'); // B
    expect(await other()).toBe(true);
  });

  it('two requests sharing one ClusterLock, the successor unlocking first: its lock stays until the late request unlocks, then is free', async () => {
    useStore(new RedisStore({ client, prefix: 'p:' }));
    const shared = new ClusterLock();
    expect(await shared.lock('x', 50)).toBe(true); // A
    await sleep(120);
    expect(await shared.lock('x', 10_000)).toBe(true); // B
    await shared.unlock('x'); // B spends A's stale token
    expect(await client.exists('p:lock:{x}')).toBe(1);
    await shared.unlock('x'); // A
    expect(await client.exists('p:lock:{x}')).toBe(0);
    await shared.unlock('x'); // nothing held: nothing to release
    expect(await shared.lock('x', 10_000)).toBe(true);
  });

  // ROME's lock() reads the expired lock, then deletes it (lock.py:250, 279-289): on a shared
  // store a slower contender's delete lands after a faster one took the lock, and both hold it.
  // The hdel of the second contender is delayed to make that interleaving certain.
  function slowSecondDelete(store: RedisStore): Store {
    let deletes = 0;
    return new Proxy(store, {
      get(target, key) {
        const value = Reflect.get(target, key);
        if (key !== 'hdel') return typeof value === 'function' ? value.bind(target) : value;
        return async (hash: string, fields: string[]) => {
          if (hash === 'lock' && fields.length > 0 && ++deletes === 2) await sleep(50);
          return target.hdel(hash, fields);
        };
      },
    });
  }

  it('two contenders for an expired lock: ROME\'s DLM on Redis lets both in, the owner-token lock one', async () => {
    let now = Date.now();
    useClock({ now: () => now, sleep: async (ms) => void (now += ms) });
    useStore(slowSecondDelete(new RedisStore({ client, prefix: 'rome:', locks: 'rome' })));
    expect(await new ClusterLock().lock('x', 100)).toBe(true);
    now += 200;
    expect(await Promise.all([new ClusterLock().lock('x', 100), new ClusterLock().lock('x', 100)])).toEqual([true, true]);

    useClock(systemClock);
    useStore(slowSecondDelete(new RedisStore({ client, prefix: 'owner:' })));
    expect(await new ClusterLock().lock('x', 50)).toBe(true);
    await sleep(120);
    const won = await Promise.all([new ClusterLock().lock('x', 10_000), new ClusterLock().lock('x', 10_000)]);
    expect(won.filter(Boolean)).toHaveLength(1);
  });
});
