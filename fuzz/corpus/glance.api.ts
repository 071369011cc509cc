// Implementation of the image registry's db api on SQLAlchemy.
//
// Images are keyed by a uuid (chosen by the client or generated). An image's properties,
// locations, members and tags live in their own tables and are soft-deleted with it.

import { get_session } from './session';
import * as models from './models';
import { or_, and_, joinedload } from 'sqlalchemy';
import type { Session } from 'sqlalchemy/orm';
import { NoResultFound } from 'sqlalchemy/orm';
import { paginate_query } from 'oslo.db/sqlalchemy/utils';
import * as db_exc from 'oslo.db/exception';
import { RequestContext } from '../../context';
import * as exception from '../../exception';
import { utcnow } from '../../utils';

type Values = Record<string, any>;

const IMAGE_STATUSES = ['queued', 'saving', 'active', 'killed', 'deleted', 'pending_delete', 'deactivated'];

/** Drops the columns a caller may not set (timestamps and deletion flags). */
function _drop_protected_attrs(model: typeof models.GlanceBase, values: Values) {
  for (const attr of model.__protected_attributes__) {
    delete values[attr];
  }
}

/** Whether `image` is visible to the context: public, owned, or shared with its tenant. */
async function _is_image_visible(context: RequestContext, image: any, opts: { session?: Session } = {}) {
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
  opts: { session?: Session; force_show_deleted?: boolean } = {},
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
    .options(joinedload('properties'), joinedload('locations'))
    .filter_by({ id: image_id });
  if (!force_show_deleted && !context.can_see_deleted) {
    query = query.filter_by({ deleted: false });
  }
  let image;
  try {
    image = await query.one();
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
  let query = session.query(models.Image).options(joinedload('properties'));

  if (!context.can_see_deleted) {
    query = query.filter_by({ deleted: false });
  }
  if (!context.is_admin) {
    const visible = [models.Image.visibility.eq('public'), models.Image.visibility.eq('community')];
    if (context.owner !== null) {
      visible.push(models.Image.owner.eq(context.owner));
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
  query = paginate_query(query, models.Image, limit, sort_keys, { marker: marker_image, sort_dirs });
  return await query.all();
}

export async function image_create(context: RequestContext, values: Values) {
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
  session: Session,
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

export async function image_property_create(context: RequestContext, values: Values, opts: { session?: Session } = {}) {
  const prop_ref = new models.ImageProperty();
  _drop_protected_attrs(models.ImageProperty, values);
  prop_ref.update(values);
  await prop_ref.save(opts.session);
  return prop_ref;
}

export async function image_property_delete(
  context: RequestContext,
  prop_ref_name: string,
  image_id: string,
  opts: { session?: Session } = {},
) {
  const session = opts.session ?? get_session();
  const prop_ref = await session.query(models.ImageProperty).filter_by({ image_id, name: prop_ref_name }).one();
  await prop_ref.delete(session);
  return prop_ref;
}

// -- members ------------------------------------------------------------------

export async function image_member_create(context: RequestContext, values: Values) {
  const member_ref = new models.ImageMember();
  _drop_protected_attrs(models.ImageMember, values);
  member_ref.update(values);
  const session = get_session();
  try {
    await session.begin(async () => {
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

async function _image_member_get(context: RequestContext, member_id: number, session: Session) {
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
  opts: { session?: Session; include_deleted?: boolean; limit?: number } = {},
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
  return await query
    .order_by(models.ImageMember.created_at.asc())
    .limit(opts.limit ?? 1000)
    .all();
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
  const count = await session.query(models.ImageTag).filter_by({ image_id, value, deleted: false }).delete();
  if (count === 0) {
    throw new exception.ImageTagNotFound({ image_id, tag: value });
  }
}
