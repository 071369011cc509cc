// The ported nova sample (fixtures/nova/nova/db/discovery) on a real Redis, as a user runs their
// service there (README, "Running a port on Redis"): the store is a RedisStore by URL with its
// default owner-token locks, on the system clock. Run on one node (rome-redis-nova.test.ts) and on
// a cluster (rome-redis-cluster-nova.test.ts); the test file resolves `rome-orm` to the package
// export `port-db/rome-redis` (vi.mock, hoisted above this module's imports).
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Cluster, Redis } from 'ioredis';
import { RedisStore, systemClock, useClock, useStore } from 'port-db/rome-redis';
import { parseClusterUrl } from '../../src/equiv/rome-memory/redis-store.js';

const api = await import('../../fixtures/nova/nova/db/discovery/api.js');
const { get_admin_context } = await import('../../fixtures/nova/nova/context.js');
const exception = await import('../../fixtures/nova/nova/exception.js');

/** Every key of the server (of every master on a cluster: KEYS on one node sees its own). */
async function allKeys(client: Redis | Cluster): Promise<string[]> {
  const nodes = client instanceof Cluster ? client.nodes('master') : [client];
  return (await Promise.all(nodes.map((node) => node.keys('*')))).flat().sort();
}

export function novaOnRedis(where: string, start: () => Promise<{ url: string; stop(): Promise<void> }>): void {
let redis: { url: string; stop(): Promise<void> };
let client: Redis | Cluster;
let store: RedisStore;

beforeAll(async () => {
  redis = await start();
  client = redis.url.startsWith('redis+cluster://') ? new Cluster(parseClusterUrl(redis.url).nodes) : new Redis(redis.url);
  await client.set('not-the-service', 'kept');
});

afterAll(async () => {
  await store?.close();
  await client?.quit();
  await redis?.stop();
});

beforeEach(async () => {
  await store?.close();
  store = new RedisStore({ url: redis.url, prefix: 'nova:' });
  await store.clear();
  useStore(store);
  useClock(systemClock);
});

async function storedRows(table: string): Promise<Record<string, any>[]> {
  return Object.values((await store.dump()).hashes[table] ?? {}).map((json) => JSON.parse(json));
}

describe(`the ported nova sample on ${where}`, () => {
  it('creates, reads, updates, refuses a duplicate and soft-deletes a service; every key under the prefix, no lock left', async () => {
    const admin = get_admin_context();
    const created = await api.service_create(admin, { host: 'h1', binary: 'nova-compute', topic: 'compute' });
    expect(created.id).toBe(1);
    const read = await api.service_get(admin, created.id);
    expect([read.host, read.binary, read.report_count, read.disabled]).toEqual(['h1', 'nova-compute', 0, false]);

    const returned = await api.service_update(admin, created.id, { disabled: true, disabled_reason: 'maintenance' });
    expect(returned.disabled).toBe(true);
    const [updated] = await storedRows('services');
    expect([updated.disabled, updated.disabled_reason]).toEqual([true, 'maintenance']);

    await expect(api.service_create(admin, { host: 'h1', binary: 'nova-compute', topic: 'other' })).rejects.toBeInstanceOf(exception.ServiceBinaryExists);
    expect(await storedRows('services')).toHaveLength(1);

    await api.service_destroy(admin, created.id);
    expect((await storedRows('services'))[0].deleted).toBe(1);
    await expect(api.service_get(admin, created.id)).rejects.toBeInstanceOf(exception.ServiceNotFound);

    const keys = await allKeys(client);
    expect(keys.filter((k) => !k.startsWith('nova:'))).toEqual(['not-the-service']);
    expect(keys.filter((k) => k.startsWith('nova:lock'))).toEqual([]);
  });

  it('concurrent creates of one key: the create lock lets exactly one in, the others raise ServiceBinaryExists', async () => {
    const admin = get_admin_context();
    const results = await Promise.allSettled(
      Array.from({ length: 4 }, (_, i) => api.service_create(admin, { host: 'h1', binary: 'nova-compute', topic: `t${i}` })),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(exception.ServiceBinaryExists);
    expect(await storedRows('services')).toHaveLength(1);
  });

  it('counts heartbeats: report_count++ written at the end of begin()', async () => {
    const admin = get_admin_context();
    const { id } = await api.service_create(admin, { host: 'h2', binary: 'nova-scheduler', topic: 'scheduler' });
    expect(await api.service_report_state(admin, id)).toBe(1);
    expect(await api.service_report_state(admin, id)).toBe(2);
    expect((await storedRows('services')).map((r) => r.report_count)).toEqual([2]);
  });
});
}
