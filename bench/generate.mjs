#!/usr/bin/env node
// Deterministic generator of Nova-style SQL modules (the source dialect of fixtures/nova) for
// the benchmark. A module is a header (imports, guards) followed by groups of functions; each
// group takes one model and a fresh name prefix and renders the templates below, which between
// them exercise every rewrite kind: session, model_query, limit/offset/one/exists/join,
// counting soft_delete, session.add in a unit of work, loader options, subtransactions, manual
// constructs (raw SQL, outerjoin, subquery, func/group_by, distinct, begin_nested, .any(),
// column queries), creates and row locks. Same arguments, same bytes.
//
//   node bench/generate.mjs <out-dir> [--functions N] [--modules M]
//
// writes <out-dir>/nova/db/sqlalchemy/api.ts (one module) or, with --modules M > 1,
// <out-dir>/svcNNN/svcNNN/db/sqlalchemy/api.ts, each with the Nova fixture's models, session,
// context, exception and utils modules beside it (copied from fixtures/nova).

import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const SAMPLE = join(HERE, '..', 'fixtures', 'nova');
const NOVA = join(SAMPLE, 'nova');

/** Models of fixtures/nova/nova/db/sqlalchemy/models.ts. */
const MODELS = [
  'Service',
  'ComputeNode',
  'Instance',
  'InstanceFault',
  'Migration',
  'Network',
  'FixedIp',
  'FloatingIp',
  'SecurityGroup',
  'SecurityGroupRule',
  'KeyPair',
  'Flavor',
  'FlavorProjects',
  'Quota',
  'QuotaUsage',
  'AggregateHost',
  'Aggregate',
];

const snake = (s) => s.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
const camel = (s) => s.replace(/_([a-z0-9])/g, (_, c) => c.toUpperCase());

const HEADER = `// Implementation of a generated service's db api on SQLAlchemy (port-db benchmark input).
//
// Every function takes the request context first. Reads go through model_query(), which
// hides soft-deleted rows and scopes user contexts to their project; writes run in a unit of
// work (\`session.begin(async () => ...)\`) so that they commit or roll back together.

import { get_session, getSession, model_query, modelQuery } from './session';
import * as models from './models';
import { or_, and_, func, joinedload, joinedload_all, undefer, text } from 'sqlalchemy';
import { NoResultFound } from 'sqlalchemy/orm';
import * as db_exc from 'oslo.db/exception';
import { RequestContext, is_user_context, authorize_project_context, authorize_user_context } from '../../context';
import * as exception from '../../exception';
import { utcnow, is_uuid_like, sleep } from '../../utils';

type Values = Record<string, any>;
type ContextFunction = (context: RequestContext, ...args: any[]) => any;

const MAX_DEADLOCK_RETRIES = 5;

// -- guards -------------------------------------------------------------------

/** Only a user context (of some project) or an admin context may call \`f\`. */
function require_context<F extends ContextFunction>(f: F): F {
  const wrapper = (context: RequestContext, ...args: any[]) => {
    if (!context.is_admin && !is_user_context(context)) {
      throw new exception.Forbidden();
    }
    return f(context, ...args);
  };
  return wrapper as F;
}

/** Only an admin context may call \`f\`. */
function require_admin_context<F extends ContextFunction>(f: F): F {
  const wrapper = (context: RequestContext, ...args: any[]) => {
    if (!context.is_admin) {
      throw new exception.AdminRequired();
    }
    return f(context, ...args);
  };
  return wrapper as F;
}

/** Runs \`f\` again (from the start of its unit of work) when the database reports a deadlock. */
function _retry_on_deadlock<F extends (...args: any[]) => Promise<any>>(f: F): F {
  const wrapper = async (...args: any[]) => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await f(...args);
      } catch (e) {
        if (e instanceof db_exc.DBDeadlock && attempt < MAX_DEADLOCK_RETRIES) {
          await sleep(0.5);
          continue;
        }
        throw e;
      }
    }
  };
  return wrapper as F;
}
`;

/**
 * The templates of one group, in order. Each renders one top-level function (a class renders
 * its two methods and counts as two). `g` = { p: snake prefix, c: camel prefix, M: model,
 * J: another model (joins), k: group number }.
 */
