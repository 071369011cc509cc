// Implementation of the compute service's db api on SQLAlchemy.
//
// Every function takes the request context first. Reads go through model_query(), which
// hides soft-deleted rows and scopes user contexts to their project; writes run in a unit of
// work (`session.begin(async () => ...)`) so that they commit or roll back together.

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

/** Only a user context (of some project) or an admin context may call `f`. */
function require_context<F extends ContextFunction>(f: F): F {
  const wrapper = (context: RequestContext, ...args: any[]) => {
    if (!context.is_admin && !is_user_context(context)) {
      throw new exception.Forbidden();
    }
    return f(context, ...args);
  };
  return wrapper as F;
}

/** Only an admin context may call `f`. */
function require_admin_context<F extends ContextFunction>(f: F): F {
  const wrapper = (context: RequestContext, ...args: any[]) => {
    if (!context.is_admin) {
      throw new exception.AdminRequired();
    }
    return f(context, ...args);
  };
  return wrapper as F;
}

/** Runs `f` again (from the start of its unit of work) when the database reports a deadlock. */
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

// -- services -----------------------------------------------------------------

async function _service_get(context: RequestContext, service_id: number, opts: { session?: any } = {}) {
  const result = await model_query(context, models.Service, { session: opts.session })
    .filter_by({ id: service_id })
    .first();
  if (!result) {
    throw new exception.ServiceNotFound({ service_id });
  }
  return result;
}

export async function service_get(context: RequestContext, service_id: number) {
  return await _service_get(context, service_id);
}

export const service_get_by_host_and_topic = require_admin_context(
  async (context: RequestContext, host: string, topic: string) => {
    return await model_query(context, models.Service, { read_deleted: 'no' })
      .filter_by({ host, topic })
      .filter_by({ disabled: false })
      .first();
  },
);

/** The service running the compute node `nodename` (one service may run several nodes). */
export const service_get_by_compute_node = require_admin_context(async (context: RequestContext, nodename: string) => {
  const result = await model_query(context, models.Service, { read_deleted: 'no' })
    .filter_by({ binary: 'nova-compute' })
    .join(models.ComputeNode)
    .filter(models.ComputeNode.hypervisor_hostname.eq(nodename))
    .first();
  if (!result) {
    throw new exception.ComputeHostNotFound({ host: nodename });
  }
  return result;
});

export async function service_create(context: RequestContext, values: Values) {
  const service_ref = new models.Service();
  service_ref.update(values);
  try {
    await service_ref.save();
  } catch (e) {
    if (e instanceof db_exc.DBDuplicateEntry) {
      if (e.columns.includes('binary')) {
        throw new exception.ServiceBinaryExists({ host: values.host, binary: values.binary });
      }
      throw new exception.ServiceTopicExists({ host: values.host, topic: values.topic });
    }
    throw e;
  }
  return service_ref;
}

export const service_update = require_admin_context(
  _retry_on_deadlock(async (context: RequestContext, service_id: number, values: Values) => {
    const session = get_session();
    return session.begin(async () => {
      const service_ref = await _service_get(context, service_id, { session });
      // only a heartbeat moves last_seen_up: an admin disabling the service does not
      if ('report_count' in values && values.report_count > service_ref.report_count) {
        service_ref.last_seen_up = utcnow();
      }
      service_ref.update(values);
      return service_ref;
    });
  }),
);

export async function service_destroy(context: RequestContext, service_id: number) {
  const session = get_session();
  await session.begin(async () => {
    const service_ref = await _service_get(context, service_id, { session });
    await service_ref.soft_delete(session);
    if (service_ref.binary === 'nova-compute') {
      await model_query(context, models.ComputeNode, { session }).filter_by({ service_id }).soft_delete();
    }
  });
}

// -- compute nodes ------------------------------------------------------------

export const compute_node_get = require_admin_context(async (context: RequestContext, compute_id: number) => {
  const result = await model_query(context, models.ComputeNode).filter_by({ id: compute_id }).first();
  if (!result) {
    throw new exception.ComputeHostNotFound({ host: compute_id });
  }
  return result;
});

