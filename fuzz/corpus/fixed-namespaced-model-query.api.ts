// A query helper reached through a namespace import of the package (`db_api.model_query`): the
// call loses its namespace (the helper is emitted in this module) and its chain is ported; a
// second port changes nothing.
import * as db_api from '../api';
import * as db_default from './session';
import * as models from './models';

export async function service_get(context: any, id: number) {
  return await db_api.model_query(context, models.Service).filter_by({ id }).first();
}

export async function service_destroy(context: any, id: number) {
  const session = db_default.get_session();
  await session.begin(async () => {
    await db_api.model_query(context, models.Service, { session }).filter_by({ id }).soft_delete();
  });
}

export async function service_get_page(context: any) {
  return await db_api.model_query(context, models.Service).order_by(models.Service.id).limit(5).all();
}
