// The ported nova sample (fixtures/nova/nova/db/discovery) run on the in-memory ROME as a user
// runs their port's tests (README): `rome-orm` resolves to the package export
// `port-db/rome-memory` (the build that test/global-setup.ts makes).
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { createMemoryStore, useClock, useStore, type MemoryStore } from 'port-db/rome-memory';

vi.mock('rome-orm', () => import('port-db/rome-memory'));
// the port keeps two SQL names for code it marks manual; the functions run here never call them
vi.mock('sqlalchemy', () => ({ func: {}, text: () => undefined }));

const api = await import('../../fixtures/nova/nova/db/discovery/api.js');
const { get_admin_context } = await import('../../fixtures/nova/nova/context.js');
const exception = await import('../../fixtures/nova/nova/exception.js');

let store: MemoryStore;
let now: number;

function storedRows(table: string): Record<string, any>[] {
  return Object.values(store.dump().hashes[table] ?? {}).map((json) => JSON.parse(json));
}

beforeEach(() => {
  store = createMemoryStore();
  useStore(store);
  now = Date.UTC(2026, 0, 2, 3, 4, 5, 678);
  useClock({ now: () => now, sleep: async (ms) => void (now += ms) });
});

describe('the ported nova sample on the in-memory ROME', () => {
  it('creates, reads, updates in session.begin with session.add, and soft-deletes a service', async () => {
    const admin = get_admin_context();
    const created = await api.service_create(admin, { host: 'h1', binary: 'nova-compute', topic: 'compute' });
    expect(created.id).toBe(1);

    const read = await api.service_get(admin, created.id);
    expect([read.host, read.binary, read.report_count, read.disabled]).toEqual(['h1', 'nova-compute', 0, false]);

    now += 2000;
    const returned = await api.service_update(admin, created.id, { disabled: true, disabled_reason: 'maintenance' });
    const [updated] = storedRows('services');
    expect([updated.disabled, updated.disabled_reason]).toEqual([true, 'maintenance']);
    expect([updated.created_at.value, updated.updated_at.value]).toEqual(['2026-01-02 03:04:05', '2026-01-02 03:04:07']);
    // ROME's rows read their fields as loaded (lib/rome/core/lazy.py:183-194): the port sets the
    // fields through the row (Object.assign, not update()), so what it returns says disabled, as SQL's row does
    expect(returned.disabled).toBe(true);

    await expect(api.service_create(admin, { host: 'h1', binary: 'nova-compute', topic: 'other' })).rejects.toBeInstanceOf(exception.ServiceBinaryExists);
    expect(storedRows('services')).toHaveLength(1);

    await api.service_destroy(admin, created.id);
    const [deleted] = storedRows('services');
    expect(deleted.deleted).toBe(1);
    expect(deleted.deleted_at.value).toBe('2026-01-02 03:04:07');
    await expect(api.service_get(admin, created.id)).rejects.toBeInstanceOf(exception.ServiceNotFound);
    expect(store.dump().hashes.lock ?? {}).toEqual({});
  });

  it('counts heartbeats: report_count++ on a loaded row, then session.add, is written at the end of begin()', async () => {
    const admin = get_admin_context();
    const { id } = await api.service_create(admin, { host: 'h2', binary: 'nova-scheduler', topic: 'scheduler' });
    expect(await api.service_report_state(admin, id)).toBe(1);
    expect(await api.service_report_state(admin, id)).toBe(2);
    expect(storedRows('services').map((r) => r.report_count)).toEqual([2]);
  });
});
