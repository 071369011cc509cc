// The ROME side of a scenario: the port on the in-memory ROME. Seed rows are saved as entities
// (ROME's own primitive: defaults and timestamps as its save applies them); tables are dumped from
// the store's hashes, every row; the lock hash's operations make the lock log. With `--rome
// redis://…` the store is a RedisStore under a key prefix of the run's own, one per store opened.
import { desimplify } from '../rome-memory/codec.js';
import { forgetMappedClasses, mappingOf, type EntityClass } from '../rome-memory/mapping.js';
import { useDraws, useStore } from '../rome-memory/runtime.js';
import { aroundOperations, MemoryStore, type Store } from '../rome-memory/store.js';
import { lockEvents } from '../rome-memory/lock.js';
import type { ColumnKind, EntityView, Plain, TableDump } from '../outcome.js';
import { encodeColumn } from '../outcome.js';
import type { RedisStore } from '../rome-memory/redis-store.js';
import { SeedError, tablesOf, unknownTable, type Side } from './side.js';

/** A real store for the ROME side: its URL, and the run's key prefix (every key of the run is under it). */
export interface RealStore {
  url: string;
  prefix: string;
}

type Saveable = { update(values: Record<string, unknown>): unknown; save(): Promise<void> };

export class RomeSide implements Side {
  private tables = new Map<string, Function>();
  private store: MemoryStore | RedisStore = new MemoryStore();
  private log: string[] = [];
  private wrap: ((store: Store) => Store) | undefined;
  private draws = { uuid: () => 'rome', random: () => 0.5 };
  private opened = 0;
  /** Whether close() removes the store's keys: not those of a store shared with node 0. */
  private clears = false;

  constructor(private readonly real?: RealStore) {}

  /** The prefix the next store opened on the real store takes (a fresh one each time). */
  nextPrefix(): string {
    return `${this.real!.prefix}${process.pid}-${++this.opened}:`;
  }

  async open(_modelsPath: string, models: Record<string, unknown>, prefix?: string): Promise<void> {
    // a fresh module graph maps its classes again: find those, not the last scenario's
    forgetMappedClasses();
    await this.close();
    this.store = this.real ? await redisStore(this.real.url, prefix ?? this.nextPrefix()) : new MemoryStore();
    this.clears = this.real !== undefined;
    if ('client' in this.store) await this.store.client.ping();
    this.log = [];
    const logged = logLocks(this.store, this.log);
    const log = this.log;
    lockEvents.expired = (name) => log.push(`expired ${name}`);
    useStore(this.wrap ? this.wrap(logged) : logged);
    // ROME's own ids and jitter from a source of their own: the service's seeded draws stay in
    // step with the SQL side's
    let n = 0;
    this.draws = { uuid: () => `rome-${++n}`, random: () => 0.5 };
    useDraws(this.draws);
    this.tables = tablesOf(models);
    for (const model of this.tables.values()) mappingOf(model as EntityClass);
  }

  async seed(seed: Record<string, Array<Record<string, unknown>>>): Promise<void> {
    for (const [table, rows] of Object.entries(seed)) {
      const model = this.tables.get(table);
      if (!model) throw unknownTable(table, this.tables);
      for (const [i, row] of rows.entries()) {
        try {
          const entity = new (model as new () => Saveable)();
          entity.update(row);
          await entity.save();
        } catch (e) {
          throw new SeedError(table, i, e);
        }
      }
    }
    this.log.length = 0;
  }

  entity(obj: object): EntityView | undefined {
    const model = obj.constructor as EntityClass | undefined;
    if (typeof model !== 'function' || typeof model.__tablename__ !== 'string') return undefined;
    const mapping = mappingOf(model);
    const values: Record<string, unknown> = {};
    // read as the caller reads them (a loaded row answers its fields as loaded)
    for (const key of mapping.columns.keys()) values[key] = desimplify((obj as Record<string, unknown>)[key]);
    return { table: mapping.table, values, kinds: kindsOf(model) };
  }

