// The `sqlalchemy/orm` module the SQL reference runs the source on.
import { MultipleResultsFound, NoResultFound } from './orm.js';

export { Session, sessionmaker, NoResultFound, MultipleResultsFound, Query } from './orm.js';
export { relationship, backref } from './schema.js';
export { RelationshipProperty } from './relationships.js';
export { joinedload, joinedload_all, subqueryload, noload, undefer, contains_eager } from './sqlalchemy.js';

/** `sqlalchemy.orm.exc`, as Glance reaches the errors. */
export const exc = { NoResultFound, MultipleResultsFound };

/**
 * `@validates('name')`: SQLAlchemy runs the method on each assignment of the attribute and stores
 * what it answers. Here the first instance of the class installs, on its prototype, an accessor
 * per validated name doing the same (a row loaded from the database passes through it too,
 * which SQLAlchemy skips: the samples' validators only truncate, so that changes nothing).
 */
export function validates(...names: string[]) {
  return <M extends (this: any, key: string, value: any) => any>(method: M, context: ClassMethodDecoratorContext): M => {
    context.addInitializer(function (this: unknown) {
      const proto = Object.getPrototypeOf(this) as object;
      for (const name of names) {
        if (Object.prototype.hasOwnProperty.call(proto, name)) continue;
        const values = new WeakMap<object, unknown>();
        Object.defineProperty(proto, name, {
          configurable: true,
          get(this: object) {
            return values.get(this);
          },
          set(this: object, value: unknown) {
            values.set(this, method.call(this, name, value));
          },
        });
      }
    });
    return method;
  };
}
