import { model_query } from './session';
import * as models from './models';
import * as db_exc from 'oslo.db/exception';

export async function service_create(context: any, values: Record<string, any>) {
  const service_ref = new models.Service();
  service_ref.update(values);
  try {
    await service_ref.save();
  } catch (e) {
    if (e instanceof db_exc.DBDuplicateEntry) {
      throw new Error(e.columns.includes('binary') ? 'binary exists' : 'topic exists');
    }
    throw e;
  }
  return service_ref;
}
