import { join } from 'node:path';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { SqlEngine } from '../../src/equiv/sql/engine.js';
import { openReference } from '../../src/equiv/sql/reference.js';
import { FIXTURES } from '../helpers.js';

// The Nova sample's SQL module, unchanged, on the reference's sqlalchemy / oslo.db over sql.js.
vi.mock('sqlalchemy', () => import('../../src/equiv/sql/runtime/sqlalchemy.js'));
vi.mock('sqlalchemy/orm', () => import('../../src/equiv/sql/runtime/sqlalchemy-orm.js'));
vi.mock('oslo.db/sqlalchemy/models', () => import('../../src/equiv/sql/runtime/oslo-models.js'));
vi.mock('oslo.db/exception', () => import('../../src/equiv/sql/runtime/oslo-exception.js'));

const NOVA = join(FIXTURES, 'nova', 'nova');
const MODELS = join(NOVA, 'db', 'sqlalchemy', 'models.ts');

type Api = Record<string, (...args: any[]) => any>;
let api: Api;
let db: SqlEngine;
let admin: unknown;
let exception: Record<string, new (...args: any[]) => Error>;

beforeEach(async () => {
  db = await openReference(MODELS, (await import(MODELS)) as Record<string, unknown>);
  api = (await import(join(NOVA, 'db', 'sqlalchemy', 'api.ts'))) as Api;
  admin = ((await import(join(NOVA, 'context.ts'))) as { get_admin_context(): unknown }).get_admin_context();
  exception = (await import(join(NOVA, 'exception.ts'))) as typeof exception;
});

const services = () => db.all('SELECT host, topic, "binary", report_count, disabled, deleted FROM services ORDER BY id');

describe('the SQL reference runs the Nova sample module', () => {
  it('creates a service, and its unique keys raise what the module catches (ServiceTopicExists)', async () => {
    const ref = await api.service_create(admin, { host: 'h1', topic: 'compute', binary: 'nova-compute' });
    expect(ref.id).toBe(1);
    expect(services()).toEqual([{ host: 'h1', topic: 'compute', binary: 'nova-compute', report_count: 0, disabled: 0, deleted: 0 }]);
    await expect(api.service_create(admin, { host: 'h1', topic: 'compute', binary: 'other' })).rejects.toThrow(exception.ServiceTopicExists);
    await expect(api.service_create(admin, { host: 'h1', topic: 'other', binary: 'nova-compute' })).rejects.toThrow(exception.ServiceBinaryExists);
    expect(services()).toHaveLength(1);
  });

  it('persists a change made inside session.begin without an add: dirty tracking (what ROME lacks)', async () => {
    const ref = await api.service_create(admin, { host: 'h1', topic: 'compute', binary: 'nova-compute' });
    await api.service_update(admin, ref.id, { disabled: true });
    expect(services()[0].disabled).toBe(1);
    const again = await api.service_get(admin, ref.id);
    expect(again.disabled).toBe(true);
  });

  it('rolls the unit of work back when it throws', async () => {
    const ref = await api.service_create(admin, { host: 'h1', topic: 'compute', binary: 'nova-compute' });
    await expect(api.service_update(admin, ref.id, { report_count: 'not a number'.length, no_such_column: 1, host: 'x'.repeat(300) })).rejects.toThrow();
    expect(services()[0]).toMatchObject({ host: 'h1', report_count: 0 });
  });

  it('hides soft-deleted rows from model_query, as read_deleted=no', async () => {
    const ref = await api.service_create(admin, { host: 'h1', topic: 'compute', binary: 'nova-compute' });
    await api.service_destroy(admin, ref.id);
    await expect(api.service_get(admin, ref.id)).rejects.toThrow(exception.ServiceNotFound);
    expect(services()[0].deleted).toBe(ref.id);
  });
});

describe('one-column queries answer rows, as SQLAlchemy (row[0], row.<key>)', () => {
  it('floating_ip_get_pools, instance_get_all_uuids_by_host and _flavor_get_id_from_flavor read row[0]', async () => {
    db.run("INSERT INTO floating_ips (address, pool, deleted) VALUES ('1.1.1.1', 'nova', 0), ('1.1.1.2', 'nova', 0), ('1.1.1.3', 'public', 0)");
    const pools = (await api.floating_ip_get_pools(admin)) as { name: string }[];
    expect(pools.map((p) => p.name).sort()).toEqual(['nova', 'public']);

    db.run("INSERT INTO instances (uuid, host, deleted) VALUES ('11111111-aaaa', 'h1', 0), ('22222222-bbbb', 'h1', 0), ('33333333-cccc', 'h2', 0)");
    expect(((await api.instance_get_all_uuids_by_host(admin, 'h1')) as string[]).sort()).toEqual(['11111111-aaaa', '22222222-bbbb']);

    db.run("INSERT INTO instance_types (id, name, memory_mb, vcpus, swap, flavorid, deleted) VALUES (7, 'm1.tiny', 512, 1, 0, 'f1', 0)");
    db.run("INSERT INTO instance_type_projects (instance_type_id, project_id, deleted) VALUES (7, 'p1', 0)");
    const access = new (api.FlavorAccessApi as unknown as new () => Record<string, (...a: unknown[]) => Promise<{ project_id: string }[]>>)();
    expect((await access.flavor_access_get_by_flavor_id(admin, 'f1')).map((r) => r.project_id)).toEqual(['p1']);
  });
});