  async dump(): Promise<Record<string, TableDump>> {
    const out: Record<string, TableDump> = {};
    const { hashes } = await this.store.dump();
    for (const [table, model] of [...this.tables].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const mapping = mappingOf(model as EntityClass);
      const kinds = kindsOf(model as EntityClass);
      const stored = Object.values(hashes[table] ?? {}).map((json) => JSON.parse(json) as Record<string, unknown>);
      stored.sort((a, b) => compareIds(a.id, b.id));
      const columns: TableDump['columns'] = {};
      for (const [key, column] of mapping.columns) {
        const [table, target] = column.foreignKeys[0]?.column.split('.') ?? [];
        const references = table && target ? { table, column: target } : undefined;
        columns[key] = { kind: kinds[key], ...(references ? { references } : {}) };
      }
      out[table] = {
        columns,
        ...(mapping.columns.has('id') ? { primaryKey: 'id' } : {}),
        rows: stored.map((row) => {
          const values: Record<string, Plain> = {};
          for (const key of mapping.columns.keys()) values[key] = encodeColumn(desimplify(row[key]), kinds[key]);
          return values;
        }),
      };
    }
    return out;
  }

  locks(): string[] {
    return [...this.log];
  }

  /** Lock log lines of the group's nodes (other processes), after node 0's own. */
  note(lines: readonly string[]): void {
    this.log.push(...lines);
  }

  /** A real store: removes the keys of the store opened last (unless shared) and closes its connection. */
  async close(): Promise<void> {
    if (!('clear' in this.store)) return;
    const [store, clears] = [this.store, this.clears];
    this.store = new MemoryStore();
    try {
      if (clears) await store.clear();
    } finally {
      await store.close();
    }
  }

  /**
   * A node of a concurrent group on a real store: from now on the store is `prefix` on `url`, as
   * node 0 opened and seeded it (its keys are node 0's to remove). Answers once connected.
   */
  async share(url: string, prefix: string): Promise<void> {
    await this.close();
    const store = await redisStore(url, prefix);
    this.store = store;
    this.clears = false;
    this.log.length = 0;
    useStore(logLocks(store, this.log));
    await store.client.ping();
  }

  wrapStore(wrap: ((store: Store) => Store) | undefined): void {
    this.wrap = wrap;
  }

  async loadNode(node: number, load: () => Promise<Record<string, unknown>>): Promise<Record<string, unknown>> {
    // a node's module-level ROME objects (its ClusterLock) draw from a source of their own, so
    // the runs' draws do not depend on when a node was first loaded
    let n = 0;
    useDraws({ uuid: () => `node${node}-${++n}`, random: () => 0.5 });
    try {
      return await load();
    } finally {
      useDraws(this.draws);
    }
  }
}

async function redisStore(url: string, prefix: string): Promise<RedisStore> {
  // loaded only for a real store: the in-memory runs never load ioredis
  const { RedisStore } = await import('../rome-memory/redis-store.js');
  return new RedisStore({ url, prefix });
}

function kindsOf(model: EntityClass): Record<string, ColumnKind> {
  const kinds: Record<string, ColumnKind> = {};
  for (const [key, column] of mappingOf(model).columns) {
    const name = column.type.typeName;
    kinds[key] = name === 'Boolean' ? 'boolean' : name === 'DateTime' ? 'datetime' : 'other';
  }
  return kinds;
}

function compareIds(a: unknown, b: unknown): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0;
}

/**
 * The store, with every operation on ROME's lock hash (or, on a real store, every owner-token lock
 * taken and released) written to `log` (the outcome's lock log).
 */
function logLocks(store: Store, log: string[]): Store {
  const LOCKS = 'lock';
  return aroundOperations(store, async (op, args, call) => {
    const result = await call();
    if (op === 'lockAcquire') log.push(`${result ? 'lock' : 'refused'} ${String(args[0])}`);
    // a release refused: the token no longer holds, its TTL passed while the holder worked
    if (op === 'lockRelease') log.push(`${result ? 'unlock' : 'expired'} ${String(args[0])}`);
    if (args[0] !== LOCKS) return result;
    if (op === 'hsetnx') log.push(`${result ? 'lock' : 'refused'} ${String(args[1]).replace(/^0_/, '')}`);
    if (op === 'hdel' && (result as number) > 0) for (const f of args[1] as string[]) log.push(`unlock ${f.replace(/^0_/, '')}`);
    return result;
  });
}
