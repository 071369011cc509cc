// Implementation of the image registry's db api on SQLAlchemy.
//
// Images are keyed by a uuid (chosen by the client or generated). An image's properties,
// locations, members and tags live in their own tables and are soft-deleted with it.

// port-db: manual imports the SQL models module ../sqlalchemy/models: ROME needs ROME entities (port the models module)
import * as models from '../sqlalchemy/models';
import { RomeSession, RomeQuery, ClusterLock, or_, and_, DBDeadlock, NoResultFound, MultipleResultsFound } from 'rome-orm';
// port-db: manual SQL import kept for manual code: paginate_query
import { paginate_query } from 'oslo.db/sqlalchemy/utils';
import * as db_exc from 'rome-orm';
import { RequestContext } from '../../context';
import * as exception from '../../exception';
import { utcnow } from '../../utils';

// port-db: generated helper (session): ROME sessions replace the SQL session factory.
function get_session(_options?: unknown): RomeSession {
  return new RomeSession();
}

// port-db: generated helper (query): ROME's one() returns nothing; this keeps SQL's one() contract.
function _one<T>(rows: T[]): T {
  if (rows.length === 0) throw new NoResultFound('No row was found for one()');
  if (rows.length > 1) throw new MultipleResultsFound('Multiple rows were found for one()');
  return rows[0];
}

// port-db: generated helper (query): ROME's delete() returns the query, not the row count SQL returned.
async function _delete_counting(query: RomeQuery<any>): Promise<number> {
  const count = await query.count();
  await query.delete();
  return count;
}

// port-db: generated helper (create-lock, row-lock): the distributed lock that replaces unique indexes and row locks.
// ClusterLock.lock tries once; acquire_lock retries with back-off, then raises DBDeadlock so retry-on-deadlock guards retry.
const cluster_lock = new ClusterLock();

async function acquire_lock(name: string): Promise<void> {
  for (let attempt = 0; attempt <= 20; attempt++) {
    if (await cluster_lock.lock(name, 100)) return;
    await new Promise<void>((resolve) => setTimeout(resolve, 10 * 2 ** Math.min(attempt, 5)));
  }
  throw new DBDeadlock(`lock ${name} not acquired after 20 retries`);
}

async function release_lock(name: string): Promise<void> {
  await cluster_lock.unlock(name);
}

type Values = Record<string, any>;

const IMAGE_STATUSES = ['queued', 'saving', 'active', 'killed', 'deleted', 'pending_delete', 'deactivated'];

/** Drops the columns a caller may not set (timestamps and deletion flags). */
function _drop_protected_attrs(model: typeof models.GlanceBase, values: Values) {
  for (const attr of model.__protected_attributes__) {
    delete values[attr];
  }
}

/** Whether `image` is visible to the context: public, owned, or shared with its tenant. */
async function _is_image_visible(context: RequestContext, image: any, opts: { session?: RomeSession } = {}) {
  if (context.is_admin || image.visibility === 'public' || image.visibility === 'community') {
    return true;
  }
  if (context.owner === null) {
    return false;
  }
  if (image.owner === context.owner) {
    return true;
  }
  if (image.visibility === 'shared') {
    const members = await image_member_find(
      context,
      { image_id: image.id, member: context.owner },
      { session: opts.session },
    );
    return members.length > 0;
  }
  return false;
}

async function _image_get(
  context: RequestContext,
  image_id: string,
  opts: { session?: RomeSession; force_show_deleted?: boolean } = {},
) {
  const session = opts.session ?? get_session();
  let query = session.query(models.Image).filter_by({ id: image_id });
  if (!opts.force_show_deleted && !context.can_see_deleted) {
    query = query.filter_by({ deleted: false });
  }
  const image = await query.first();
  if (!image) {
    throw new exception.ImageNotFound({ image_id });
  }
  if (!(await _is_image_visible(context, image, { session }))) {
    throw new exception.Forbidden({ action: 'image_get' });
  }
  return image;
}

// -- images -------------------------------------------------------------------

export async function image_get(context: RequestContext, image_id: string, force_show_deleted = false) {
  const session = get_session();
  let query = session
    .query(models.Image)
    .filter_by({ id: image_id });
  if (!force_show_deleted && !context.can_see_deleted) {
    query = query.filter_by({ deleted: false });
  }
  let image;
  try {
    image = _one(await query.all());
  } catch (e) {
    if (e instanceof NoResultFound) {
      throw new exception.ImageNotFound({ image_id });
    }
    throw e;
  }
  if (!(await _is_image_visible(context, image, { session }))) {
    throw new exception.Forbidden({ action: 'image_get' });
  }
  return image;
}

