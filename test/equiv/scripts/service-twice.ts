// A scenario body for both sides of the Nova sample: the same service created twice, then read.
// Answers what each call did: plain data, comparable across the sides.
import { get_admin_context } from '../../../fixtures/nova/nova/context';

type Api = Record<string, (...args: any[]) => Promise<any>>;

async function outcome(call: () => Promise<any>) {
  try {
    const value = await call();
    return { ok: value && typeof value === 'object' ? { host: value.host, topic: value.topic, binary: value.binary, deleted: value.deleted } : value };
  } catch (e) {
    return { error: (e as Error).constructor.name };
  }
}

export default async function (api: Api) {
  const admin = get_admin_context();
  const values = { host: 'h1', topic: 'compute', binary: 'nova-compute' };
  return [
    await outcome(() => api.service_create(admin, values)),
    await outcome(() => api.service_create(admin, values)),
    await outcome(() => api.service_create(admin, { ...values, topic: 'other' })),
    await outcome(() => api.service_get(admin, 1)),
  ];
}
