// The `sqlalchemy/orm/exc` module the SQL reference runs the source on.
export { NoResultFound, MultipleResultsFound } from './orm.js';
