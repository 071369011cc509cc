// The `sqlalchemy/schema` module the SQL reference runs the source on.
export { Column, ForeignKey, Index, UniqueConstraint } from './schema.js';
export { MetaData, Table } from './tables.js';
