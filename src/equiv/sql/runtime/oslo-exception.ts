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
export class DBReferenceError extends DBError {}
export class DBConnectionError extends DBError {}
