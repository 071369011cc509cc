import { get_session } from './session';

async function _service_get(context: any, service_id: number, opts: { session?: any } = {}) {
  return await opts.session.query(Service).filter_by({ id: service_id }).first();
}

export async function service_update(context: any, service_id: number, values: Record<string, any>) {
  const session = get_session();
  return session.begin(async () => {
    const service_ref = await _service_get(context, service_id, { session });
    if (values.report_count > service_ref.report_count) {
      service_ref.last_seen_up = new Date();
    }
    service_ref.update(values);
    return service_ref;
  });
}

export async function usages_update(context: any, project_id: string) {
  const session = get_session();
  return session.begin(async () => {
    const rows = await session.query(Usage).filter_by({ project_id }).all();
    for (const row of rows) {
      row.in_use += 1;
    }
    for await (const other of session.query(Usage).filter_by({ project_id })) other.reserved = 0;
    return rows;
  });
}

export async function instance_destroy(context: any, uuid: string, session: any) {
  const ref = await session.query(Instance).filter_by({ uuid }).first();
  Object.assign(ref, { deleted: ref.id });
  return ref;
}

declare const Service: any;
declare const Usage: any;
declare const Instance: any;