export const compute_node_update = require_admin_context(
  _retry_on_deadlock(async (context: RequestContext, compute_id: number, values: Values) => {
    const session = get_session();
    return session.begin(async () => {
      const compute_ref = await model_query(context, models.ComputeNode, { session })
        .filter_by({ id: compute_id })
        .first();
      if (!compute_ref) {
        throw new exception.ComputeHostNotFound({ host: compute_id });
      }
      // always touch updated_at: the scheduler reads it as "this node reported recently"
      values.updated_at = utcnow();
      compute_ref.update(values);
      return compute_ref;
    });
  }),
);

// -- instances ----------------------------------------------------------------

async function _instance_get_by_uuid(
  context: RequestContext,
  uuid: string,
  { session = undefined, columns_to_join = [] }: { session?: any; columns_to_join?: string[] } = {},
) {
  let query = model_query(context, models.Instance, { session, project_only: true });
  for (const column of columns_to_join) {
    query = query.options(joinedload(column));
  }
  const result = await query.filter_by({ uuid }).first();
  if (!result) {
    throw new exception.InstanceNotFound({ instance_id: uuid });
  }
  return result;
}

export const instance_get = require_context(async (context: RequestContext, instance_id: number) => {
  const result = await model_query(context, models.Instance, { project_only: true })
    .filter_by({ id: instance_id })
    .options(joinedload_all('security_groups.rules'), undefer('user_data'))
    .first();
  if (!result) {
    throw new exception.InstanceNotFound({ instance_id });
  }
  return result;
});

export const instance_get_by_uuid = require_context(
  async (context: RequestContext, uuid: string, columns_to_join: string[] = []) => {
    return await _instance_get_by_uuid(context, uuid, { columns_to_join });
  },
);

/**
 * Instances matching `filters`. Exact-match keys compare equal, `name` is a substring match,
 * `uuid` a list of uuids, `changes-since` a time; `deleted` shows only deleted instances.
 */
export const instance_get_all_by_filters = require_context(
  async (
    context: RequestContext,
    filters: Values,
    sort_key = 'created_at',
    sort_dir = 'desc',
    limit: number | null = null,
    offset = 0,
    columns_to_join: string[] = ['security_groups', 'fixed_ips'],
  ) => {
    const read_deleted = filters.deleted ? 'only' : context.read_deleted;
    let query = model_query(context, models.Instance, { read_deleted, project_only: true });
    for (const column of columns_to_join) {
      query = query.options(joinedload(column));
    }

    if ('changes-since' in filters) {
      query = query.filter(models.Instance.updated_at.ge(filters['changes-since']));
    }
    if (filters.name) {
      query = query.filter(
        or_(models.Instance.display_name.like(`%${filters.name}%`), models.Instance.hostname.like(`%${filters.name}%`)),
      );
    }
    if (filters.uuid) {
      query = query.filter(models.Instance.uuid.in_(filters.uuid));
    }
    if (filters.ip_missing) {
      query = query.filter(and_(models.Instance.vm_state.ne('deleted'), models.Instance.host.is(null)));
    }

    const exact_filters: Values = {};
    for (const key of ['project_id', 'user_id', 'host', 'node', 'vm_state', 'task_state', 'image_ref']) {
      if (key in filters) {
        exact_filters[key] = filters[key];
      }
    }
    query = query.filter_by(exact_filters);

    const sort_column = sort_key === 'display_name' ? models.Instance.display_name : models.Instance.created_at;
    query = query.order_by(sort_dir === 'asc' ? sort_column.asc() : sort_column.desc(), models.Instance.id.desc());
    if (limit !== null) {
      return await query.offset(offset).limit(limit).all();
    }
    return await query.all();
  },
);

export async function instance_get_all_uuids_by_host(context: RequestContext, host: string) {
  const uuids: string[] = [];
  for (const row of await model_query(context, models.Instance.uuid, { read_deleted: 'no' })
    .filter_by({ host })
    .all()) {
    uuids.push(row[0]);
  }
  return uuids;
}

