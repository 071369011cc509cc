import { model_query } from './session';
import * as models from './models';

export function quota_create(context: any, project_id: string, resource: string, limit: number) {
  const quota_ref = new models.Quota();
  quota_ref.project_id = project_id;
  quota_ref.resource = resource;
  quota_ref.hard_limit = limit;
  quota_ref.save();
  return quota_ref;
}

export async function quota_create_default(context: any, project_id: string) {
  return quota_create(context, project_id, 'instances', 10);
}
