// The errors rome-orm declares. ROME raises oslo.db's DBDeadlock (lib/rome/core/utils.py:26-30),
// so the hierarchy is oslo.db's; NoResultFound and MultipleResultsFound are ROME's own
// (lib/rome/core/orm/exc.py). `name` is the class name: equiv compares errors by it.

export class DBError extends Error {
  constructor(message?: string) {
    super(message);
    this.name = new.target.name;
  }
}

export class DBDuplicateEntry extends DBError {
  columns: string[];
  value?: unknown;
  constructor(columns: string[] = [], value?: unknown) {
    super(`Duplicate entry on ${columns.join(', ')}`);
    this.columns = columns;
    this.value = value;
  }
}

export class DBDeadlock extends DBError {}

export class NoResultFound extends Error {
  constructor(message?: string) {
    super(message);
    this.name = new.target.name;
  }
}

export class MultipleResultsFound extends Error {
  constructor(message?: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** What the in-memory ROME does not model: a scenario that reaches it is not evidence either way. */
export class UnsupportedInRomeMemory extends Error {
  constructor(message: string) {
    super(`unsupported in the in-memory ROME: ${message}`);
    this.name = new.target.name;
  }
}