/** How many live instances each compute host runs: { host: count }. */
export const instance_count_by_host = require_admin_context(async (context: RequestContext) => {
  const session = get_session({ use_slave: true });
  const rows = await session
    .query(models.Instance.host, func.count(models.Instance.id))
    .filter(models.Instance.deleted.eq(0))
    .filter(models.Instance.host.ne(null))
    .group_by(models.Instance.host)
    .all();
  const counts: Record<string, number> = {};
  for (const [host, count] of rows) {
    counts[host] = count;
  }
  return counts;
});

export const instance_update = require_context(
  async (context: RequestContext, instance_uuid: string, values: Values) => {
    if (!is_uuid_like(instance_uuid)) {
      throw new exception.InvalidUUID({ uuid: instance_uuid });
    }
    const session = get_session();
    return session.begin(async () => {
      const instance_ref = await _instance_get_by_uuid(context, instance_uuid, { session });
      if ('expected_task_state' in values) {
        // compare-and-swap on task_state: two API calls racing on one instance
        const expected = values.expected_task_state;
        delete values.expected_task_state;
        if (instance_ref.task_state !== expected) {
          throw new exception.UnexpectedTaskStateError({
            instance_uuid,
            expected,
            actual: instance_ref.task_state,
          });
        }
      }
      instance_ref.update(values);
      return instance_ref;
    });
  },
);

export const instance_destroy = require_context(async (context: RequestContext, instance_uuid: string) => {
  const session = get_session();
  return session.begin(async () => {
    const instance_ref = await _instance_get_by_uuid(context, instance_uuid, { session });
    instance_ref.vm_state = 'deleted';
    instance_ref.task_state = null;
    instance_ref.terminated_at = utcnow();
    instance_ref.deleted = instance_ref.id;
    instance_ref.deleted_at = utcnow();
    return instance_ref;
  });
});

export async function instance_fault_create(context: RequestContext, values: Values) {
  const fault_ref = new models.InstanceFault();
  fault_ref.update(values);
  await fault_ref.save();
  return fault_ref;
}

// -- fixed ips ----------------------------------------------------------------

async function _fixed_ip_get_by_address(context: RequestContext, address: string, opts: { session?: any } = {}) {
  const result = await model_query(context, models.FixedIp, { session: opts.session, read_deleted: 'yes' })
    .filter_by({ address })
    .first();
  if (!result) {
    throw new exception.FixedIpNotFoundForAddress({ address });
  }
  // a user may only see the fixed ips of the instances of their project
  if (is_user_context(context) && result.instance_uuid !== null) {
    const instance = await _instance_get_by_uuid(context.elevated({ read_deleted: 'yes' }), result.instance_uuid, {
      session: opts.session,
    });
    authorize_project_context(context, instance.project_id);
  }
  return result;
}

/**
 * Associates the fixed ip `address` with an instance. The row is read FOR UPDATE so that two
 * concurrent requests cannot both see it free and both take it.
 */
export const fixed_ip_associate = require_admin_context(
  _retry_on_deadlock(
    async (
      context: RequestContext,
      address: string,
      instance_uuid: string,
      network_id: number | null = null,
      reserved = false,
    ) => {
      if (!is_uuid_like(instance_uuid)) {
        throw new exception.InvalidUUID({ uuid: instance_uuid });
      }
      const session = get_session();
      return session.begin(async () => {
        const network_or_none = or_(models.FixedIp.network_id.eq(network_id), models.FixedIp.network_id.is(null));
        const fixed_ip_ref = await model_query(context, models.FixedIp, { session, read_deleted: 'no' })
          .filter(network_or_none)
          .filter_by({ reserved })
          .filter_by({ address })
          .with_lockmode('update')
          .first();
        if (fixed_ip_ref === null) {
          throw new exception.FixedIpNotFoundForNetwork({ address, network_uuid: network_id });
        }
        if (fixed_ip_ref.instance_uuid) {
          throw new exception.FixedIpAlreadyInUse({ address, instance_uuid });
        }
        if (!fixed_ip_ref.network_id) {
          fixed_ip_ref.network_id = network_id;
        }
        fixed_ip_ref.instance_uuid = instance_uuid;
        await fixed_ip_ref.save(session);
        return fixed_ip_ref;
      });
    },
  ),
);

