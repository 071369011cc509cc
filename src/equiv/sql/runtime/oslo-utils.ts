// `oslo.db/sqlalchemy/utils` for the SQL reference (oslo_db/sqlalchemy/utils.py): model_query
// with its `deleted` and `project_id` filters, and paginate_query's keyset pagination (sort keys
// in order, each ascending or descending, rows after the marker, at most `limit`).
import { and_, or_, type ColumnAttribute } from './expressions.js';
import { InvalidSortKey } from './oslo-exception.js';
import { isModelClass, mapperOf } from './mapper.js';
import type { Query, Session } from './orm.js';

export { InvalidSortKey };

export function model_query(opts: { model: unknown; session: Session; args?: unknown[]; deleted?: boolean | null; project_id?: unknown }): Query {
  const { model, session, args, deleted, project_id } = opts;
  if (!isModelClass(model)) throw new TypeError('model should be a subclass of ModelBase');
  const mapper = mapperOf(model);
  let query = args && args.length ? session.query(...args) : session.query(model);
  if (deleted !== undefined && deleted !== null) {
    const column = mapper.columns.get('deleted');
    if (!column) throw new ValueError(`There is no \`deleted\` column in \`${mapper.table}\` table. Project doesn't use soft-deleted feature.`);
    // the column's default is the "not deleted" value (0, false or 'False')
    const notDeleted = column.default;
    query = query.filter(deleted ? column.ne(notDeleted) : column.eq(notDeleted));
  }
  if (project_id !== undefined && project_id !== null) {
    const column = mapper.columns.get('project_id');
    if (!column) throw new ValueError(`There is no \`project_id\` column in \`${mapper.table}\` table.`);
    query = query.filter(Array.isArray(project_id) || project_id instanceof Set ? column.in_(project_id) : column.eq(project_id));
  }
  return query;
}

/** Python's ValueError, as oslo.db raises it for a model without the filtered column. */
export class ValueError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ValueError';
  }
}

export function paginate_query(
  query: Query,
  model: unknown,
  limit: number | null,
  sort_keys: string[],
  opts: { marker?: Record<string, unknown> | null; sort_dir?: string | null; sort_dirs?: string[] | null } = {},
): Query {
  const { marker, sort_dir } = opts;
  if (sort_dir && opts.sort_dirs) throw new ValueError('give sort_dir or sort_dirs, not both');
  const dirs = opts.sort_dirs ?? sort_keys.map(() => sort_dir ?? 'asc');
  if (dirs.length !== sort_keys.length) throw new ValueError('sort_dirs and sort_keys differ in length');
  const attr = (key: string): ColumnAttribute => {
    const column = isModelClass(model) ? mapperOf(model).columns.get(key) : undefined;
    if (!column) throw new InvalidSortKey();
    return column;
  };
  sort_keys.forEach((key, i) => {
    if (dirs[i] !== 'asc' && dirs[i] !== 'desc') throw new ValueError("Unknown sort direction, must be 'desc' or 'asc'");
    query = query.order_by(dirs[i] === 'desc' ? attr(key).desc() : attr(key).asc());
  });
  if (marker !== undefined && marker !== null) {
    const values = sort_keys.map((key) => marker[key]);
    // rows after the marker: equal on the keys before i, strictly after it on key i
    const criteria = sort_keys.map((key, i) =>
      and_(...sort_keys.slice(0, i).map((before, j) => attr(before).eq(values[j])), dirs[i] === 'desc' ? attr(key).lt(values[i]) : attr(key).gt(values[i])),
    );
    query = query.filter(or_(...criteria));
  }
  if (limit !== null && limit !== undefined) query = query.limit(limit);
  return query;
}