/**
 * Images visible to the context that match `filters`, a page at a time: at most `limit`
 * images after the image `marker` in (sort_key, sort_dir) order.
 */
export async function image_get_all(
  context: RequestContext,
  filters: Values = {},
  marker: string | null = null,
  limit: number | null = null,
  sort_key: string[] = ['created_at'],
  sort_dir: string[] = ['desc'],
) {
  const session = get_session();
  let query = session.query(models.Image);

  if (!context.can_see_deleted) {
    query = query.filter_by({ deleted: false });
  }
  if (!context.is_admin) {
    const visible = [models.Image.visibility.eq('public'), models.Image.visibility.eq('community')];
    if (context.owner !== null) {
      visible.push(models.Image.owner.eq(context.owner));
      // port-db: manual `any()`: ROME runs .any() on relationships unreliably: use an explicit join or a two-step in_()
      visible.push(
        models.Image.members.any(
          and_(models.ImageMember.member.eq(context.owner), models.ImageMember.deleted.eq(false)),
        ),
      );
    }
    query = query.filter(or_(...visible));
  }
  if (filters.status) {
    query = query.filter_by({ status: filters.status });
  }
  if (filters.name) {
    query = query.filter(models.Image.name.eq(filters.name));
  }
  if (filters.size_min !== undefined) {
    query = query.filter(models.Image.size.ge(filters.size_min));
  }
  for (const [name, value] of Object.entries(filters.properties ?? {})) {
    // port-db: manual `any()`: ROME runs .any() on relationships unreliably: use an explicit join or a two-step in_()
    query = query.filter(
      models.Image.properties.any(
        and_(
          models.ImageProperty.name.eq(name),
          models.ImageProperty.value.eq(value),
          models.ImageProperty.deleted.eq(false),
        ),
      ),
    );
  }

  let marker_image = null;
  if (marker !== null) {
    marker_image = await _image_get(context, marker, { session, force_show_deleted: filters.deleted });
  }
  // created_at and id break ties so that pages neither overlap nor skip images
  const sort_keys = [...sort_key];
  const sort_dirs = [...sort_dir];
  for (const key of ['created_at', 'id']) {
    if (!sort_keys.includes(key)) {
      sort_keys.push(key);
      sort_dirs.push(sort_dirs[0] ?? 'desc');
    }
  }
  // port-db: manual `paginate_query` from oslo.db/sqlalchemy/utils has no ROME equivalent
  query = paginate_query(query, models.Image, limit, sort_keys, { marker: marker_image, sort_dirs });
  return await query.all();
}

export async function image_create(context: RequestContext, values: Values) {
  const lock_name = `images:create`;
  await acquire_lock(lock_name);
  try {
    return await image_create_(context, values);
  } finally {
    await release_lock(lock_name);
  }
}

async function image_create_(context: RequestContext, values: Values) {
  values = { ...values };
  const properties: Values = values.properties ?? {};
  delete values.properties;
  if (!values.status || !IMAGE_STATUSES.includes(values.status)) {
    throw new exception.Invalid({ reason: `Invalid image status '${values.status}'` });
  }
  _drop_protected_attrs(models.Image, values);
  values.owner ??= context.owner;

  const session = get_session();
  return session.begin(async () => {
    const image_ref = new models.Image();
    image_ref.update(values);
    try {
      // port-db: uniqueness of images on (id), as the SQL unique keys enforced it
      if (image_ref.id != null && (await new RomeSession().query(models.Image).filter_by({ id: image_ref.id }).first())) {
        throw new db_exc.DBDuplicateEntry(['id']);
      }
      await image_ref.save(session);
    } catch (e) {
      if (e instanceof db_exc.DBDuplicateEntry) {
        throw new exception.Duplicate({ image_id: values.id });
      }
      throw e;
    }
    await _set_properties_for_image(context, image_ref, properties, false, session);
    return image_ref;
  });
}

export async function image_update(
  context: RequestContext,
  image_id: string,
  values: Values,
  purge_props = false,
  from_state: string | null = null,
) {
  values = { ...values };
  const properties: Values | undefined = values.properties;
  delete values.properties;
  _drop_protected_attrs(models.Image, values);

  const session = get_session();
  return session.begin(async () => {
    const image_ref = await _image_get(context, image_id, { session });
    // compare-and-swap on status: an upload finishing races with a delete
    if (from_state !== null && image_ref.status !== from_state) {
      throw new exception.Conflict({ image_id, actual: image_ref.status, expected: from_state });
    }
    image_ref.update(values);
    session.add(image_ref);
    if (properties !== undefined) {
      await _set_properties_for_image(context, image_ref, properties, purge_props, session);
    }
    return image_ref;
  });
}