export const fixed_ip_disassociate = require_context(async (context: RequestContext, address: string) => {
  const session = get_session();
  return session.begin(async () => {
    const fixed_ip_ref = await _fixed_ip_get_by_address(context, address, { session });
    fixed_ip_ref.instance_uuid = null;
    fixed_ip_ref.virtual_interface_id = null;
    await fixed_ip_ref.save(session);
  });
});

/** The fixed ips of the instances running on `host`. */
export const fixed_ip_get_by_host = require_admin_context(async (context: RequestContext, host: string) => {
  return await model_query(context, models.FixedIp, { read_deleted: 'no' })
    .join(models.Instance)
    .filter(models.Instance.host.eq(host))
    .all();
});

// -- floating ips -------------------------------------------------------------

export async function floatingIpGetByAddress(context: RequestContext, address: string) {
  const result = await modelQuery(context, models.FloatingIp).filterBy({ address }).first();
  if (!result) {
    throw new exception.FloatingIpNotFoundForAddress({ address });
  }
  if (is_user_context(context)) {
    authorize_project_context(context, result.project_id);
  }
  return result;
}

export async function floatingIpGetAllByProject(context: RequestContext, projectId: string) {
  authorize_project_context(context, projectId);
  // automatically assigned floating ips are not the user's to manage
  return await modelQuery(context, models.FloatingIp, { readDeleted: 'no' })
    .filterBy({ project_id: projectId, auto_assigned: false })
    .orderBy(models.FloatingIp.address.asc())
    .all();
}

/** Returns every floating ip held by `host` to the pool; answers how many were released. */
export async function floatingIpDeallocateAllByHost(context: RequestContext, host: string) {
  const session = getSession();
  return session.begin(async () => {
    let released = 0;
    for await (const floatingIp of modelQuery(context, models.FloatingIp, { session }).filterBy({ host })) {
      floatingIp.project_id = null;
      floatingIp.host = null;
      floatingIp.auto_assigned = false;
      released += 1;
    }
    return released;
  });
}

export async function floating_ip_get_pools(context: RequestContext) {
  const session = get_session();
  const pools: { name: string }[] = [];
  for (const result of await session.query(models.FloatingIp.pool).distinct().all()) {
    pools.push({ name: result[0] });
  }
  return pools;
}

// -- networks -----------------------------------------------------------------

export const network_get = require_context(async (context: RequestContext, network_id: number) => {
  // project networks and the shared ones (project_id NULL)
  const result = await model_query(context, models.Network, { project_only: 'allow_none' })
    .filter_by({ id: network_id })
    .one();
  return result;
});

/** Networks served by `host`: hosted there, or with a fixed ip of an instance running there. */
export const network_get_all_by_host = require_admin_context(async (context: RequestContext, host: string) => {
  const session = get_session();
  const fixed_host_filter = or_(
    models.FixedIp.host.eq(host),
    and_(models.FixedIp.instance_uuid.ne(null), models.Instance.host.eq(host)),
  );
  const fixed_ip_query = model_query(context, models.FixedIp.network_id, { session })
    .outerjoin(models.Instance, models.Instance.uuid.eq(models.FixedIp.instance_uuid))
    .filter(fixed_host_filter);
  const host_filter = or_(models.Network.host.eq(host), models.Network.id.in_(fixed_ip_query.subquery()));
  return await model_query(context, models.Network, { session }).filter(host_filter).all();
});

// -- security groups ----------------------------------------------------------

export const security_group_create = require_context(async (context: RequestContext, values: Values) => {
  const security_group_ref = new models.SecurityGroup();
  security_group_ref.update(values);
  const session = get_session();
  try {
    await session.begin(async () => {
      await security_group_ref.save(session);
    });
  } catch (e) {
    if (e instanceof db_exc.DBDuplicateEntry) {
      throw new exception.SecurityGroupExists({
        project_id: values.project_id,
        security_group_name: values.name,
      });
    }
    throw e;
  }
  return security_group_ref;
});

