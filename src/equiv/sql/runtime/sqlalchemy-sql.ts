// The `sqlalchemy/sql` module the SQL reference runs the source on.
import { sql } from './sqlalchemy.js';

export { and_, or_, not_ } from './expressions.js';
export { func, literal_column, text, select, null_, true_ as true, false_ as false, null_ as null } from './functions.js';
export default sql;
