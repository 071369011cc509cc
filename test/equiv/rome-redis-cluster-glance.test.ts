// The ported glance sample (fixtures/glance/glance/db/discovery) on a 3-master Redis Cluster of the
// test's own, as a user runs their service there: `rome-orm` resolves to `port-db/rome-redis`, the
// store is a RedisStore by its redis+cluster:// URL with owner-token locks. Glance's five tables
// land on several masters, so an image's destroy writes to several nodes in one unit of work.
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { Cluster } from 'ioredis';
import { RedisStore, systemClock, useClock, useStore } from 'port-db/rome-redis';
import { startRedisCluster, type TestRedisCluster } from '../../scripts/redis-servers.mjs';

vi.mock('rome-orm', () => import('port-db/rome-redis'));
// the port keeps SQL names for code it marks manual (a column type, paginate_query); the functions
// run here never call them
vi.mock('sqlalchemy', () => ({ TypeDecorator: class {}, func: {}, text: () => undefined }));
vi.mock('oslo.db/sqlalchemy/utils', () => ({}));
vi.mock('oslo.db/sqlalchemy/session', () => ({}));

const api = await import('../../fixtures/glance/glance/db/discovery/api.js');
const { RequestContext, get_admin_context } = await import('../../fixtures/glance/glance/context.js');
const exception = await import('../../fixtures/glance/glance/exception.js');
const { DBDuplicateEntry } = await import('port-db/rome-redis');

let cluster: TestRedisCluster;
let client: Cluster;
let store: RedisStore;

beforeAll(async () => {
  cluster = await startRedisCluster({ masters: 3 });
  client = new Cluster(cluster.nodes);
  await client.set('not-the-service', 'kept');
});

afterAll(async () => {
  await store?.close();
  await client?.quit();
  await cluster?.stop();
});

beforeEach(async () => {
  await store?.close();
  store = new RedisStore({ url: cluster.url, prefix: 'glance:' });
  await store.clear();
  useStore(store);
  useClock(systemClock);
});

async function storedRows(table: string): Promise<Record<string, any>[]> {
  return Object.values((await store.dump()).hashes[table] ?? {}).map((json) => JSON.parse(json));
}

const ID = '11111111-2222-3333-4444-555555555555';

describe('the ported glance sample on a Redis Cluster', () => {
  it('an image with properties, tags, a member and a location; its destroy soft-deletes the rows of five tables on several masters', async () => {
    const admin = get_admin_context();
    const created = await api.image_create(admin, { id: ID, name: 'cirros', status: 'queued', properties: { arch: 'x86_64', os: 'linux' } });
    expect([created.id, created.status]).toEqual([ID, 'queued']);
    await api.image_tag_create(admin, ID, 'a');
    await api.image_tag_create(admin, ID, 'b');
    expect(await api.image_tag_get_all(admin, ID)).toEqual(['a', 'b']);
    await api.image_member_create(admin, { image_id: ID, member: 'tenant2' });
    expect(await api.image_member_count(admin, ID)).toBe(1);
    await api.image_location_add(admin, ID, { url: 'file:///images/cirros' });

    const updated = await api.image_update(admin, ID, { status: 'active', name: 'cirros-0.6' });
    expect([updated.status, updated.name]).toEqual(['active', 'cirros-0.6']);
    const read: any = await api.image_get(admin, ID);
    expect([read.name, read.status, read.deleted]).toEqual(['cirros-0.6', 'active', false]);
    expect((await storedRows('image_properties')).map((p) => [p.name, p.value]).sort()).toEqual([['arch', 'x86_64'], ['os', 'linux']]);

    await api.image_destroy(admin, ID);
    // an admin sees deleted images, a tenant does not
    expect(((await api.image_get(admin, ID)) as any).deleted).toBe(true);
    await expect(api.image_get(new RequestContext({ project_id: 'tenant2' }), ID)).rejects.toBeInstanceOf(exception.ImageNotFound);
    const tables = ['images', 'image_properties', 'image_tags', 'image_members', 'image_locations'];
    for (const table of tables) {
      const rows = await storedRows(table);
      expect(rows.length, table).toBeGreaterThan(0);
      expect(rows.every((row) => row.deleted === true), table).toBe(true);
    }

    // the tables are on more than one master; every key is the service's but one, no lock left
    const holders = [];
    for (const node of client.nodes('master')) {
      const keys = await node.keys('*');
      if (tables.some((table) => keys.includes(`glance:{${table}}`))) holders.push(node.options.port);
      expect(keys.filter((k) => !k.startsWith('glance:') && k !== 'not-the-service')).toEqual([]);
      expect(keys.filter((k) => k.startsWith('glance:lock'))).toEqual([]);
    }
    expect(holders.length).toBeGreaterThan(1);
    expect(await client.get('not-the-service')).toBe('kept');
  });

  it('concurrent creates of one image: the create lock lets exactly one in, the others raise Duplicate', async () => {
    const admin = get_admin_context();
    const results = await Promise.allSettled(Array.from({ length: 4 }, (_, i) => api.image_create(admin, { id: ID, name: `n${i}`, status: 'queued' })));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(exception.Duplicate);
    expect(await storedRows('images')).toHaveLength(1);
  });

  it('concurrent creates of one property: its lock (on its own node) lets exactly one in', async () => {
    const admin = get_admin_context();
    await api.image_create(admin, { id: ID, status: 'queued' });
    const results = await Promise.allSettled(Array.from({ length: 4 }, (_, i) => api.image_property_create(admin, { image_id: ID, name: 'os', value: `v${i}` })));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(DBDuplicateEntry);
    expect(await storedRows('image_properties')).toHaveLength(1);
  });
});