export const security_group_get_by_name = require_context(
  async (context: RequestContext, project_id: string, group_name: string) => {
    try {
      return await model_query(context, models.SecurityGroup, { read_deleted: 'no' })
        .filter_by({ project_id, name: group_name })
        .options(joinedload('rules'))
        .one();
    } catch (e) {
      if (e instanceof NoResultFound) {
        throw new exception.SecurityGroupNotFoundForProject({ project_id, security_group_id: group_name });
      }
      throw e;
    }
  },
);

/** Whether a rule of another group still grants access to members of `group_id`. */
export const security_group_in_use = require_context(async (context: RequestContext, group_id: number) => {
  return await model_query(context, models.SecurityGroupRule, { read_deleted: 'no' }).filter_by({ group_id }).exists();
});

/** The project's "default" security group, created on first use. */
export const security_group_ensure_default = require_context(async (context: RequestContext) => {
  const session = get_session();
  return session.begin(async () => {
    const existing = await model_query(context, models.SecurityGroup, { session, read_deleted: 'no' })
      .filter_by({ project_id: context.project_id, name: 'default' })
      .first();
    if (existing) {
      return existing;
    }
    const default_group = new models.SecurityGroup();
    default_group.update({
      name: 'default',
      description: 'default',
      user_id: context.user_id,
      project_id: context.project_id,
    });
    try {
      // a savepoint: losing the race to a concurrent request must not abort the transaction
      await session.begin_nested(async () => {
        await default_group.save(session);
      });
    } catch (e) {
      if (!(e instanceof db_exc.DBDuplicateEntry)) {
        throw e;
      }
      return await model_query(context, models.SecurityGroup, { session, read_deleted: 'no' })
        .filter_by({ project_id: context.project_id, name: 'default' })
        .one();
    }
    return default_group;
  });
});

export const security_group_destroy = require_context(async (context: RequestContext, security_group_id: number) => {
  const session = get_session();
  await session.begin(
    async () => {
      await model_query(context, models.SecurityGroup, { session }).filter_by({ id: security_group_id }).soft_delete();
      await model_query(context, models.SecurityGroupRule, { session })
        .filter_by({ group_id: security_group_id })
        .soft_delete();
      await model_query(context, models.SecurityGroupRule, { session })
        .filter_by({ parent_group_id: security_group_id })
        .soft_delete();
    },
    { subtransactions: true },
  );
});

// -- key pairs ----------------------------------------------------------------

export const key_pair_create = require_context(async (context: RequestContext, values: Values) => {
  authorize_user_context(context, values.user_id);
  const key_pair_ref = new models.KeyPair();
  Object.assign(key_pair_ref, values);
  try {
    await key_pair_ref.save();
  } catch (e) {
    if (e instanceof db_exc.DBDuplicateEntry) {
      throw new exception.KeypairExists({ key_name: values.name });
    }
    throw e;
  }
  return key_pair_ref;
});

export const key_pair_destroy = require_context(async (context: RequestContext, user_id: string, name: string) => {
  authorize_user_context(context, user_id);
  const count = await model_query(context, models.KeyPair).filter_by({ user_id, name }).soft_delete();
  if (!count) {
    throw new exception.KeypairNotFound({ user_id, name });
  }
  return count;
});

export const key_pair_get_all_by_user = require_context(
  async (context: RequestContext, user_id: string, limit = 100) =>
    await model_query(context, models.KeyPair, { read_deleted: 'no' })
      .filter_by({ user_id })
      .order_by(models.KeyPair.name.asc())
      .limit(limit)
      .all(),
);

export function key_pair_count_by_user(context: RequestContext, user_id: string) {
  authorize_user_context(context, user_id);
  return model_query(context, models.KeyPair, { read_deleted: 'no' }).filter_by({ user_id }).count();
}

// -- flavors ------------------------------------------------------------------

function _flavor_get_id_from_flavor(context: RequestContext, flavor_id: string) {
  const result = model_query(context, models.Flavor.id, { read_deleted: 'no' })
    .filter_by({ flavorid: flavor_id })
    .first();
  if (!result) {
    throw new exception.FlavorNotFound({ flavor_id });
  }
  return result[0];
}

