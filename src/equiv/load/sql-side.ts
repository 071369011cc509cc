// The SQL side of a scenario: the service's SQL module on the reference (sql.js). Seed rows go in
// through the reference's own session (defaults applied as at an INSERT of the ORM); tables are
// dumped with SELECT, every row, deleted ones included.
import type { ColumnKind, EntityView, Plain, TableDump } from '../outcome.js';
import { encodeColumn } from '../outcome.js';
import { openReference } from '../sql/reference.js';
import { isModelClass, mapperOf, type Mapper } from '../sql/runtime/mapper.js';
import { currentEngine, Session } from '../sql/runtime/orm.js';
import type { ModelClass } from '../sql/runtime/schema.js';
import { SeedError, tablesOf, unknownTable, type Side } from './side.js';
import { quoteName, type SqlEngine } from '../sql/engine.js';

export class SqlSide implements Side {
  private tables = new Map<string, Function>();
  private engine: SqlEngine | undefined;

  constructor(
    private readonly reverseUnordered: boolean,
    private readonly collation: 'ci' | 'binary' = 'ci',
  ) {}

  async open(modelsPath: string, models: Record<string, unknown>): Promise<void> {
    // the last run's database goes (sql.js keeps each one as a file of its virtual file system)
    this.engine?.close();
    const engine = (this.engine = await openReference(modelsPath, models, { collation: this.collation }));
    // EQUIV.md §3: a result that changes when SQLite reverses unordered scans depends on an order
    // SQL does not promise
    if (this.reverseUnordered) engine.run('PRAGMA reverse_unordered_selects = ON');
    this.tables = tablesOf(models);
  }

  async seed(seed: Record<string, Array<Record<string, unknown>>>): Promise<void> {
    for (const [table, rows] of Object.entries(seed)) {
      const model = this.tables.get(table);
      if (!model) throw unknownTable(table, this.tables);
      for (const [i, row] of rows.entries()) {
        const session = new Session();
        try {
          const obj = new (model as new () => Record<string, unknown>)();
          Object.assign(obj, row);
          await session.begin(() => session.add(obj));
        } catch (e) {
          throw new SeedError(table, i, e);
        }
      }
    }
  }

  entity(obj: object): EntityView | undefined {
    const model = obj.constructor;
    if (!isModelClass(model)) return undefined;
    const mapper = mapperOf(model as ModelClass);
    const values: Record<string, unknown> = {};
    for (const key of mapper.columns.keys()) values[key] = (obj as Record<string, unknown>)[key];
    return { table: mapper.table, values, kinds: kindsOf(mapper) };
  }

  async dump(): Promise<Record<string, TableDump>> {
    const out: Record<string, TableDump> = {};
    for (const [table, model] of [...this.tables].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const mapper = mapperOf(model as ModelClass);
      const kinds = kindsOf(mapper);
      const order = mapper.primaryKey.map((k) => quoteName(mapper.columns.get(k)!.name)).join(', ');
      const rows = currentEngine().all(`SELECT * FROM ${quoteName(table)} ORDER BY ${order}`);
      out[table] = {
        columns: columnsOf(mapper, kinds),
        ...(mapper.primaryKey.length === 1 ? { primaryKey: mapper.primaryKey[0] } : {}),
        rows: rows.map((row) => {
          const values: Record<string, Plain> = {};
          for (const [key, attr] of mapper.columns) values[key] = encodeColumn(row[attr.name], kinds[key]);
          return values;
        }),
      };
    }
    return out;
  }

  locks(): string[] {
    return [];
  }
}

function kindsOf(mapper: Mapper): Record<string, ColumnKind> {
  const kinds: Record<string, ColumnKind> = {};
  for (const [key, attr] of mapper.columns) {
    const kind = attr.column.type.kind;
    kinds[key] = kind === 'boolean' || kind === 'datetime' ? kind : 'other';
  }
  return kinds;
}

function columnsOf(mapper: Mapper, kinds: Record<string, ColumnKind>): TableDump['columns'] {
  const out: TableDump['columns'] = {};
  for (const [key, attr] of mapper.columns) {
    const references = attr.column.foreignKeys.map((fk) => fk.reference()).find(Boolean);
    out[key] = { kind: kinds[key], ...(references ? { references } : {}) };
  }
  return out;
}
