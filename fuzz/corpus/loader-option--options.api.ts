import { model_query } from './session';
import * as models from './models';
import { joinedload, joinedload_all, undefer } from 'sqlalchemy';

export async function instance_get(context: any, id: number, columns_to_join: string[]) {
  let query = model_query(context, models.Instance).filter_by({ id });
  for (const column of columns_to_join) {
    query = query.options(joinedload(column));
  }
  return await query
    .options(joinedload_all('security_groups.rules'), undefer('user_data'))
    .first();
}

export async function mixed(context: any) {
  return await model_query(context, models.Instance).options(joinedload('x'), somethingElse()).all();
}

declare function somethingElse(): any;