export function flavor_get_by_flavor_id(context: RequestContext, flavor_id: string, read_deleted: 'no' | 'yes' = 'no') {
  // a flavorid may be reused after a delete: prefer the live flavor, then the oldest
  const result = model_query(context, models.Flavor, { read_deleted })
    .filter_by({ flavorid: flavor_id })
    .order_by(models.Flavor.deleted.asc(), models.Flavor.id.asc())
    .first();
  if (!result) {
    throw new exception.FlavorNotFound({ flavor_id });
  }
  return result;
}

/**
 * Flavors matching `filters` (min_memory_mb, min_root_gb, disabled, is_public). A user sees
 * the public flavors and the private ones their project was given access to.
 */
export const flavor_get_all = require_context(
  async (
    context: RequestContext,
    inactive = false,
    filters: Values = {},
    sort_key = 'flavorid',
    sort_dir = 'asc',
    limit: number | null = null,
  ) => {
    const read_deleted = inactive ? 'yes' : 'no';
    let query = model_query(context, models.Flavor, { read_deleted });
    if ('min_memory_mb' in filters) {
      query = query.filter(models.Flavor.memory_mb.ge(filters.min_memory_mb));
    }
    if ('min_root_gb' in filters) {
      query = query.filter(models.Flavor.root_gb.ge(filters.min_root_gb));
    }
    if ('disabled' in filters) {
      query = query.filter_by({ disabled: filters.disabled });
    }
    if ('is_public' in filters && filters.is_public !== null) {
      const the_filter = [models.Flavor.is_public.eq(filters.is_public)];
      if (filters.is_public && context.project_id !== null) {
        const granted = model_query(context, models.FlavorProjects.instance_type_id, { read_deleted: 'no' })
          .filter_by({ project_id: context.project_id })
          .subquery();
        the_filter.push(models.Flavor.id.in_(granted));
      }
      query = query.filter(the_filter.length > 1 ? or_(...the_filter) : the_filter[0]);
    }
    const sort_column = sort_key === 'name' ? models.Flavor.name : models.Flavor.flavorid;
    query = query.order_by(sort_dir === 'desc' ? sort_column.desc() : sort_column.asc(), models.Flavor.id.asc());
    if (limit) {
      query = query.limit(limit);
    }
    return await query.all();
  },
);

/** Which projects may use private flavors. */
export class FlavorAccessApi {
  async flavor_access_get_by_flavor_id(context: RequestContext, flavor_id: string) {
    const instance_type_id = _flavor_get_id_from_flavor(context, flavor_id);
    return await model_query(context, models.FlavorProjects, { read_deleted: 'no' })
      .filter_by({ instance_type_id })
      .all();
  }

  async flavor_access_remove(context: RequestContext, flavor_id: string, project_id: string) {
    const instance_type_id = _flavor_get_id_from_flavor(context, flavor_id);
    const count = await model_query(context, models.FlavorProjects, { read_deleted: 'no' })
      .filter_by({ instance_type_id, project_id })
      .soft_delete();
    if (count === 0) {
      throw new exception.FlavorAccessNotFound({ flavor_id, project_id });
    }
  }
}

// -- quotas -------------------------------------------------------------------

export function quota_create(context: RequestContext, project_id: string, resource: string, limit: number) {
  const quota_ref = new models.Quota();
  quota_ref.project_id = project_id;
  quota_ref.resource = resource;
  quota_ref.hard_limit = limit;
  try {
    quota_ref.save();
  } catch (e) {
    if (e instanceof db_exc.DBDuplicateEntry) {
      throw new exception.QuotaExists({ project_id, resource });
    }
    throw e;
  }
  return quota_ref;
}

export const quota_update = require_admin_context(
  async (context: RequestContext, project_id: string, resource: string, limit: number) => {
    const result = await model_query(context, models.Quota, { read_deleted: 'no' })
      .filter_by({ project_id, resource })
      .update({ hard_limit: limit });
    if (!result) {
      throw new exception.ProjectQuotaNotFound({ project_id });
    }
  },
);

