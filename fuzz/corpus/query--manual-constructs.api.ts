import { model_query } from './session';
import * as models from './models';

export async function networks(context: any) {
  return await model_query(context, models.Network).outerjoin(models.FixedIp).all();
}

export async function pools(context: any) {
  const rows = await model_query(context, models.FloatingIp.pool).distinct().all();
  return rows.map((r: any) => r[0]);
}

export async function limited(context: any, limit: number) {
  let query = model_query(context, models.Flavor);
  query = query.limit(limit);
  return await query.all();
}
