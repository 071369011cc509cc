// The `sqlalchemy/orm` module the SQL reference runs the source on.
import { MultipleResultsFound, NoResultFound } from './orm.js';

export { Session, sessionmaker, NoResultFound, MultipleResultsFound, Query } from './orm.js';
export { relationship, backref } from './schema.js';
export { RelationshipProperty } from './relationships.js';
export { joinedload, joinedload_all, subqueryload, noload, undefer, contains_eager } from './sqlalchemy.js';

/** `sqlalchemy.orm.exc`, as Glance reaches the errors. */
export const exc = { NoResultFound, MultipleResultsFound };

/**
 * `@validates('name')`: SQLAlchemy calls the method on each assignment of the attribute. The
 * reference's instances are plain objects (no attribute events), so a validated model raises
 * when an instance of it is flushed, not silently skips its validator (see orm.ts).
 */
export function validates(...names: string[]) {
  return <M extends (this: unknown, key: string, value: unknown) => unknown>(method: M, context: ClassMethodDecoratorContext): M => {
    context.addInitializer(function (this: unknown) {
      const model = (this as object).constructor as { __validated__?: string[] };
      if (!Object.prototype.hasOwnProperty.call(model, '__validated__')) model.__validated__ = [];
      model.__validated__!.push(...names);
    });
    return method;
  };
}