/**
 * Reserves `deltas` (resource -> amount) against the project's `quotas` (resource -> limit,
 * -1 for unlimited). The usage rows stay locked until the unit of work ends, so concurrent
 * reservations see each other's.
 */
export const quota_reserve = require_context(
  _retry_on_deadlock(
    async (
      context: RequestContext,
      quotas: Record<string, number>,
      deltas: Record<string, number>,
      project_id: string = context.project_id,
    ) => {
      const session = get_session();
      return session.begin(async () => {
        const usages = await model_query(context, models.QuotaUsage, { session, read_deleted: 'no' })
          .filter_by({ project_id })
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
          const delta = deltas[usage.resource] ?? 0;
          if (delta > 0) {
            usage.reserved += delta;
          }
          usage.updated_at = utcnow();
        }
        return usages;
      });
    },
  ),
);

// -- aggregates ---------------------------------------------------------------

export async function aggregateGetByHost(context: RequestContext, host: string) {
  return await modelQuery(context, models.Aggregate, { readDeleted: 'no' })
    .filter(models.Aggregate._hosts.any(models.AggregateHost.host.eq(host)))
    .all();
}

export async function aggregateUpdate(context: RequestContext, aggregateId: number, values: Values) {
  const session = getSession();
  return session.begin(async () => {
    const aggregate = await modelQuery(context, models.Aggregate, { session, readDeleted: 'no' })
      .filterBy({ id: aggregateId })
      .first();
    if (!aggregate) {
      throw new exception.AggregateNotFound({ aggregate_id: aggregateId });
    }
    aggregate.update(values);
    session.add(aggregate);
    return aggregate;
  });
}

export async function aggregateDelete(context: RequestContext, aggregateId: number) {
  const session = getSession();
  return session.begin(async () => {
    const count = await modelQuery(context, models.Aggregate, { session }).filterBy({ id: aggregateId }).softDelete();
    if (count === 0) {
      throw new exception.AggregateNotFound({ aggregate_id: aggregateId });
    }
    await modelQuery(context, models.AggregateHost, { session }).filterBy({ aggregate_id: aggregateId }).softDelete();
    return count;
  });
}

// -- migrations ---------------------------------------------------------------

async function _migration_get(context: RequestContext, migration_id: number, opts: { session?: any } = {}) {
  const result = await model_query(context, models.Migration, { session: opts.session, read_deleted: 'yes' })
    .filter_by({ id: migration_id })
    .first();
  if (!result) {
    throw new exception.MigrationNotFound({ migration_id });
  }
  return result;
}

export const migration_create = require_admin_context(async (context: RequestContext, values: Values) => {
  const migration = new models.Migration();
  migration.update(values);
  await migration.save();
  return migration;
});

export const migration_update = require_admin_context(
  async (context: RequestContext, migration_id: number, values: Values) => {
    const session = get_session();
    return session.begin(
      async () => {
        const migration = await _migration_get(context, migration_id, { session });
        Object.assign(migration, values);
        return migration;
      },
      { subtransactions: true },
    );
  },
);

// -- maintenance --------------------------------------------------------------

/**
 * Moves up to `max_rows` soft-deleted rows of `tablename` to its shadow table; answers how
 * many rows were moved.
 */
export const archive_deleted_rows_for_table = require_admin_context(
  async (context: RequestContext, tablename: string, max_rows: number) => {
    const session = get_session();
    return session.begin(async () => {
      const shadow_tablename = `shadow_${tablename}`;
      const ids: number[] = [];
      for (const row of await session.execute(
        text(`SELECT id FROM ${tablename} WHERE deleted != 0 ORDER BY id LIMIT :max_rows`),
        { max_rows },
      )) {
        ids.push(row.id);
      }
      if (ids.length === 0) {
        return 0;
      }
      await session.execute(text(`INSERT INTO ${shadow_tablename} SELECT * FROM ${tablename} WHERE id IN :ids`), {
        ids,
      });
      const result = await session.execute(text(`DELETE FROM ${tablename} WHERE id IN :ids`), { ids });
      return result.rowcount;
    });
  },
);
