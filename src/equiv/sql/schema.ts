// Tables of the SQL reference, from what the models declare (EQUIV.md §1): the column types,
// NOT NULL, String(n) lengths (MySQL strict mode rejects a longer value: a CHECK here), primary
// and foreign keys, and the unique keys port-db's models analyzer reads, so the reference
// enforces exactly the keys create-lock checks.
import { quoteName } from './engine.js';

export type ColumnType = 'integer' | 'float' | 'boolean' | 'datetime' | 'text';

export interface ColumnSpec {
  name: string;
  type: ColumnType;
  /** `String(n)`: at most n characters. */
  length?: number;
  /** False: NOT NULL. A primary key column is never null. */
  nullable: boolean;
  primaryKey?: boolean;
  /** A server default (SQL text, `server_default`); client defaults are the runtime's. */
  serverDefault?: string;
  /** `ForeignKey('table.column')`. */
  references?: { table: string; column: string };
}

export interface TableSpec {
  name: string;
  columns: ColumnSpec[];
  /** Each unique key's columns, in key order. */
  uniqueKeys: string[][];
}

export interface SchemaOptions {
  /** MySQL's default collation compares strings case-insensitively (`ci`); SQLite's is binary. */
  collation: 'ci' | 'binary';
}

const AFFINITY: Record<ColumnType, string> = {
  integer: 'INTEGER',
  float: 'REAL',
  // SQLAlchemy stores booleans as 0/1 on both MySQL and SQLite
  boolean: 'INTEGER',
  // stored as ISO-8601 text: sorts and compares as the DATETIME it stands for
  datetime: 'TEXT',
  text: 'TEXT',
};

/** CREATE TABLE for one table. */
export function createTable(table: TableSpec, options: SchemaOptions = { collation: 'ci' }): string {
  const pk = table.columns.filter((c) => c.primaryKey);
  // one integer primary key counts up and never reuses an id, as MySQL's AUTO_INCREMENT
  const autoincrement = pk.length === 1 && pk[0].type === 'integer';
  const lines = table.columns.map((c) => {
    const parts = [quoteName(c.name), AFFINITY[c.type]];
    if (autoincrement && c.primaryKey) parts.push('PRIMARY KEY AUTOINCREMENT');
    if (!c.nullable || c.primaryKey) parts.push('NOT NULL');
    if (c.type === 'text' && options.collation === 'ci') parts.push('COLLATE NOCASE');
    if (c.serverDefault !== undefined) parts.push(`DEFAULT (${c.serverDefault})`);
    if (c.length !== undefined) parts.push(`CHECK (length(${quoteName(c.name)}) <= ${c.length})`);
    if (c.references) parts.push(`REFERENCES ${quoteName(c.references.table)} (${quoteName(c.references.column)})`);
    return parts.join(' ');
  });
  if (pk.length > 0 && !autoincrement) lines.push(`PRIMARY KEY (${pk.map((c) => quoteName(c.name)).join(', ')})`);
  // a row that breaks two keys: MySQL (InnoDB) reports the key declared first, SQLite the one
  // declared last, so they are declared last to first
  for (const key of [...table.uniqueKeys].reverse()) lines.push(`UNIQUE (${key.map(quoteName).join(', ')})`);
  return `CREATE TABLE ${quoteName(table.name)} (\n  ${lines.join(',\n  ')}\n)`;
}

/**
 * The tables in an order that creates each before the tables that reference it (SQLite checks
 * foreign keys on writes, not at CREATE, but a dump reads better in that order); cycles keep
 * the declared order.
 */
export function creationOrder(tables: TableSpec[]): TableSpec[] {
  const byName = new Map(tables.map((t) => [t.name, t]));
  const done = new Set<string>();
  const out: TableSpec[] = [];
  const visit = (t: TableSpec, path: Set<string>): void => {
    if (done.has(t.name) || path.has(t.name)) return;
    path.add(t.name);
    for (const c of t.columns) {
      const target = c.references && byName.get(c.references.table);
      if (target && target !== t) visit(target, path);
    }
    done.add(t.name);
    out.push(t);
  };
  for (const t of tables) visit(t, new Set());
  return out;
}
