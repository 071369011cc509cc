import { model_query } from './session';
import * as models from './models';

export async function service_get_all(context: any, disabled: boolean) {
  return await model_query(context, models.Service, { read_deleted: 'no' }).filter_by({ disabled }).all();
}
