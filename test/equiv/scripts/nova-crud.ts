// The Nova sample on one side: a service created, read, updated, destroyed (soft: deleted = id)
// and read again; the same service created twice (its unique key refuses the second). Answers
// plain data.
import { get_admin_context } from '../../../fixtures/nova/nova/context';

type Api = Record<string, (...args: any[]) => Promise<any>>;

const service = (s: any) => (s && typeof s === 'object' ? { id: s.id, host: s.host, topic: s.topic, disabled: s.disabled, deleted: s.deleted } : s);

async function outcome(call: () => Promise<any>) {
  try {
    return { ok: service(await call()) };
  } catch (e) {
    return { error: (e as Error).constructor.name };
  }
}

export default async function (api: Api) {
  const admin = get_admin_context();
  const values = { host: 'h1', topic: 'compute', binary: 'nova-compute' };
  return [
    await outcome(() => api.service_create(admin, values)),
    await outcome(() => api.service_get(admin, 1)),
    await outcome(() => api.service_update(admin, 1, { disabled: true })),
    await outcome(() => api.service_create(admin, values)),
    await outcome(() => api.service_destroy(admin, 1)),
    await outcome(() => api.service_get(admin, 1)),
  ];
}
