// `oslo.db/exception` for the SQL reference: what oslo.db raises from the engine's errors
// (oslo_db/exception.py; exc_filters.py reads the violated key's columns into DBDuplicateEntry).

export class DBError extends Error {
  constructor(
    message?: string,
    readonly inner_exception?: unknown,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** A unique key violated: `columns` are the key's columns, as the index names them. */
export class DBDuplicateEntry extends DBError {
  constructor(
    readonly columns: string[] = [],
    inner_exception?: unknown,
    readonly value?: unknown,
  ) {
    super(`Duplicate entry on (${columns.join(', ')})`, inner_exception);
  }
}

export class DBDeadlock extends DBError {}
/**
 * A foreign key violated, with oslo's constructor (table, constraint, key, key_table). SQLite
 * does not name them (`FOREIGN KEY constraint failed`): the reference leaves them undefined.
 */
export class DBReferenceError extends DBError {
  constructor(
    readonly table?: string,
    readonly constraint?: string,
    readonly key?: string,
    readonly key_table?: string,
    inner_exception?: unknown,
  ) {
    super(`Foreign key constraint ${constraint ?? ''} on ${table ?? 'a table'} (${key ?? 'a key'} → ${key_table ?? 'a table'}) failed`, inner_exception);
  }
}
export class DBConnectionError extends DBError {}
export class DBInvalidUnicodeParameter extends Error {}
export class DBMigrationError extends Error {}
export class DbMigrationError extends DBMigrationError {}
export class InvalidSortKey extends Error {}
export class ColumnError extends Error {}
/** Raised by the service to ask wrap_db_retry(retry_on_request) for another try. */
export class RetryRequest extends Error {}
