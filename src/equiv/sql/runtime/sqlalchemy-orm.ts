// The `sqlalchemy/orm` module the SQL reference runs the source on.
export { Session, sessionmaker, NoResultFound, MultipleResultsFound } from './orm.js';
export { relationship, backref } from './schema.js';
export { joinedload, joinedload_all, subqueryload, noload, undefer, contains_eager } from './sqlalchemy.js';
