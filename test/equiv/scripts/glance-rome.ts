// The Glance port on the in-memory ROME: it loads (its SQL imports for manual code resolve to
// the reference's modules) and runs a create, a get, an update and a delete of one image.
import { get_admin_context } from '../../../fixtures/glance/glance/context';

type Api = Record<string, (...args: any[]) => Promise<any>>;

async function outcome(call: () => Promise<any>) {
  try {
    const v = await call();
    return { ok: { id: v.id, name: v.name, status: v.status, deleted: v.deleted } };
  } catch (e) {
    return { error: (e as Error).constructor.name, message: (e as Error).message };
  }
}

export default async function (api: Api) {
  const admin = get_admin_context();
  const id = '11111111-2222-3333-4444-555555555555';
  return [
    await outcome(() => api.image_create(admin, { id, name: 'cirros', status: 'queued' })),
    await outcome(() => api.image_get(admin, id)),
    await outcome(() => api.image_update(admin, id, { status: 'active' })),
    await outcome(() => api.image_destroy(admin, id)),
    await outcome(() => api.image_get_all(admin)),
  ];
}
