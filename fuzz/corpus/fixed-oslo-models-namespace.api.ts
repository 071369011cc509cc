import * as models from './models';
import * as db_models from 'oslo.db/sqlalchemy/models';

export async function quota_create(values: any) {
  const quota_ref = new models.Quota();
  quota_ref.update(values);
  await quota_ref.save();
  return quota_ref;
}
