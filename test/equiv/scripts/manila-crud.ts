// The Manila sample's api.ts on the reference: it loads (query.ts patches oslo.db's get_maker on
// the module, as Python allows), its sessions are then Manila's Query class's, and a share is
// created (with its instance and metadata), read, updated, deleted (by its last instance) and not
// found again.
import { get_admin_context } from '../../../fixtures/manila/manila/context';
import { Query } from '../../../fixtures/manila/manila/db/sqlalchemy/query';
import * as models from '../../../fixtures/manila/manila/db/sqlalchemy/models';

type Api = Record<string, (...args: any[]) => Promise<any>>;

const share = (s: any) => ({
  id: s.id,
  size: s.size,
  display_name: s.display_name,
  deleted: s.deleted,
  metadata: (s.share_metadata ?? []).map((m: any) => [m.key, m.value]),
});

async function outcome(call: () => Promise<any>, shape: (v: any) => unknown = share) {
  try {
    return { ok: shape(await call()) };
  } catch (e) {
    return { error: (e as Error).constructor.name, message: (e as Error).message };
  }
}

export default async function (api: Api) {
  const admin = get_admin_context();
  const id = 'share-1';
  let instance = '';
  return [
    await outcome(async () => (api.get_session as any)().query(models.Share) instanceof Query, (v) => v),
    await outcome(() => api.share_create(admin, { id, size: 1, display_name: 'a', project_id: 'p1', metadata: { tier: 'gold' } })),
    await outcome(async () => {
      const s = await api.share_get(admin, id);
      instance = s.instance.id;
      return s;
    }),
    await outcome(() => api.share_update(admin, id, { size: 2, display_name: 'b' })),
    await outcome(() => api.share_get(admin, id)),
    // a share with instances is refused; deleting its last instance soft-deletes the share too
    await outcome(() => api.share_delete(admin, id)),
    await outcome(() => api.share_instance_delete(admin, instance), () => 'instance deleted'),
    await outcome(() => api.share_get(admin, id)),
    await outcome(() => api.share_get(get_admin_context('yes'), id)),
    await outcome(() => api.share_delete(admin, id)),
  ];
}
