// The `sqlalchemy/sql/expression` module the SQL reference runs the source on.
export { and_, or_, not_, Operand as ColumnElement } from './expressions.js';
export { func, literal_column, text, asc, desc, null_, true_, false_, true_ as true, false_ as false, null_ as null } from './functions.js';