export async function image_destroy(context: RequestContext, image_id: string) {
  const session = get_session();
  return session.begin(async () => {
    const image_ref = await _image_get(context, image_id, { session });
    await image_ref.soft_delete(session);
    await session.query(models.ImageLocation).filter_by({ image_id, deleted: false }).soft_delete();
    await session.query(models.ImageProperty).filter_by({ image_id, deleted: false }).soft_delete();
    await session.query(models.ImageMember).filter_by({ image_id, deleted: false }).soft_delete();
    await session.query(models.ImageTag).filter_by({ image_id, deleted: false }).soft_delete();
    return image_ref;
  });
}

// -- properties ---------------------------------------------------------------

/**
 * Sets the image's properties to `properties`: existing rows (deleted ones too, the unique key
 * (image_id, name) does not include `deleted`) are updated, new names created; with
 * `purge_props` the properties not named are deleted.
 */
async function _set_properties_for_image(
  context: RequestContext,
  image_ref: any,
  properties: Values,
  purge_props: boolean,
  session: RomeSession,
) {
  const orig_properties = new Map<string, any>();
  for (const prop_ref of image_ref.properties ?? []) {
    orig_properties.set(prop_ref.name, prop_ref);
  }
  for (const [name, value] of Object.entries(properties)) {
    const prop_values = { image_id: image_ref.id, name, value };
    const prop_ref = orig_properties.get(name);
    if (prop_ref) {
      prop_ref.update({ ...prop_values, deleted: false, deleted_at: null });
      await prop_ref.save(session);
    } else {
      await image_property_create(context, prop_values, { session });
    }
  }
  if (purge_props) {
    for (const name of orig_properties.keys()) {
      if (!(name in properties)) {
        await image_property_delete(context, name, image_ref.id, { session });
      }
    }
  }
}

export async function image_property_create(context: RequestContext, values: Values, opts: { session?: RomeSession } = {}) {
  const lock_name = `image_properties:create:${values.image_id}:${values.name}`;
  await acquire_lock(lock_name);
  try {
    return await image_property_create_(context, values, opts);
  } finally {
    await release_lock(lock_name);
  }
}

async function image_property_create_(context: RequestContext, values: Values, opts: { session?: RomeSession } = {}) {
  const prop_ref = new models.ImageProperty();
  _drop_protected_attrs(models.ImageProperty, values);
  prop_ref.update(values);
  // port-db: uniqueness of image_properties on (image_id, name), as the SQL unique keys enforced it
  if (prop_ref.image_id != null && prop_ref.name != null && (await new RomeSession().query(models.ImageProperty).filter_by({ image_id: prop_ref.image_id, name: prop_ref.name }).first())) {
    throw new db_exc.DBDuplicateEntry(['image_id', 'name']);
  }
  await prop_ref.save(opts.session);
  return prop_ref;
}

export async function image_property_delete(
  context: RequestContext,
  prop_ref_name: string,
  image_id: string,
  opts: { session?: RomeSession } = {},
) {
  const session = opts.session ?? get_session();
  const prop_ref = _one(await session.query(models.ImageProperty).filter_by({ image_id, name: prop_ref_name }).all());
  await prop_ref.delete(session);
  return prop_ref;
}

// -- members ------------------------------------------------------------------

export async function image_member_create(context: RequestContext, values: Values) {
  const lock_name = `image_members:create:${values.image_id}:${values.member}:${values.deleted_at}`;
  await acquire_lock(lock_name);
  try {
    return await image_member_create_(context, values);
  } finally {
    await release_lock(lock_name);
  }
}

async function image_member_create_(context: RequestContext, values: Values) {
  const member_ref = new models.ImageMember();
  _drop_protected_attrs(models.ImageMember, values);
  member_ref.update(values);
  const session = get_session();
  try {
    await session.begin(async () => {
      // port-db: uniqueness of image_members on (image_id, member, deleted_at), as the SQL unique keys enforced it
      if (member_ref.image_id != null && member_ref.member != null && member_ref.deleted_at != null && (await new RomeSession().query(models.ImageMember).filter_by({ deleted: models.ImageMember.deleted.default ?? 0 }).filter_by({ image_id: member_ref.image_id, member: member_ref.member, deleted_at: member_ref.deleted_at }).first())) {
        throw new db_exc.DBDuplicateEntry(['image_id', 'member', 'deleted_at']);
      }
      await member_ref.save(session);
    });
  } catch (e) {
    if (e instanceof db_exc.DBDuplicateEntry) {
      throw new exception.ImageMemberExists({ image_id: values.image_id, member: values.member });
    }
    throw e;
  }
  return member_ref;
}

