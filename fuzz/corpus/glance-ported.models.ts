// SQLAlchemy-style models of the image registry.
//
// Columns are static class members (`models.Image.status.eq('active')` builds an expression);
// a loaded row is an instance and reads its columns as fields (`image_ref.status`). Unlike
// nova, `deleted` is a boolean and `delete()` is a soft delete (it sets deleted/deleted_at and
// saves the row).

import {
  BigInteger,
  Boolean,
  Column,
  DateTime,
  ForeignKey,
  Index,
  Integer,
  String,
  Text,
  UniqueConstraint,
  relationship,
} from 'sqlalchemy';
import type { Session } from 'sqlalchemy/orm';
import { ModelBase, TimestampMixin } from 'oslo.db/sqlalchemy/models';
import { generate_uuid, utcnow } from '../../utils';

/** Base class of every glance model. */
export class GlanceBase extends TimestampMixin(ModelBase) {
  static __table_args__: any[] = [];
  /** columns a caller's values may not set */
  static __protected_attributes__ = new Set(['created_at', 'updated_at', 'deleted_at', 'deleted']);

  /** Soft delete: marks the row deleted and saves it. */
  async soft_delete(session?: Session) {
    this.deleted = true;
    this.deleted_at = utcnow();
    await this.save(session);
  }

  /** Rows are never removed by the api: delete() is the soft delete too. */
  async delete(session?: Session) {
    await this.soft_delete(session);
  }

  toDict(): Record<string, any> {
    const values: Record<string, any> = {};
    for (const key of this.keys()) {
      values[key] = this[key];
    }
    return values;
  }
}

export class Image extends GlanceBase {
  static __tablename__ = 'images';
  static __table_args__ = [
    Index('checksum_image_idx', 'checksum'),
    Index('visibility_image_idx', 'visibility'),
    Index('ix_images_deleted', 'deleted'),
    Index('owner_image_idx', 'owner'),
    Index('created_at_image_idx', 'created_at'),
    Index('updated_at_image_idx', 'updated_at'),
  ];
  // the id is a uuid the client may choose when it registers the image
  static id = Column(String(36), { primary_key: true, default: () => generate_uuid() });
  static name = Column(String(255));
  static disk_format = Column(String(20));
  static container_format = Column(String(20));
  static size = Column(BigInteger);
  static virtual_size = Column(BigInteger);
  static status = Column(String(30), { nullable: false });
  static visibility = Column(String(20), { nullable: false, default: 'shared' });
  static checksum = Column(String(32));
  static min_disk = Column(Integer, { nullable: false, default: 0 });
  static min_ram = Column(Integer, { nullable: false, default: 0 });
  static owner = Column(String(255));
  static protected = Column(Boolean, { nullable: false, default: false });
  static created_at = Column(DateTime, { nullable: false });
  static updated_at = Column(DateTime);
  static deleted_at = Column(DateTime);
  static deleted = Column(Boolean, { nullable: false, default: false });

  static properties = relationship('ImageProperty', { backref: 'image' });
  static locations = relationship('ImageLocation', { backref: 'image' });
  static members = relationship('ImageMember', { backref: 'image' });
  static tags = relationship('ImageTag', { backref: 'image' });
}

export class ImageProperty extends GlanceBase {
  static __tablename__ = 'image_properties';
  static __table_args__ = [
    Index('ix_image_properties_image_id', 'image_id'),
    Index('ix_image_properties_deleted', 'deleted'),
    UniqueConstraint('image_id', 'name', { name: 'ix_image_properties_image_id_name' }),
  ];
  static id = Column(Integer, { primary_key: true });
  static image_id = Column(String(36), ForeignKey('images.id'), { nullable: false });
  static name = Column(String(255), { nullable: false });
  static value = Column(Text);
  static created_at = Column(DateTime, { nullable: false });
  static updated_at = Column(DateTime);
  static deleted_at = Column(DateTime);
  static deleted = Column(Boolean, { nullable: false, default: false });
}

export class ImageTag extends GlanceBase {
  static __tablename__ = 'image_tags';
  static __table_args__ = [
    Index('ix_image_tags_image_id', 'image_id'),
    Index('ix_image_tags_image_id_tag_value', 'image_id', 'value'),
  ];
  static id = Column(Integer, { primary_key: true, nullable: false });
  static image_id = Column(String(36), ForeignKey('images.id'), { nullable: false });
  static value = Column(String(255), { nullable: false });
  static created_at = Column(DateTime, { nullable: false });
  static updated_at = Column(DateTime);
  static deleted_at = Column(DateTime);
  static deleted = Column(Boolean, { nullable: false, default: false });
}

export class ImageLocation extends GlanceBase {
  static __tablename__ = 'image_locations';
  static __table_args__ = [
    Index('ix_image_locations_image_id', 'image_id'),
    Index('ix_image_locations_deleted', 'deleted'),
  ];
  static id = Column(Integer, { primary_key: true, nullable: false });
  static image_id = Column(String(36), ForeignKey('images.id'), { nullable: false });
  static value = Column(Text, { nullable: false });
  /** JSON text */
  static meta_data = Column(Text, { default: '{}' });
  static status = Column(String(30), { nullable: false, default: 'active' });
  static created_at = Column(DateTime, { nullable: false });
  static updated_at = Column(DateTime);
  static deleted_at = Column(DateTime);
  static deleted = Column(Boolean, { nullable: false, default: false });
}

/** A tenant an image is shared with. */
export class ImageMember extends GlanceBase {
  static __tablename__ = 'image_members';
  static __table_args__ = [
    Index('ix_image_members_deleted', 'deleted'),
    Index('ix_image_members_image_id', 'image_id'),
    Index('ix_image_members_image_id_member', 'image_id', 'member'),
    // deleted_at, not deleted: a member removed and added again gets a new row
    UniqueConstraint('image_id', 'member', 'deleted_at', {
      name: 'image_members_image_id_member_deleted_at_key',
    }),
  ];
  static id = Column(Integer, { primary_key: true });
  static image_id = Column(String(36), ForeignKey('images.id'), { nullable: false });
  static member = Column(String(255), { nullable: false });
  static can_share = Column(Boolean, { nullable: false, default: false });
  static status = Column(String(20), { nullable: false, default: 'pending' });
  static created_at = Column(DateTime, { nullable: false });
  static updated_at = Column(DateTime);
  static deleted_at = Column(DateTime);
  static deleted = Column(Boolean, { nullable: false, default: false });
}