const TEMPLATES = [
  // private helper: a read that takes an optional session (used by the units of work below)
  {
    units: 1,
    render: ({ p, M }) => `async function _${p}_get(context: RequestContext, ${p}_id: number, opts: { session?: any } = {}) {
  const result = await model_query(context, models.${M}, { session: opts.session })
    .filter_by({ id: ${p}_id })
    .first();
  if (!result) {
    throw new exception.NotFound({ ${p}_id });
  }
  return result;
}`,
  },
  // 1: unchanged plain read through the helper
  {
    units: 1,
    render: ({ p }) => `/** The ${p.replace(/_/g, ' ')} with id \`${p}_id\`; raises NotFound when there is none. */
export async function ${p}_get(context: RequestContext, ${p}_id: number) {
  return await _${p}_get(context, ${p}_id);
}`,
  },
  // 1: unchanged guarded read, two filter_by
  {
    units: 1,
    render: ({ p, M }) => `export const ${p}_get_by_host_and_topic = require_admin_context(
  async (context: RequestContext, host: string, topic: string) => {
    return await model_query(context, models.${M}, { read_deleted: 'no' })
      .filter_by({ host, topic })
      .filter_by({ disabled: false })
      .first();
  },
);`,
  },
  // 6: join on a single-entity query ending in first()
  {
    units: 1,
    render: ({ p, M, J }) => `/** The ${p.replace(/_/g, ' ')} running on the node \`nodename\`. */
export const ${p}_get_by_node = require_admin_context(async (context: RequestContext, nodename: string) => {
  const result = await model_query(context, models.${M}, { read_deleted: 'no' })
    .filter_by({ binary: 'nova-compute' })
    .join(models.${J})
    .filter(models.${J}.hypervisor_hostname.eq(nodename))
    .first();
  if (!result) {
    throw new exception.ComputeHostNotFound({ host: nodename });
  }
  return result;
});`,
  },
  // 8: create with a duplicate check
  {
    units: 1,
    render: ({ p, M }) => `export async function ${p}_create(context: RequestContext, values: Values) {
  const ${p}_ref = new models.${M}();
  ${p}_ref.update(values);
  try {
    await ${p}_ref.save();
  } catch (e) {
    if (e instanceof db_exc.DBDuplicateEntry) {
      if (e.columns.includes('binary')) {
        throw new exception.ServiceBinaryExists({ host: values.host, binary: values.binary });
      }
      throw new exception.ServiceTopicExists({ host: values.host, topic: values.topic });
    }
    throw e;
  }
  return ${p}_ref;
}`,
  },
  // 2, 3: unit of work, loaded through the helper with the session, update(values), no add
  {
    units: 1,
    render: ({ p }) => `export const ${p}_update = require_admin_context(
  _retry_on_deadlock(async (context: RequestContext, ${p}_id: number, values: Values) => {
    const session = get_session();
    return session.begin(async () => {
      const ${p}_ref = await _${p}_get(context, ${p}_id, { session });
      // only a heartbeat moves last_seen_up: an admin disabling it does not
      if ('report_count' in values && values.report_count > ${p}_ref.report_count) {
        ${p}_ref.last_seen_up = utcnow();
      }
      ${p}_ref.update(values);
      return ${p}_ref;
    });
  }),
);`,
  },
  // 2, 6: soft_delete(session) on an entity, soft_delete() on a query as a statement
  {
    units: 1,
    render: ({ p, J }) => `export async function ${p}_destroy(context: RequestContext, ${p}_id: number) {
  const session = get_session();
  await session.begin(async () => {
    const ${p}_ref = await _${p}_get(context, ${p}_id, { session });
    await ${p}_ref.soft_delete(session);
    if (${p}_ref.binary === 'nova-compute') {
      await model_query(context, models.${J}, { session }).filter_by({ ${p}_id }).soft_delete();
    }
  });
}`,
  },
  // 2, 3: inline model_query with the session in a unit of work, no add
  {
    units: 1,
    render: ({ p, M }) => `export const ${p}_touch = require_admin_context(
  _retry_on_deadlock(async (context: RequestContext, ${p}_id: number, values: Values) => {
    const session = get_session();
    return session.begin(async () => {
      const ref = await model_query(context, models.${M}, { session })
        .filter_by({ id: ${p}_id })
        .first();
      if (!ref) {
        throw new exception.NotFound({ ${p}_id });
      }
      // always touch updated_at: readers take it as "reported recently"
      values.updated_at = utcnow();
      ref.update(values);
      return ref;
    });
  }),
);`,
  },
  // 5: loader options
  {
    units: 1,
    render: ({ p, M }) => `export const ${p}_get_with_rules = require_context(async (context: RequestContext, ${p}_id: number) => {
  const result = await model_query(context, models.${M}, { project_only: true })
    .filter_by({ id: ${p}_id })
    .options(joinedload_all('security_groups.rules'), undefer('user_data'))
    .first();
  if (!result) {
    throw new exception.NotFound({ ${p}_id });
  }
  return result;
});`,
  },
  // 5, 6: joinedload loop, filters, offset/limit/all
  {
    units: 1,
    render: ({ p, M }) => `/**
 * ${p.replace(/_/g, ' ')} rows matching \`filters\`: exact-match keys compare equal, \`name\` is a
 * substring match, \`changes-since\` a time; \`deleted\` shows only deleted rows.
 */
export const ${p}_get_all_by_filters = require_context(
  async (
    context: RequestContext,
    filters: Values,
    sort_dir = 'desc',
    limit: number | null = null,
    offset = 0,
    columns_to_join: string[] = ['security_groups', 'fixed_ips'],
  ) => {
    const read_deleted = filters.deleted ? 'only' : context.read_deleted;
    let query = model_query(context, models.${M}, { read_deleted, project_only: true });
    for (const column of columns_to_join) {
      query = query.options(joinedload(column));
    }
    if ('changes-since' in filters) {
      query = query.filter(models.${M}.updated_at.ge(filters['changes-since']));
    }
    if (filters.name) {
      query = query.filter(or_(models.${M}.display_name.like(\`%\${filters.name}%\`), models.${M}.hostname.like(\`%\${filters.name}%\`)));
    }
    if (filters.ip_missing) {
      query = query.filter(and_(models.${M}.vm_state.ne('deleted'), models.${M}.host.is(null)));
    }
    query = query.order_by(sort_dir === 'asc' ? models.${M}.created_at.asc() : models.${M}.created_at.desc());
    if (limit !== null) {
      return await query.offset(offset).limit(limit).all();
    }
    return await query.all();
  },
);`,
  },
  // 7: column query read as row[0]
  {
    units: 1,
    render: ({ p, M }) => `export async function ${p}_get_all_uuids_by_host(context: RequestContext, host: string) {
  const uuids: string[] = [];
  for (const row of await model_query(context, models.${M}.uuid, { read_deleted: 'no' })
    .filter_by({ host })
    .all()) {
    uuids.push(row[0]);
  }
  return uuids;
}`,
  },
  // 7: func.count + group_by
  {
    units: 1,
    render: ({ p, M }) => `/** How many live rows each host holds: { host: count }. */
export const ${p}_count_by_host = require_admin_context(async (context: RequestContext) => {
  const session = get_session({ use_slave: true });
  const rows = await session
    .query(models.${M}.host, func.count(models.${M}.id))
    .filter(models.${M}.deleted.eq(0))
    .filter(models.${M}.host.ne(null))
    .group_by(models.${M}.host)
    .all();
  const counts: Record<string, number> = {};
  for (const [host, count] of rows) {
    counts[host] = count;
  }
  return counts;
});`,
  },
  // 2, 3: field assignments only, no add
  {
    units: 1,
    render: ({ p }) => `export const ${p}_mark_deleted = require_context(async (context: RequestContext, ${p}_id: number) => {
  const session = get_session();
  return session.begin(async () => {
    const ${p}_ref = await _${p}_get(context, ${p}_id, { session });
    ${p}_ref.vm_state = 'deleted';
    ${p}_ref.task_state = null;
    ${p}_ref.terminated_at = utcnow();
    ${p}_ref.deleted = ${p}_ref.id;
    ${p}_ref.deleted_at = utcnow();
    return ${p}_ref;
  });
});`,
  },
  // 2, 9: row lock (with_lockmode), save(session)
  {
    units: 1,
    render: ({ p, M }) => `/**
 * Claims a free ${p.replace(/_/g, ' ')} row for \`instance_uuid\`. The row is read FOR UPDATE so that
 * two concurrent requests cannot both see it free and both take it.
 */
export const ${p}_associate = require_admin_context(
  _retry_on_deadlock(async (context: RequestContext, address: string, instance_uuid: string, network_id: number | null = null) => {
    if (!is_uuid_like(instance_uuid)) {
      throw new exception.InvalidUUID({ uuid: instance_uuid });
    }
    const session = get_session();
    return session.begin(async () => {
      const network_or_none = or_(models.${M}.network_id.eq(network_id), models.${M}.network_id.is(null));
      const ref = await model_query(context, models.${M}, { session, read_deleted: 'no' })
        .filter(network_or_none)
        .filter_by({ address })
        .with_lockmode('update')
        .first();
      if (ref === null) {
        throw new exception.NotFound({ address });
      }
      if (ref.instance_uuid) {
        throw new exception.AlreadyInUse({ address, instance_uuid });
      }
      ref.instance_uuid = instance_uuid;
      await ref.save(session);
      return ref;
    });
  }),
);`,
  },
  // 1: camelCase, unchanged
  {
    units: 1,
    render: ({ c, M }) => `export async function ${c}GetAllByProject(context: RequestContext, projectId: string) {
  authorize_project_context(context, projectId);
  // automatically assigned rows are not the user's to manage
  return await modelQuery(context, models.${M}, { readDeleted: 'no' })
    .filterBy({ project_id: projectId, auto_assigned: false })
    .orderBy(models.${M}.address.asc())
    .all();
}`,
  },
  // 2, 3: camelCase session, for await over a query, field writes, no add
  {
    units: 1,
    render: ({ c, M }) => `/** Releases every row held by \`host\`; answers how many were released. */
export async function ${c}DeallocateAllByHost(context: RequestContext, host: string) {
  const session = getSession();
  return session.begin(async () => {
    let released = 0;
    for await (const row of modelQuery(context, models.${M}, { session }).filterBy({ host })) {
      row.project_id = null;
      row.host = null;
      row.auto_assigned = false;
      released += 1;
    }
    return released;
  });
}`,
  },
  // 7: distinct column query
  {
    units: 1,
    render: ({ p, M }) => `export async function ${p}_get_pools(context: RequestContext) {
  const session = get_session();
  const pools: { name: string }[] = [];
  for (const result of await session.query(models.${M}.pool).distinct().all()) {
    pools.push({ name: result[0] });
  }
  return pools;
}`,
  },
  // 6: one() with project_only 'allow_none'
  {
    units: 1,
    render: ({ p, M }) => `export const ${p}_get_shared = require_context(async (context: RequestContext, ${p}_id: number) => {
  // project rows and the shared ones (project_id NULL)
  const result = await model_query(context, models.${M}, { project_only: 'allow_none' })
    .filter_by({ id: ${p}_id })
    .one();
  return result;
});`,
  },
  // 7: outerjoin, column query, subquery inside in_()
  {
    units: 1,
    render: ({ p, M, J }) => `/** Rows served by \`host\`: hosted there, or referenced from a row running there. */
export const ${p}_get_all_by_host = require_admin_context(async (context: RequestContext, host: string) => {
  const session = get_session();
  const fixed_host_filter = or_(models.${J}.host.eq(host), and_(models.${J}.instance_uuid.ne(null), models.Instance.host.eq(host)));
  const inner = model_query(context, models.${J}.network_id, { session })
    .outerjoin(models.Instance, models.Instance.uuid.eq(models.${J}.instance_uuid))
    .filter(fixed_host_filter);
  const host_filter = or_(models.${M}.host.eq(host), models.${M}.id.in_(inner.subquery()));
  return await model_query(context, models.${M}, { session }).filter(host_filter).all();
});`,
  },
  // 2, 8: create saved inside a unit of work
  {
    units: 1,
    render: ({ p, M }) => `export const ${p}_create_in_session = require_context(async (context: RequestContext, values: Values) => {
  const ref = new models.${M}();
  ref.update(values);
  const session = get_session();
  try {
    await session.begin(async () => {
      await ref.save(session);
    });
  } catch (e) {
    if (e instanceof db_exc.DBDuplicateEntry) {
      throw new exception.AlreadyExists({ project_id: values.project_id, name: values.name });
    }
    throw e;
  }
  return ref;
});`,
  },
  // 5, 6: one() in a try that catches NoResultFound
  {
    units: 1,
    render: ({ p, M }) => `export const ${p}_get_by_name = require_context(
  async (context: RequestContext, project_id: string, name: string) => {
    try {
      return await model_query(context, models.${M}, { read_deleted: 'no' })
        .filter_by({ project_id, name })
        .options(joinedload('rules'))
        .one();
    } catch (e) {
      if (e instanceof NoResultFound) {
        throw new exception.NotFoundForProject({ project_id, name });
      }
      throw e;
    }
  },
);`,
  },
  // 6: exists()
  {
    units: 1,
    render: ({ p, M }) => `/** Whether a row still refers to \`group_id\`. */
export const ${p}_in_use = require_context(async (context: RequestContext, group_id: number) => {
  return await model_query(context, models.${M}, { read_deleted: 'no' }).filter_by({ group_id }).exists();
});`,
  },
  // 2, 7, 8: create inside begin_nested, re-read with one()
  {
    units: 1,
    render: ({ p, M }) => `/** The project's "default" row, created on first use. */
export const ${p}_ensure_default = require_context(async (context: RequestContext) => {
  const session = get_session();
  return session.begin(async () => {
    const existing = await model_query(context, models.${M}, { session, read_deleted: 'no' })
      .filter_by({ project_id: context.project_id, name: 'default' })
      .first();
    if (existing) {
      return existing;
    }
    const created = new models.${M}();
    created.update({ name: 'default', user_id: context.user_id, project_id: context.project_id });
    try {
      // a savepoint: losing the race to a concurrent request must not abort the transaction
      await session.begin_nested(async () => {
        await created.save(session);
      });
    } catch (e) {
      if (!(e instanceof db_exc.DBDuplicateEntry)) {
        throw e;
      }
      return await model_query(context, models.${M}, { session, read_deleted: 'no' })
        .filter_by({ project_id: context.project_id, name: 'default' })
        .one();
    }
    return created;
  });
});`,
  },
  // 2, 4, 6: subtransactions, soft_delete() statements
  {
    units: 1,
    render: ({ p, M, J }) => `export const ${p}_purge = require_context(async (context: RequestContext, ${p}_id: number) => {
  const session = get_session();
  await session.begin(
    async () => {
      await model_query(context, models.${M}, { session }).filter_by({ id: ${p}_id }).soft_delete();
      await model_query(context, models.${J}, { session }).filter_by({ group_id: ${p}_id }).soft_delete();
      await model_query(context, models.${J}, { session })
        .filter_by({ parent_group_id: ${p}_id })
        .soft_delete();
    },
    { subtransactions: true },
  );
});`,
  },
  // 8: create through Object.assign
  {
    units: 1,
    render: ({ p, M }) => `export const ${p}_create_for_user = require_context(async (context: RequestContext, values: Values) => {
  authorize_user_context(context, values.user_id);
  const ref = new models.${M}();
  Object.assign(ref, values);
  try {
    await ref.save();
  } catch (e) {
    if (e instanceof db_exc.DBDuplicateEntry) {
      throw new exception.AlreadyExists({ name: values.name });
    }
    throw e;
  }
  return ref;
});`,
  },
  // 6: soft_delete() count returned
  {
    units: 1,
    render: ({ p, M }) => `export const ${p}_destroy_for_user = require_context(async (context: RequestContext, user_id: string, name: string) => {
  authorize_user_context(context, user_id);
  const count = await model_query(context, models.${M}).filter_by({ user_id, name }).soft_delete();
  if (!count) {
    throw new exception.NotFound({ user_id, name });
  }
  return count;
});`,
  },
  // 6: expression-bodied arrow, limit().all()
  {
    units: 1,
    render: ({ p, M }) => `export const ${p}_get_all_by_user = require_context(
  async (context: RequestContext, user_id: string, limit = 100) =>
    await model_query(context, models.${M}, { read_deleted: 'no' })
      .filter_by({ user_id })
      .order_by(models.${M}.name.asc())
      .limit(limit)
      .all(),
);`,
  },
  // 1: sync count()
  {
    units: 1,
    render: ({ p, M }) => `export function ${p}_count_by_user(context: RequestContext, user_id: string) {
  authorize_user_context(context, user_id);
  return model_query(context, models.${M}, { read_deleted: 'no' }).filter_by({ user_id }).count();
}`,
  },
  // 7: subquery / in_(subquery); limit on a stored query
  {
    units: 1,
    render: ({ p, M, J }) => `export const ${p}_get_all = require_context(
  async (context: RequestContext, inactive = false, filters: Values = {}, limit: number | null = null) => {
    let query = model_query(context, models.${M}, { read_deleted: inactive ? 'yes' : 'no' });
    if ('min_memory_mb' in filters) {
      query = query.filter(models.${M}.memory_mb.ge(filters.min_memory_mb));
    }
    if ('is_public' in filters && filters.is_public !== null) {
      const the_filter = [models.${M}.is_public.eq(filters.is_public)];
      if (filters.is_public && context.project_id !== null) {
        const granted = model_query(context, models.${J}.instance_type_id, { read_deleted: 'no' })
          .filter_by({ project_id: context.project_id })
          .subquery();
        the_filter.push(models.${M}.id.in_(granted));
      }
      query = query.filter(the_filter.length > 1 ? or_(...the_filter) : the_filter[0]);
    }
    if (limit) {
      query = query.limit(limit);
    }
    return await query.all();
  },
);`,
  },
  // class with two methods: unchanged read, soft_delete() count tested
  {
    units: 2,
    render: ({ p, M, k }) => `/** Which projects may use the private ${p.replace(/_/g, ' ')} rows. */
export class AccessApi${k} {
  async ${p}_access_get(context: RequestContext, instance_type_id: number) {
    return await model_query(context, models.${M}, { read_deleted: 'no' })
      .filter_by({ instance_type_id })
      .all();
  }

  async ${p}_access_remove(context: RequestContext, instance_type_id: number, project_id: string) {
    const count = await model_query(context, models.${M}, { read_deleted: 'no' })
      .filter_by({ instance_type_id, project_id })
      .soft_delete();
    if (count === 0) {
      throw new exception.AccessNotFound({ instance_type_id, project_id });
    }
  }
}`,
  },
  // 8: sync create, field writes, un-awaited save()
  {
    units: 1,
    render: ({ p, M }) => `export function ${p}_quota_create(context: RequestContext, project_id: string, resource: string, limit: number) {
  const ref = new models.${M}();
  ref.project_id = project_id;
  ref.resource = resource;
  ref.hard_limit = limit;
  try {
    ref.save();
  } catch (e) {
    if (e instanceof db_exc.DBDuplicateEntry) {
      throw new exception.QuotaExists({ project_id, resource });
    }
    throw e;
  }
  return ref;
}`,
  },
  // 2, 3, 9: with_for_update(), rows of all() mutated in a loop
  {
    units: 1,
    render: ({ p, M }) => `/**
 * Reserves \`deltas\` against \`quotas\`. The rows stay locked until the unit of work ends, so
 * concurrent reservations see each other's.
 */
export const ${p}_reserve = require_context(
  _retry_on_deadlock(async (context: RequestContext, quotas: Record<string, number>, deltas: Record<string, number>) => {
    const session = get_session();
    return session.begin(async () => {
      const usages = await model_query(context, models.${M}, { session, read_deleted: 'no' })
        .filter_by({ project_id: context.project_id })
        .with_for_update()
        .all();
      const overs: string[] = [];
      for (const usage of usages) {
        const delta = deltas[usage.resource] ?? 0;
        const limit = quotas[usage.resource] ?? -1;
        if (delta > 0 && limit >= 0 && usage.in_use + usage.reserved + delta > limit) {
          overs.push(usage.resource);
        }
      }
      if (overs.length > 0) {
        throw new exception.OverQuota({ overs: overs.join(', ') });
      }
      for (const usage of usages) {
        usage.reserved += deltas[usage.resource] ?? 0;
        usage.updated_at = utcnow();
      }
      return usages;
    });
  }),
);`,
  },
  // 7: relationship .any()
  {
    units: 1,
    render: ({ c, M }) => `export async function ${c}GetByHost(context: RequestContext, host: string) {
  return await modelQuery(context, models.${M}, { readDeleted: 'no' })
    .filter(models.${M}._hosts.any(models.AggregateHost.host.eq(host)))
    .all();
}`,
  },
  // 2, 3: session.add already there, must be left alone
  {
    units: 1,
    render: ({ c, M }) => `export async function ${c}Update(context: RequestContext, id: number, values: Values) {
  const session = getSession();
  return session.begin(async () => {
    const row = await modelQuery(context, models.${M}, { session, readDeleted: 'no' })
      .filterBy({ id })
      .first();
    if (!row) {
      throw new exception.NotFound({ id });
    }
    row.update(values);
    session.add(row);
    return row;
  });
}`,
  },
  // 2, 6: camelCase softDelete() count
  {
    units: 1,
    render: ({ c, M, J }) => `export async function ${c}Delete(context: RequestContext, id: number) {
  const session = getSession();
  return session.begin(async () => {
    const count = await modelQuery(context, models.${M}, { session }).filterBy({ id }).softDelete();
    if (count === 0) {
      throw new exception.NotFound({ id });
    }
    await modelQuery(context, models.${J}, { session }).filterBy({ parent_id: id }).softDelete();
    return count;
  });
}`,
  },
  // 2, 3, 4: Object.assign in a unit of work with subtransactions
  {
    units: 1,
    render: ({ p }) => `export const ${p}_assign = require_admin_context(async (context: RequestContext, ${p}_id: number, values: Values) => {
  const session = get_session();
  return session.begin(
    async () => {
      const ref = await _${p}_get(context, ${p}_id, { session });
      Object.assign(ref, values);
      return ref;
    },
    { subtransactions: true },
  );
});`,
  },
  // 2, 7: raw SQL through session.execute(text(...))
  {
    units: 1,
    render: ({ p }) => `/** Moves up to \`max_rows\` soft-deleted rows of \`tablename\` to its shadow table. */
export const ${p}_archive_deleted_rows = require_admin_context(async (context: RequestContext, tablename: string, max_rows: number) => {
  const session = get_session();
  return session.begin(async () => {
    const ids: number[] = [];
    for (const row of await session.execute(text(\`SELECT id FROM \${tablename} WHERE deleted != 0 LIMIT :max_rows\`), { max_rows })) {
      ids.push(row.id);
    }
    if (ids.length === 0) {
      return 0;
    }
    await session.execute(text(\`INSERT INTO shadow_\${tablename} SELECT * FROM \${tablename} WHERE id IN :ids\`), { ids });
    const result = await session.execute(text(\`DELETE FROM \${tablename} WHERE id IN :ids\`), { ids });
    return result.rowcount;
  });
});`,
  },
];

