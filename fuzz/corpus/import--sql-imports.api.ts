import { get_session, model_query, ModelQueryOptions } from './session';
import * as models from './models';
import { or_, and_, text } from 'sqlalchemy';
import type { Session } from 'sqlalchemy/orm';
import * as db_exc from 'oslo.db/exception';
import { RequestContext } from '../../context';

export async function f(context: RequestContext, session: Session, opts: ModelQueryOptions) {
  const q = model_query(context, models.Instance, opts).filter(or_(models.Instance.a.eq(1), and_(models.Instance.b.eq(2))));
  return [q, get_session(), db_exc.DBDuplicateEntry, session];
}

export async function raw(session: Session) {
  return await session.execute(text('SELECT 1'));
}
