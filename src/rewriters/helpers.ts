import type { ModuleFacts } from '../analyzer/module.js';

/**
 * Module-level helpers the port emits once, after the imports. Each is marked with a
 * `port-db: generated helper` comment so that porting the output again recognises it.
 */
export interface Helper {
  id: string;
  /** Names this helper needs from the target module. */
  imports: string[];
  render(facts: ModuleFacts, names: HelperNames): string;
}

/** The spellings the module uses for the re-emitted helpers. */
export interface HelperNames {
  session: string[];
  query: string[];
}

export const HELPER_MARK = '// port-db: generated helper';

const alias = (names: string[], render: (name: string) => string): string => {
  const [first, ...rest] = names;
  return [render(first), ...rest.map((n) => `const ${n} = ${first};`)].join('\n');
};

export const HELPERS: Helper[] = [
  {
    id: 'get_session',
    imports: ['RomeSession'],
    // one function per spelling (not an alias), so each visibly returns a RomeSession
    render: (_facts, names) =>
      names.session
        .map(
          (name) => `${HELPER_MARK} (session): ROME sessions replace the SQL session factory.
function ${name}(_options?: unknown): RomeSession {
  return new RomeSession();
}`,
        )
        .join('\n\n'),
  },
  {
    id: 'model_query',
    imports: ['RomeQuery', 'RomeSession', 'or_'],
    render: (facts, names) => {
      // the option names are the pack's (queryOptions), so the call sites keep working as written
      const o = facts.rules.queryOptions;
      const first = (keys: string[], on: string, fallback: string) => [...keys.map((k) => `${on}${k}`), fallback].join(' ?? ');
      const field = (keys: string[], type: string) => keys.map((k) => `  ${k}?: ${type};`);
      return alias(
        names.query,
        (name) => `${HELPER_MARK} (query): model_query on a RomeQuery.
// ROME ignores query options, so read_deleted and project_only are applied here as filters.
function ${name}(context: any, model: any, options: RomeModelQueryOptions = {}): RomeQuery<any> {
  // without a session the query is ROME's Query(M): its update()/delete() write at once (a session
  // query only queues them for a flush: lib/rome/core/orm/query.py:159-173, session.py:62-67)
  const session: RomeSession | undefined = ${first(o.session, 'options.', 'undefined').replace(/ \?\? undefined$/, '')};
  const read_deleted = ${first(o.readDeleted, 'options.', first(o.readDeleted, 'context?.', "'no'"))};
  const project_only = ${first(o.projectOnly, 'options.', 'false')};
  // a column query filters on the column's entity
  const entity = model?.class_ ?? model;
  let query = session ? session.query(model) : new RomeQuery(model);
  if (read_deleted === 'no') {
    query = query.filter(entity.deleted.eq(entity.deleted.default ?? 0));
  } else if (read_deleted === 'only') {
    query = query.filter(entity.deleted.ne(entity.deleted.default ?? 0));
  } else if (read_deleted !== 'yes') {
    throw new Error(\`Unrecognized read_deleted value '\${read_deleted}'\`);
  }
  const is_user_context = context && !context.is_admin && context.user_id && context.project_id;
  if (project_only && is_user_context) {
    if (project_only === 'allow_none') {
      query = query.filter(or_(entity.project_id.eq(context.project_id), entity.project_id.is(null)));
    } else {
      query = query.filter(entity.project_id.eq(context.project_id));
    }
  }
  return query;
}

interface RomeModelQueryOptions {
${[...field(o.session, 'RomeSession'), ...field(o.readDeleted, "'no' | 'yes' | 'only'"), ...field(o.projectOnly, "boolean | 'allow_none'"), ...field(o.useSlave, 'boolean')].join('\n')}
}`,
      );
    },
  },
  {
    id: 'oslo_model_query',
    imports: ['RomeQuery', 'RomeSession'],
    render: () => `${HELPER_MARK} (query): oslo.db's utils.model_query on a RomeQuery.
// The same contract: the model's query (or one on \`args\`), \`deleted\` true/false keeps only the
// soft-deleted/live rows (against the column's default), \`project_id\` one project or a list of them.
function _oslo_model_query(...call: any[]): RomeQuery<any> {
  // called with keywords (one object holding model and session) or positionally
  const keywords = call.length === 1 && call[0] && typeof call[0] === 'object' && 'model' in call[0];
  const { model, session, args, ...kwargs } = keywords ? call[0] : { model: call[0], session: call[1], args: call[2], ...(call[3] ?? {}) };
  // without a session: ROME's Query, whose update()/delete() write at once (a session's query
  // only queues them for its flush: lib/rome/core/orm/query.py:159-173)
  const rome_session: RomeSession | undefined = session || undefined;
  const targets = args && args.length > 0 ? args : [model];
  let query = rome_session ? rome_session.query(...targets) : new RomeQuery(...targets);
  if ('deleted' in kwargs) {
    if (!model.deleted) throw new Error(\`There is no \\\`deleted\\\` column in \\\`\${model.name}\\\` table. Project doesn't use soft-deleted feature.\`);
    const live = model.deleted.default ?? 0;
    query = query.filter(kwargs.deleted ? model.deleted.ne(live) : model.deleted.eq(live));
  }
  if ('project_id' in kwargs) {
    if (!model.project_id) throw new Error(\`There is no \\\`project_id\\\` column in \\\`\${model.name}\\\` table.\`);
    const project_id = kwargs.project_id;
    query = query.filter(Array.isArray(project_id) || project_id instanceof Set ? model.project_id.in_([...project_id]) : model.project_id.eq(project_id));
  }
  return query;
}`,
  },
  {
    id: 'sql_default',
    imports: ['Entity'],
    // models.ts: a column default ROME would apply by truthiness (lib/rome/core/models.py, _set_default_values)
    render: () => `${HELPER_MARK} (models): a column default as SQL applies it: to a field left null or unset when the
// row is saved. ROME's Entity gives a plain default to every FALSY field on each save (\`false\` saved as \`true\`).
function _sql_default(key: string, value: unknown): (row: Entity) => unknown {
  return (row) => row[key] ?? (typeof value === 'function' ? value() : value);
}`,
  },
  {
    id: 'one',
    imports: ['NoResultFound', 'MultipleResultsFound'],
    render: () => `${HELPER_MARK} (query): ROME's one() returns nothing; this keeps SQL's one() contract.
function _one<T>(rows: T[]): T {
  if (rows.length === 0) throw new NoResultFound('No row was found for one()');
  if (rows.length > 1) throw new MultipleResultsFound('Multiple rows were found for one()');
  return rows[0];
}`,
  },
  {
    id: 'order_by',
    imports: [],
    render: () => `${HELPER_MARK} (query): the rows sorted as SQL's ORDER BY sorted them.
// ROME sorts asc() descending and every key in the first key's direction (lib/rome/core/rows/tuples.py:290-298).
// Keys: a column or a column name, with its direction; NULLs first ascending, last descending; ties keep their order.
function _order_by<T>(rows: T[], order: ReadonlyArray<readonly [any, 'asc' | 'desc']>): T[] {
  const value = (row: any, column: any): any => {
    const entity = Array.isArray(row) ? (row.find((e: any) => column?.class_ && e instanceof column.class_) ?? row[0]) : row;
    return entity?.[typeof column === 'string' ? column : column.key];
  };
  const compare = (a: any, b: any): number => {
    if (a === null || a === undefined) return b === null || b === undefined ? 0 : -1;
    if (b === null || b === undefined) return 1;
    if (a instanceof Date) a = a.getTime();
    if (b instanceof Date) b = b.getTime();
    if (typeof a === 'boolean') a = Number(a);
    if (typeof b === 'boolean') b = Number(b);
    // numbers before text, as SQL's types order
    if (typeof a !== typeof b) return typeof a === 'number' ? -1 : typeof b === 'number' ? 1 : 0;
    return a < b ? -1 : a > b ? 1 : 0;
  };
  return rows
    .map((row, index) => ({ row, index }))
    .sort((x, y) => {
      for (const [column, direction] of order) {
        const c = compare(value(x.row, column), value(y.row, column));
        if (c !== 0) return direction === 'desc' ? -c : c;
      }
      return x.index - y.index;
    })
    .map(({ row }) => row);
}`,
  },
  {
    id: 'soft_delete_counting',
    imports: ['RomeQuery'],
    render: () => `${HELPER_MARK} (query): ROME's soft_delete() returns the query, not the row count SQL returned.
async function _soft_delete_counting(query: RomeQuery<any>): Promise<number> {
  const count = await query.count();
  await query.soft_delete();
  return count;
}`,
  },
  {
    id: 'delete_counting',
    imports: ['RomeQuery'],
    render: () => `${HELPER_MARK} (query): ROME's delete() returns the query, not the row count SQL returned.
async function _delete_counting(query: RomeQuery<any>): Promise<number> {
  const count = await query.count();
  await query.delete();
  return count;
}`,
  },
  {
    id: 'bulk_delete',
    imports: ['RomeQuery', 'Entity'],
    render: () => `${HELPER_MARK} (query): SQL's bulk delete() removes the rows at once and runs no model method; ROME's
// delete() calls each row's own delete() (lib/rome/core/orm/query.py:151-157), which a model class overrides here.
// Each row is removed by ROME's Entity.delete without a session: a hard delete, at once (lib/rome/core/models.py:232-238).
async function _bulk_delete(query: RomeQuery<any>): Promise<number> {
  const rows = await query.all();
  for (const row of rows) await Entity.prototype.delete.call(row);
  return rows.length;
}`,
  },
  {
    id: 'wrap_db_retry',
    imports: ['DBDeadlock'],
    render: () => `${HELPER_MARK} (transaction): oslo.db's wrap_db_retry on ROME.
// ROME raises DBDeadlock when a lock is held elsewhere (flush, acquire_lock): retried as oslo.db retried the database's deadlocks.
interface RomeRetryOptions {
  retry_interval?: number;
  max_retries?: number;
  inc_retry_interval?: boolean;
  max_retry_interval?: number;
  retry_on_deadlock?: boolean;
  retry_on_disconnect?: boolean;
  retry_on_request?: boolean;
  exception_checker?: (e: unknown) => boolean;
}

function wrap_db_retry(options: RomeRetryOptions = {}) {
  const { retry_interval = 1, max_retries = 20, inc_retry_interval = true, max_retry_interval = 10 } = options;
  const expected = (e: unknown) => (options.exception_checker?.(e) ?? false) || (e instanceof DBDeadlock && options.retry_on_deadlock === true);
  return <F extends (...args: any[]) => Promise<any>>(f: F): F =>
    (async (...args: any[]) => {
      let next_interval = retry_interval;
      for (let remaining = max_retries; ; remaining--) {
        try {
          return await f(...args);
        } catch (e) {
          if (remaining <= 0 || !expected(e)) throw e;
          await new Promise<void>((resolve) => setTimeout(() => resolve(), next_interval * 1000));
          if (inc_retry_interval) next_interval = Math.min(next_interval * 2, max_retry_interval);
        }
      }
    }) as F;
}`,
  },
  {
    id: 'lock',
    imports: ['ClusterLock', 'DBDeadlock'],
    render: (facts) => `${HELPER_MARK} (create-lock, row-lock): the distributed lock that replaces unique indexes and row locks.
// ClusterLock.lock tries once; acquire_lock retries with back-off, then raises DBDeadlock so retry-on-deadlock guards retry.
const cluster_lock = new ClusterLock();

async function acquire_lock(name: string): Promise<void> {
  for (let attempt = 0; attempt <= ${facts.rules.lock.retries}; attempt++) {
    if (await cluster_lock.lock(name, ${facts.rules.lock.ttlMs})) return;
    await new Promise<void>((resolve) => setTimeout(() => resolve(), ${facts.rules.lock.backoffMs} * 2 ** Math.min(attempt, 5)));
  }
  throw new DBDeadlock(\`lock \${name} not acquired after ${facts.rules.lock.retries} retries\`);
}

async function release_lock(name: string): Promise<void> {
  await cluster_lock.unlock(name);
}`,
  },
];

/** True when a local declaration was emitted by port-db (it follows the helper mark). */
export function isGeneratedHelper(text: string, declStart: number): boolean {
  const before = text.slice(Math.max(0, declStart - 400), declStart);
  const lines = before.split('\n');
  return lines.slice(-4).some((l) => l.trimStart().startsWith(HELPER_MARK));
}