const UNITS_PER_GROUP = TEMPLATES.reduce((n, t) => n + t.units, 0);

/** Prose for the doc comments: Nova's module is about one line in three comments or blank. */
const PROSE = [
  'Reads go through model_query(): soft-deleted rows hidden, user contexts scoped to their project.',
  'Callers hold the request context; an admin context sees every project.',
  'Raises NotFound when no live row matches, so that the API layer answers 404.',
  'The unit of work commits when the callback returns and rolls back when it throws.',
  'Writes bump updated_at through the TimestampMixin; nothing here sets it by hand.',
  'A deadlock reported by the database is retried from the start of the unit of work.',
  'Soft-deleted rows keep their id in `deleted`, so unique keys that include it stay free.',
  'The scheduler and the compute manager both call this; keep it cheap for them.',
  'Results come back ordered so that paging with a marker is stable between calls.',
  'Values may carry keys the model does not have: they are ignored, as SQLAlchemy does.',
  'The caller owns the returned rows; changing them outside a session persists nothing.',
  'Filters that name a column the model lacks raise InvalidFilter rather than match nothing.',
  'Timestamps are naive UTC datetimes, as everywhere in this module.',
  'Project and user ids are opaque strings from the identity service; they are not checked here.',
  'Keep the query shape stable: the slow-query log groups statements by it.',
  'Counting happens in the database; do not load the rows to count them in Python.',
  'The cells layer calls this through the conductor, never from the compute hosts directly.',
  'Quota usage is not touched here; the caller reserves and commits it separately.',
  'See the API reference for the fields a caller may filter and sort on.',
];

