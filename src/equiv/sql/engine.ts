// The SQL reference's engine (EQUIV.md §1): SQLite compiled to wasm (sql.js), behind the small
// interface the dialect runtime needs: statements with parameters, transactions and savepoints,
// snapshot/restore, and SQLite's constraint errors read into what oslo.db would raise. Loaded
// only by `equiv`: nothing else pays for the wasm.
import { createRequire } from 'node:module';
import { unseededRandom } from '../prng.js';
import type { Database, SqlJsStatic, SqlValue } from 'sql.js';

/** A value bound to a statement parameter or read from a row. */
export type Value = SqlValue;
export type Row = Record<string, Value>;

/** A constraint the engine enforced, as oslo.db classifies it (DBDuplicateEntry, DBReferenceError, ...). */
export interface ConstraintViolation {
  kind: 'unique' | 'not-null' | 'check' | 'foreign-key';
  table?: string;
  /** The columns SQLite names (unique, not null): a unique key's columns in key order. */
  columns: string[];
  /** SQLite's own message. */
  message: string;
}

/** The engine, as the dialect runtime uses it. Synchronous: the dialect has sync terminals. */
export interface SqlEngine {
  /** Runs a statement that returns no rows; answers the number of rows it changed. */
  run(sql: string, params?: Value[]): number;
  /** Runs a query; answers its rows as objects keyed by column name. */
  all(sql: string, params?: Value[]): Row[];
  /** The rowid the last INSERT gave (an autoincrement primary key). */
  lastInsertId(): number;
  begin(): void;
  commit(): void;
  rollback(): void;
  /** Whether a transaction is open (one connection: a session joins the one another opened). */
  readonly inTransaction: boolean;
  /** SAVEPOINT (SQLAlchemy's begin_nested). */
  savepoint(name: string): void;
  release(name: string): void;
  rollbackTo(name: string): void;
  /** The whole database as bytes; `restore` brings it back (a scenario starts from a snapshot). */
  snapshot(): Uint8Array;
  restore(bytes: Uint8Array): void;
  close(): void;
}

let loading: Promise<SqlJsStatic> | undefined;

/** sql.js, initialised once per process (compiling the wasm takes a few hundred ms). */
function sqlJs(): Promise<SqlJsStatic> {
  // required, not imported: sql.js is CommonJS and exports the init function itself
  const init = createRequire(import.meta.url)('sql.js') as (config?: object) => Promise<SqlJsStatic>;
  loading ??= init();
  return loading;
}

/** A new, empty database with foreign keys enforced (SQLite's default is off; MySQL's InnoDB is on). */
export async function openEngine(): Promise<SqlEngine> {
  const SQL = await sqlJs();
  // sql.js draws the database's file name from Math.random: from the harness's own draws
  const seeded = Math.random;
  Math.random = unseededRandom;
  try {
    return new SqlJsEngine(SQL, new SQL.Database());
  } finally {
    Math.random = seeded;
  }
}

class SqlJsEngine implements SqlEngine {
  constructor(
    private readonly SQL: SqlJsStatic,
    private db: Database,
  ) {
    this.configure();
  }

  private configure(): void {
    this.db.run('PRAGMA foreign_keys = ON');
  }

  run(sql: string, params: Value[] = []): number {
    this.guard(() => this.db.run(sql, params));
    return this.db.getRowsModified();
  }

  all(sql: string, params: Value[] = []): Row[] {
    return this.guard(() => {
      const statement = this.db.prepare(sql, params);
      try {
        const rows: Row[] = [];
        while (statement.step()) rows.push(statement.getAsObject() as Row);
        return rows;
      } finally {
        statement.free();
      }
    });
  }

  lastInsertId(): number {
    return Number(this.all('SELECT last_insert_rowid() AS id')[0].id);
  }

  inTransaction = false;

  begin(): void {
    this.run('BEGIN');
    this.inTransaction = true;
  }

  commit(): void {
    this.run('COMMIT');
    this.inTransaction = false;
  }

  rollback(): void {
    this.run('ROLLBACK');
    this.inTransaction = false;
  }

  savepoint(name: string): void {
    this.run(`SAVEPOINT ${quoteName(name)}`);
  }

  release(name: string): void {
    this.run(`RELEASE SAVEPOINT ${quoteName(name)}`);
  }

  rollbackTo(name: string): void {
    this.run(`ROLLBACK TO SAVEPOINT ${quoteName(name)}`);
  }

  snapshot(): Uint8Array {
    return this.db.export();
  }

  restore(bytes: Uint8Array): void {
    this.inTransaction = false;
    this.db.close();
    this.db = new this.SQL.Database(bytes);
    this.configure();
  }

  close(): void {
    this.db.close();
  }

  /** Runs `work`; a constraint SQLite enforced is thrown as a ConstraintError (what oslo.db maps). */
  private guard<T>(work: () => T): T {
    try {
      return work();
    } catch (e) {
      const violation = e instanceof Error ? constraintOf(e.message) : undefined;
      throw violation ? new ConstraintError(violation) : e;
    }
  }
}

/** An engine error that is a constraint violation; the dialect runtime turns it into oslo.db's exception. */
export class ConstraintError extends Error {
  constructor(readonly violation: ConstraintViolation) {
    super(violation.message);
    this.name = 'ConstraintError';
  }
}

/**
 * SQLite's constraint messages: `UNIQUE constraint failed: services.host, services.topic`,
 * `NOT NULL constraint failed: services.host`, `CHECK constraint failed: <expr>`,
 * `FOREIGN KEY constraint failed` (SQLite names no column there).
 */
export function constraintOf(message: string): ConstraintViolation | undefined {
  const m = /^(UNIQUE|NOT NULL|CHECK|FOREIGN KEY) constraint failed(?::\s*(.*))?$/.exec(message.trim());
  if (!m) return undefined;
  const kind = ({ UNIQUE: 'unique', 'NOT NULL': 'not-null', CHECK: 'check', 'FOREIGN KEY': 'foreign-key' } as const)[m[1] as 'UNIQUE'];
  if (kind === 'unique' || kind === 'not-null') {
    const qualified = (m[2] ?? '').split(',').map((c) => c.trim()).filter(Boolean);
    const table = qualified[0]?.includes('.') ? qualified[0].slice(0, qualified[0].indexOf('.')) : undefined;
    return { kind, table, columns: qualified.map((c) => c.slice(c.indexOf('.') + 1)), message };
  }
  return { kind, columns: [], message };
}

/** A table or column name as SQL text (double quotes; a quote inside doubled). */
export function quoteName(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
