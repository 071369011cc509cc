// `oslo.db/sqlalchemy/models` for the SQL reference (oslo_db/sqlalchemy/models.py): ModelBase's
// save/update/get/keys, TimestampMixin's created_at (default now) and updated_at (now on every
// update), SoftDeleteMixin's deleted_at/deleted and soft_delete (deleted = id).
import { mapperOf } from './mapper.js';
import { Session } from './orm.js';
import { Column, DateTime, Integer, type ModelClass } from './schema.js';

/** `save(session)` or, as the dialect writes Python's keyword, `save({ session })`; none: a new session. */
function sessionOf(arg: unknown): Session {
  const s = arg instanceof Session ? arg : arg && typeof arg === 'object' ? (arg as { session?: unknown }).session : undefined;
  return s instanceof Session ? s : new Session();
}

const now = () => new Date();

// TypeScript requires a mixin base constructor of any[]
type Constructor = abstract new (...args: any[]) => object;

export class ModelBase {
  static __tablename__: string;
  static __table_args__: unknown[] = [];
  [field: string]: unknown;

  /** Adds the row to the session and flushes it (in the session's transaction, if one is open). */
  save(session?: unknown): void {
    const s = sessionOf(session);
    s.add(this);
    s.flush();
  }

  update(values: Record<string, unknown>): void {
    Object.assign(this, values);
  }

  get(key: string, defaultValue?: unknown): unknown {
    return this[key] ?? defaultValue;
  }

  keys(): string[] {
    return [...mapperOf(this.constructor as ModelClass).columns.keys()];
  }

  /** `session.delete(self)` and a flush: the row is removed (oslo's ModelBase.delete). */
  delete(session?: unknown): void {
    const s = sessionOf(session);
    s.delete(this);
    s.flush();
  }

  /** The columns, then the model's `_extra_keys` (oslo's ModelBase.__iter__). */
  *[Symbol.iterator](): IterableIterator<[string, unknown]> {
    const extra = Array.isArray(this._extra_keys) ? (this._extra_keys as string[]) : [];
    for (const key of [...this.keys(), ...extra]) yield [key, this[key]];
  }

  items(): [string, unknown][] {
    return [...this];
  }

  iteritems(): IterableIterator<[string, unknown]> {
    return this[Symbol.iterator]();
  }

  get __class__(): unknown {
    return this.constructor;
  }
}

export function TimestampMixin<B extends Constructor>(base: B): B {
  abstract class Timestamped extends base {
    static created_at = Column(DateTime, { default: now });
    static updated_at = Column(DateTime, { onupdate: now });
  }
  return Timestamped;
}

export function SoftDeleteMixin<B extends Constructor>(base: B): B {
  abstract class SoftDeletable extends base {
    static deleted_at = Column(DateTime);
    static deleted = Column(Integer, { default: 0 });

    soft_delete(session?: unknown): void {
      const self = this as unknown as ModelBase;
      self.deleted = self.id;
      self.deleted_at = now();
      self.save(session);
    }

    softDelete(session?: unknown): void {
      this.soft_delete(session);
    }
  }
  return SoftDeletable;
}

export type { ModelClass };