/** A doc comment of 8 to 21 lines for a template that has none (same seed, same comment). */
function docComment(rand, subject) {
  const n = 4 + Math.floor(rand() * 14);
  const start = Math.floor(rand() * PROSE.length);
  const body = [`${subject[0].toUpperCase()}${subject.slice(1)}.`, ...Array.from({ length: n }, (_, i) => PROSE[(start + i) % PROSE.length])];
  if (n > 3) body.splice(2, 0, '');
  return ['/**', ...body.map((l) => (l ? ` * ${l}` : ' *')), ' */'].join('\n');
}

/** Small deterministic PRNG (mulberry32): varies the order of templates between groups. */
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A module of about `functions` functions (top-level functions and class methods, not counting
 * the three guards of the header). The helper of a group always comes first; the rest of the
 * group is shuffled so that neighbouring groups differ.
 */
export function generateModule(functions, seed = 1) {
  const rand = rng(seed);
  const parts = [HEADER];
  let made = 0;
  for (let k = 0; made < functions; k++) {
    const M = MODELS[(k * 7) % MODELS.length];
    const J = MODELS[(k * 7 + 3) % MODELS.length];
    const p = `${snake(M)}${k}`;
    const g = { p, c: camel(p), M, J, k };
    const order = TEMPLATES.slice(1);
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [order[i], order[j]] = [order[j], order[i]];
    }
    parts.push(`\n// -- ${p.replace(/_/g, ' ')} ${'-'.repeat(Math.max(3, 74 - p.length))}\n`);
    for (const t of [TEMPLATES[0], ...order]) {
      if (made >= functions) break;
      const text = t.render(g);
      const name = /(?:function|const|class) (\w+)/.exec(text)[1];
      const doc = text.startsWith('/**') ? '' : docComment(rand, `${name.replace(/_/g, ' ')} (${M})`) + '\n';
      parts.push(doc + text + '\n');
      made += t.units;
    }
  }
  return parts.join('\n');
}

