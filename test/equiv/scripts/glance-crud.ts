// The Glance sample on one side: image_create (created_at from GlanceBase's default, as Glance
// declares it), image_get, image_update, a second update that adds a property, image_destroy,
// and image_get of the deleted image by its owner (admins see deleted images). Answers plain data.
import { RequestContext, get_admin_context } from '../../../fixtures/glance/glance/context';

type Api = Record<string, (...args: any[]) => Promise<any>>;

const image = (v: any) => ({
  id: v.id,
  name: v.name,
  status: v.status,
  deleted: v.deleted,
  properties: (v.properties ?? []).map((p: any) => [p.name, p.value, p.deleted]),
});

async function outcome(call: () => Promise<any>) {
  try {
    return { ok: image(await call()) };
  } catch (e) {
    return { error: (e as Error).constructor.name, message: (e as Error).message };
  }
}

export default async function (api: Api) {
  const admin = get_admin_context();
  const owner = new RequestContext({ project_id: 'p1' });
  const id = '11111111-2222-3333-4444-555555555555';
  const created = await outcome(() => api.image_create(admin, { id, name: 'cirros', status: 'queued', owner: 'p1' }));
  return [
    created,
    await outcome(() => api.image_get(admin, id)),
    await outcome(() => api.image_update(admin, id, { status: 'active' })),
    await outcome(() => api.image_update(admin, id, { name: 'renamed', properties: { arch: 'arm64' } })),
    await outcome(() => api.image_get(owner, id)),
    await outcome(() => api.image_destroy(admin, id)),
    await outcome(() => api.image_get(owner, id)),
  ];
}