async function _image_member_get(context: RequestContext, member_id: number, session: RomeSession) {
  const member_ref = await session.query(models.ImageMember).filter_by({ id: member_id, deleted: false }).first();
  if (!member_ref) {
    throw new exception.ImageMemberNotFound({ member_id });
  }
  return member_ref;
}

export async function image_member_update(context: RequestContext, member_id: number, values: Values) {
  const session = get_session();
  return session.begin(async () => {
    const member_ref = await _image_member_get(context, member_id, session);
    _drop_protected_attrs(models.ImageMember, values);
    member_ref.update(values);
    session.add(member_ref);
    return member_ref;
  });
}

export async function image_member_delete(context: RequestContext, member_id: number) {
  const session = get_session();
  await session.begin(async () => {
    const member_ref = await _image_member_get(context, member_id, session);
    await member_ref.delete(session);
  });
}

/** Memberships matching the given image, member and status, oldest first, at most `limit`. */
export async function image_member_find(
  context: RequestContext,
  criteria: { image_id?: string; member?: string; status?: string } = {},
  opts: { session?: RomeSession; include_deleted?: boolean; limit?: number } = {},
) {
  const session = opts.session ?? get_session();
  let query = session.query(models.ImageMember);
  if (!opts.include_deleted) {
    query = query.filter_by({ deleted: false });
  }
  if (criteria.image_id !== undefined) {
    query = query.filter_by({ image_id: criteria.image_id });
  }
  if (criteria.member !== undefined) {
    query = query.filter_by({ member: criteria.member });
  }
  if (criteria.status !== undefined) {
    query = query.filter_by({ status: criteria.status });
  }
  return (await query
    .order_by(models.ImageMember.created_at.asc())
    .all()).slice(0, opts.limit ?? 1000);
}

export async function image_member_count(context: RequestContext, image_id: string) {
  const session = get_session();
  return await session.query(models.ImageMember).filter_by({ image_id, deleted: false }).count();
}

// -- locations ----------------------------------------------------------------

export async function image_location_add(context: RequestContext, image_id: string, location: Values) {
  const session = get_session();
  return session.begin(async () => {
    const location_ref = new models.ImageLocation();
    location_ref.image_id = image_id;
    location_ref.value = location.url;
    location_ref.meta_data = JSON.stringify(location.metadata ?? {});
    location_ref.status = location.status ?? 'active';
    await location_ref.save(session);
    return location_ref;
  });
}

export async function image_location_update(context: RequestContext, image_id: string, location: Values) {
  const session = get_session();
  return session.begin(async () => {
    const location_ref = await session.query(models.ImageLocation).filter_by({ id: location.id, image_id }).first();
    if (!location_ref) {
      throw new exception.ImageLocationNotFound({ location_id: location.id, image_id });
    }
    location_ref.value = location.url;
    location_ref.meta_data = JSON.stringify(location.metadata ?? {});
    location_ref.status = location.status;
    location_ref.updated_at = utcnow();
    await location_ref.save(session);
    return location_ref;
  });
}

export async function image_location_delete(
  context: RequestContext,
  image_id: string,
  location_id: number,
  status: 'deleted' | 'pending_delete',
) {
  const session = get_session();
  await session.begin(async () => {
    const location_ref = await session.query(models.ImageLocation).filter_by({ id: location_id, image_id }).first();
    if (!location_ref) {
      throw new exception.ImageLocationNotFound({ location_id, image_id });
    }
    const delete_time = utcnow();
    location_ref.update({ deleted: true, status, updated_at: delete_time, deleted_at: delete_time });
    await location_ref.save(session);
  });
}

// -- tags ---------------------------------------------------------------------

export async function image_tag_get_all(context: RequestContext, image_id: string) {
  const session = get_session();
  // port-db: manual query on a single column: ROME returns bare values, not one-element rows (drop the [0] where the rows are read)
  const tags = await session
    .query(models.ImageTag.value)
    .filter_by({ image_id, deleted: false })
    .order_by(models.ImageTag.created_at.asc())
    .all();
  return tags.map((tag: any[]) => tag[0]);
}

export async function image_tag_create(context: RequestContext, image_id: string, value: string) {
  const session = get_session();
  return session.begin(async () => {
    const tag_ref = new models.ImageTag();
    tag_ref.image_id = image_id;
    tag_ref.value = value;
    await tag_ref.save(session);
    return value;
  });
}

export async function image_tag_delete(context: RequestContext, image_id: string, value: string) {
  const session = get_session();
  const count = await _delete_counting(session.query(models.ImageTag).filter_by({ image_id, value, deleted: false }));
  if (count === 0) {
    throw new exception.ImageTagNotFound({ image_id, tag: value });
  }
}