/** Writes `<svcDir>/db/sqlalchemy/api.ts` and the support modules it imports. */
function writeService(svcDir, text) {
  const db = join(svcDir, 'db', 'sqlalchemy');
  mkdirSync(db, { recursive: true });
  writeFileSync(join(db, 'api.ts'), text);
  for (const f of ['models.ts', 'session.ts']) cpSync(join(NOVA, 'db', 'sqlalchemy', f), join(db, f));
  for (const f of ['context.ts', 'exception.ts', 'utils.ts']) cpSync(join(NOVA, f), join(svcDir, f));
}

/**
 * The project's tsconfig.json (the sample's, made `strict` as a new service's would be, including
 * the services under `dir`) and its declarations of the SQL libraries (types/): the services
 * compile as the sample does, and verify checks them the same way. Under `strict` the generated
 * modules have type errors of their own, outside any manual code, that verify must tell from the
 * port's.
 */
function writeProject(project, dir) {
  const tsconfig = JSON.parse(readFileSync(join(SAMPLE, 'tsconfig.json'), 'utf8'));
  tsconfig.compilerOptions.strict = true;
  tsconfig.include = [`${dir}/**/*.ts`, 'types/**/*.d.ts'];
  tsconfig.exclude = [`${dir}/**/db/discovery/**`];
  writeFileSync(join(project, 'tsconfig.json'), `${JSON.stringify(tsconfig, null, 2)}\n`);
  cpSync(join(SAMPLE, 'types'), join(project, 'types'), { recursive: true });
}

