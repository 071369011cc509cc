// The Cinder sample on one side: a volume created with metadata, read, updated (its metadata
// replaced), destroyed, read again and created again (the primary key refuses it); a service
// created, updated and read. Answers plain data.
import { get_admin_context } from '../../../fixtures/cinder/cinder/context';
import * as models from '../../../fixtures/cinder/cinder/db/sqlalchemy/models';

type Api = Record<string, (...args: any[]) => Promise<any>>;

const volume = (v: any) => ({
  id: v.id,
  status: v.status,
  size: v.size,
  deleted: v.deleted,
  metadata: (v.volume_metadata ?? []).filter((m: any) => !m.deleted).map((m: any) => [m.key, m.value]),
});

const service = (s: any) => ({ id: s.id, host: s.host, disabled: s.disabled, modified: s.modified_at instanceof Date, updated_at: s.updated_at });

async function outcome(call: () => Promise<any>, shape: (v: any) => unknown = volume) {
  try {
    return { ok: shape(await call()) };
  } catch (e) {
    return { error: (e as Error).constructor.name, message: (e as Error).message, columns: (e as any).columns };
  }
}

export default async function (api: Api) {
  const admin = get_admin_context();
  const id = 'vol-1';
  return [
    await outcome(() => api.volume_create(admin, { id, size: 1, status: 'creating', metadata: { tier: 'gold' } })),
    await outcome(() => api.volume_get(admin, id)),
    await outcome(() => api.volume_update(admin, id, { status: 'available', metadata: { tier: 'silver' } })),
    await outcome(() => api.volume_destroy(admin, id), () => 'destroyed'),
    await outcome(() => api.volume_get(admin, id)),
    // the id is taken, deleted or not: the primary key refuses it
    await outcome(() => api.volume_create(admin, { id, size: 2, status: 'creating' })),
    // service_update writes updated_at by SQL (literal_column): the row keeps its value
    await outcome(() => api.service_create(admin, { host: 'h1', binary: 'cinder-volume', topic: 'volume' }), service),
    await outcome(() => api.service_update(admin, 1, { disabled: true }), service),
    await outcome(() => api.service_get(admin, 1), service),
    // Backup's @validates('fail_reason') truncates what is assigned to 255 characters
    await outcome(async () => Object.assign(new models.Backup(), { fail_reason: 'x'.repeat(300) }).fail_reason.length, (n) => n),
  ];
}
