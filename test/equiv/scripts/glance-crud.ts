// The Glance sample on one side: image_create, then (the image seeded with created_at, which the
// sample's models declare NOT NULL without a default) image_get, image_update with a property,
// a second update that adds a property, image_destroy, and image_get of the deleted image by
// its owner (admins see deleted images). Answers plain data.
import { RequestContext, get_admin_context } from '../../../fixtures/glance/glance/context';
import * as models from '../../../fixtures/glance/glance/db/sqlalchemy/models';
import { get_session } from '../../../fixtures/glance/glance/db/sqlalchemy/session';

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
  const created = await outcome(() => api.image_create(admin, { id, name: 'cirros', status: 'queued' }));
  const seed = new models.Image();
  seed.update({ id, name: 'cirros', status: 'queued', owner: 'p1', created_at: new Date('2026-01-01T00:00:00Z') });
  await seed.save(get_session());
  return [
    created,
    await outcome(() => api.image_get(admin, id)),
    await outcome(() => api.image_update(admin, id, { status: 'active' })),
    // a property row is refused as the image row was (created_at), and the update rolls back
    await outcome(() => api.image_update(admin, id, { name: 'renamed', properties: { arch: 'arm64' } })),
    await outcome(() => api.image_get(owner, id)),
    await outcome(() => api.image_destroy(admin, id)),
    await outcome(() => api.image_get(owner, id)),
  ];
}
