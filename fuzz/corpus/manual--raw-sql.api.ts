import { text, func } from 'sqlalchemy';
import * as models from './models';

export async function archive(session: any, table: string) {
  const rows = await session.execute(text(`SELECT id FROM ${table} WHERE deleted != 0`));
  await session.rollback();
  return rows;
}

export async function count_by_host(session: any) {
  return await session.query(models.Instance.host, func.count(models.Instance.id)).all();
}

export const QUERY = 'DELETE FROM fixed_ips WHERE allocated = 0';

export async function create(values: any) {
  const ref = new models.Service();
  ref.update(values);
  await ref.save();
  return ref;
}
