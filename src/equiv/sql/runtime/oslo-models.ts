// `oslo.db/sqlalchemy/models` for the SQL reference: ModelBase and the mixins that add columns
// (oslo_db/sqlalchemy/models.py: TimestampMixin's created_at/updated_at, SoftDeleteMixin's
// deleted_at/deleted). The row behaviour (save, update, soft_delete) comes with the session.
import { Column, DateTime, Integer, type ModelClass } from './schema.js';

// TypeScript requires a mixin base constructor of any[]
type Constructor = abstract new (...args: any[]) => object;

export class ModelBase {
  static __tablename__: string;
  static __table_args__: unknown[] = [];
  [field: string]: unknown;
}

export function TimestampMixin<B extends Constructor>(base: B): B {
  abstract class Timestamped extends base {
    static created_at = Column(DateTime);
    static updated_at = Column(DateTime);
  }
  return Timestamped;
}

export function SoftDeleteMixin<B extends Constructor>(base: B): B {
  abstract class SoftDeletable extends base {
    static deleted_at = Column(DateTime);
    static deleted = Column(Integer, { default: 0 });
  }
  return SoftDeletable;
}

export type { ModelClass };
