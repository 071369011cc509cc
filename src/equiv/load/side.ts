// What the scenario worker needs from one side: open a fresh database or store, write seed rows
// with the side's own primitive, see entities as columns, dump every table, log the locks.
import type { EntityView, TableDump } from '../outcome.js';
import type { Store } from '../rome-memory/store.js';

export interface Side {
  /** A fresh reference database (SQL) or store (ROME) for the models module just loaded. */
  open(modelsPath: string, models: Record<string, unknown>): Promise<void>;
  /** Writes the rows, table by table in the seed's order; a bad row throws a SeedError. */
  seed(seed: Record<string, Array<Record<string, unknown>>>): Promise<void>;
  entity(obj: object): EntityView | undefined;
  dump(): Promise<Record<string, TableDump>>;
  locks(): string[];
  /** ROME: imports a node's instance of the ported module (ROME's own draws apart, so runs stay aligned). */
  loadNode?(node: number, load: () => Promise<Record<string, unknown>>): Promise<Record<string, unknown>>;
  /** ROME: every store from the next `open` on goes through `wrap` (the scheduler); undefined: none. */
  wrapStore?(wrap: ((store: Store) => Store) | undefined): void;
}

/** A seed row the side refused: the scenario is bad input. */
export class SeedError extends Error {
  /** `index`: the refused row; none when the table itself is unknown. */
  constructor(table: string, index: number | undefined, cause: unknown) {
    super(`${index === undefined ? `seed of ${table}` : `seed row ${index + 1} of ${table}`}: ${cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause)}`);
    this.name = 'SeedError';
  }
}

/** The exported classes of a models module that map a table, by table (the first one wins). */
export function tablesOf(models: Record<string, unknown>): Map<string, Function> {
  const out = new Map<string, Function>();
  for (const value of Object.values(models)) {
    const table = typeof value === 'function' ? (value as { __tablename__?: unknown }).__tablename__ : undefined;
    if (typeof table === 'string' && !out.has(table)) out.set(table, value as Function);
  }
  return out;
}

export function unknownTable(table: string, known: Map<string, Function>): Error {
  return new SeedError(table, undefined, `no model maps the table '${table}' (tables: ${[...known.keys()].sort().join(', ')})`);
}
