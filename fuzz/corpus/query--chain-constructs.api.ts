import { model_query } from './session';
import * as models from './models';

export async function key_pairs(context: any, user_id: string, limit: number, offset: number) {
  return await model_query(context, models.KeyPair).filter_by({ user_id }).offset(offset).limit(limit).all();
}

export async function first_key_pair(context: any, user_id: string) {
  return await model_query(context, models.KeyPair).filter_by({ user_id }).limit(1).first();
}

export async function network_get(context: any, id: number) {
  return await model_query(context, models.Network).filter_by({ id }).one();
}

export async function in_use(context: any, group_id: number) {
  if (!(await model_query(context, models.SecurityGroupRule).filter_by({ group_id }).exists())) {
    return false;
  }
  return await model_query(context, models.SecurityGroupRule).filter_by({ group_id }).exists();
}

export async function by_node(context: any, nodename: string) {
  const service = await model_query(context, models.Service).join(models.ComputeNode).filter(models.ComputeNode.name.eq(nodename)).first();
  const all = await model_query(context, models.Service).join(models.ComputeNode).all();
  return [service, all];
}

export async function destroy(context: any, name: string) {
  const count = await model_query(context, models.KeyPair).filter_by({ name }).soft_delete();
  await model_query(context, models.KeyPair).filter_by({ name }).soft_delete();
  return count;
}