/** One module: `<root>/nova/db/sqlalchemy/api.ts`. Returns its path and line count. */
export function writeModuleTree(root, functions) {
  const text = generateModule(functions);
  writeService(join(root, 'nova'), text);
  writeProject(root, 'nova');
  return { path: join(root, 'nova', 'db', 'sqlalchemy', 'api.ts'), lines: text.split('\n').length - 1 };
}

/**
 * `modules` services `<root>/services/svcNNN/db/sqlalchemy/api.ts`, each of `functions`
 * functions, in one project (one tsconfig.json at the root, as in a monorepo).
 */
export function writeMultiTree(root, modules, functions) {
  const paths = [];
  let lines = 0;
  for (let m = 0; m < modules; m++) {
    const name = `svc${String(m).padStart(3, '0')}`;
    const text = generateModule(functions, m + 1);
    writeService(join(root, 'services', name), text);
    paths.push(join(root, 'services', name, 'db', 'sqlalchemy', 'api.ts'));
    lines += text.split('\n').length - 1;
  }
  writeProject(root, 'services');
  return { paths, lines };
}

export { UNITS_PER_GROUP };

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const args = process.argv.slice(2);
  const out = args.find((a) => !a.startsWith('--'));
  const opt = (name, dflt) => {
    const i = args.indexOf(name);
    return i === -1 ? dflt : Number(args[i + 1]);
  };
  if (!out) {
    process.stderr.write('usage: node bench/generate.mjs <out-dir> [--functions N] [--modules M]\n');
    process.exit(2);
  }
  const functions = opt('--functions', 250);
  const modules = opt('--modules', 1);
  const r = modules > 1 ? writeMultiTree(out, modules, functions) : writeModuleTree(out, functions);
  process.stdout.write(`${modules} module(s), ${functions} functions each, ${r.lines} lines → ${out}\n`);
}
