// The ported glance sample (fixtures/glance/glance/db/discovery) on a real redis-server, as a user
// runs their service on Redis (README, "Running a port on Redis"): `rome-orm` resolves to the
// package export `port-db/rome-redis`, the store is a RedisStore with its default owner-token
// locks, on the system clock. The nova sample's twin: test/equiv/rome-redis-nova.test.ts.
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { Redis } from 'ioredis';
import { RedisStore, systemClock, useClock, useStore } from 'port-db/rome-redis';
import { startRedis, type TestRedis } from '../../scripts/redis-servers.mjs';

vi.mock('rome-orm', () => import('port-db/rome-redis'));
// SQL names the port keeps for code it marks manual (a TypeDecorator, paginate_query, the engine
// facade); the functions run here never call them
vi.mock('sqlalchemy', () => ({ TypeDecorator: class {} }));
vi.mock('oslo.db/sqlalchemy/utils', () => ({ paginate_query: () => undefined }));
vi.mock('oslo.db/sqlalchemy/session', () => ({}));

const api = await import('../../fixtures/glance/glance/db/discovery/api.js');
const { RequestContext, get_admin_context } = await import('../../fixtures/glance/glance/context.js');
const exception = await import('../../fixtures/glance/glance/exception.js');

const owner = new RequestContext({ user_id: 'u-alice', project_id: 'tenant-a', roles: ['member'] });
const other = new RequestContext({ user_id: 'u-bob', project_id: 'tenant-b', roles: ['member'] });
const UBUNTU = '0b6d3e1a-7c2f-4d85-9e1b-3a4c5d6e7f02';

let redis: TestRedis;
let client: Redis;
let store: RedisStore;

beforeAll(async () => {
  redis = await startRedis();
  client = new Redis(redis.url);
  await client.set('not-the-service', 'kept');
});

afterAll(async () => {
  await store?.close();
  await client?.quit();
  await redis?.stop();
});

beforeEach(async () => {
  await store?.close();
  store = new RedisStore({ url: redis.url, prefix: 'glance:' });
  await store.clear();
  useStore(store);
  useClock(systemClock);
});

async function storedRows(table: string): Promise<Record<string, any>[]> {
  return Object.values((await store.dump()).hashes[table] ?? {}).map((json) => JSON.parse(json));
}

describe('the ported glance sample on Redis', () => {
  it('creates an image with a property, reads it as its owner and not as another tenant, updates it (its properties: unsupported), refuses a duplicate id and soft-deletes it with its properties; every key under the prefix, no lock left', async () => {
    const created = await api.image_create(owner, { id: UBUNTU, name: 'ubuntu-24.04', disk_format: 'qcow2', container_format: 'bare', status: 'queued', visibility: 'private', properties: { os_distro: 'ubuntu' } });
    expect(created.id).toBe(UBUNTU);
    const read = await api.image_get(owner, UBUNTU);
    expect([read.name, read.owner, read.status, read.deleted]).toEqual(['ubuntu-24.04', 'tenant-a', 'queued', false]);
    await expect(api.image_get(other, UBUNTU)).rejects.toBeInstanceOf(exception.Forbidden);

    await api.image_update(owner, UBUNTU, { status: 'active', size: 614465536 });
    const [image] = await storedRows('images');
    expect([image.status, image.size]).toEqual(['active', 614465536]);
    expect((await storedRows('image_properties')).map((p) => [p.name, p.value])).toEqual([['os_distro', 'ubuntu']]);
    // updating properties reads the loaded image's relationship `properties`, which the runtime
    // does not serve (as on the in-memory ROME): it says so rather than answering no properties
    await expect(api.image_update(owner, UBUNTU, { properties: { hw_disk_bus: 'virtio' } })).rejects.toThrow(/reading the relationship properties/);
    // the compare-and-swap on status: the image is no longer queued
    await expect(api.image_update(owner, UBUNTU, { status: 'saving' }, false, 'queued')).rejects.toBeInstanceOf(exception.Conflict);

    await expect(api.image_create(other, { id: UBUNTU, name: 'ubuntu-evil', status: 'active', visibility: 'public' })).rejects.toBeInstanceOf(exception.Duplicate);
    expect((await storedRows('images')).map((i) => i.name)).toEqual(['ubuntu-24.04']);

    await api.image_destroy(owner, UBUNTU);
    expect((await storedRows('images'))[0].deleted).toBe(true);
    expect((await storedRows('image_properties')).map((p) => p.deleted)).toEqual([true]);
    await expect(api.image_get(owner, UBUNTU)).rejects.toBeInstanceOf(exception.ImageNotFound);
    expect((await api.image_get(get_admin_context(true), UBUNTU)).deleted).toBe(true);

    const keys = await client.keys('*');
    expect(keys.filter((k) => !k.startsWith('glance:'))).toEqual(['not-the-service']);
    expect(keys.filter((k) => k.startsWith('glance:lock'))).toEqual([]);
  });

  it('concurrent creates of one client-chosen id: the create lock lets exactly one in, the others raise Duplicate', async () => {
    const results = await Promise.allSettled(Array.from({ length: 4 }, (_, i) => api.image_create(owner, { id: UBUNTU, name: `ubuntu-${i}`, status: 'queued' })));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(exception.Duplicate);
    expect(await storedRows('images')).toHaveLength(1);
  });

  it('shares an image with a member: the member sees it, the member row is unique per image and member', async () => {
    await api.image_create(owner, { id: UBUNTU, name: 'ubuntu-24.04', status: 'active', visibility: 'shared' });
    await expect(api.image_get(other, UBUNTU)).rejects.toBeInstanceOf(exception.Forbidden);
    const member = await api.image_member_create(owner, { image_id: UBUNTU, member: 'tenant-b', can_share: false, status: 'accepted' });
    expect((await api.image_get(other, UBUNTU)).id).toBe(UBUNTU);
    expect(await api.image_member_count(owner, UBUNTU)).toBe(1);
    await api.image_member_delete(owner, member.id);
    await expect(api.image_get(other, UBUNTU)).rejects.toBeInstanceOf(exception.Forbidden);
  });
});
