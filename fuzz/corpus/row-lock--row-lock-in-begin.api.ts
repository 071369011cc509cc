import { get_session, model_query } from './session';
import * as models from './models';

export async function fixed_ip_associate(context: any, address: string, instance_uuid: string) {
  const session = get_session();
  return session.begin(async () => {
    const fixed_ip_ref = await model_query(context, models.FixedIp, { session }).filter_by({ address }).with_lockmode('update').first();
    if (fixed_ip_ref === null) {
      throw new Error(`no fixed ip ${address}`);
    }
    if (fixed_ip_ref.instance_uuid) {
      throw new Error(`${address} is in use`);
    }
    fixed_ip_ref.instance_uuid = instance_uuid;
    return fixed_ip_ref;
  });
}

export async function usage_bump(context: any, session: any, project_id: string) {
  const usages = await session.query(models.QuotaUsage).filter(models.QuotaUsage.project_id.eq(project_id)).with_for_update().all();
  for (const usage of usages) {
    usage.in_use += 1;
  }
  return usages;
}
