// ROME's Query (lib/rome/core/orm/query.py) and the row building of lib/rome/core/rows/rows.py
// and tuples.py (sql_panda_building_tuples).
import { desimplify, pyCompare } from './codec.js';
import { getAll, type StoredRow } from './driver.js';
import { saveEntity, type Entity } from './entity.js';
import { MultipleResultsFound, NoResultFound, UnsupportedInRomeMemory } from './errors.js';
import { evaluate, idHints, isCriterion, isOrdering, type Criterion, type Ordering } from './expression.js';
import { joinCriteria } from './join.js';
import { entityOf, loadRow } from './loaded-row.js';
import { ColumnAttribute, RelationshipAttribute, classNameOf, findClass, mappingOf, type EntityClass } from './mapping.js';
import type { RomeSession } from './session.js';

/** query.py / terms.py Selection: an entity (`*`) or one of its columns; hidden ones only join. */
interface Selection {
  readonly cls: EntityClass;
  readonly attribute: '*' | string;
  readonly hidden: boolean;
}

interface QueryState {
  selections: Selection[];
  criteria: Criterion[];
  orders: Ordering[];
  session: RomeSession | null;
}

export class RomeQuery<T = any> implements AsyncIterable<T> {
  private state: QueryState;

  constructor(...targets: unknown[]) {
    this.state = { selections: targets.map(selectionOf), criteria: [], orders: [], session: null };
  }

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    yield* await this.all();
  }

  // -- chain: each answers a new query (query.py:247-373) -----------------------------------

  /** query.py:247-260. A bare column would become a selection (query.py:63-72); anything else that is not a criterion is dropped (query.py:98). */
  filter(...criteria: unknown[]): RomeQuery<T> {
    const next = this.copy();
    for (const c of criteria) {
      if (c instanceof ColumnAttribute) throw new UnsupportedInRomeMemory('a bare column in filter() (ROME makes it a selection, query.py:63-72)');
      if (!isCriterion(c)) continue;
      next.state.criteria.push(c);
      if (c.kind === 'join') addHiddenSelections(next.state, c);
    }
    return next;
  }

  /** query.py:227-241: each key becomes `column == value` on the first selected class that has it; a key no class has is silently dropped. */
  filter_by(values: Record<string, unknown>): RomeQuery<T> {
    const criteria: Criterion[] = [];
    for (const [key, value] of Object.entries(values)) {
      for (const { cls } of this.state.selections) {
        const column = mappingOf(cls).columns.get(key);
        if (column) {
          criteria.push(column.eq(value));
          break;
        }
        if (mappingOf(cls).relationships.some((r) => r.key === key)) throw new UnsupportedInRomeMemory(`filter_by on the relationship ${key}`);
      }
    }
    return this.filter(...criteria);
  }

  filterBy(values: Record<string, unknown>): RomeQuery<T> {
    return this.filter_by(values);
  }

  /** query.py:362-373 and 76-82: asc()/desc() orderings are kept; a bare column would become a selection. */
  order_by(...clauses: unknown[]): RomeQuery<T> {
    const next = this.copy();
    for (const c of clauses) {
      if (c instanceof ColumnAttribute) throw new UnsupportedInRomeMemory('a bare column in order_by() (ROME makes it a selection, query.py:63-72); use asc() or desc()');
      if (isOrdering(c)) next.state.orders.push(c);
    }
    return next;
  }

  orderBy(...clauses: unknown[]): RomeQuery<T> {
    return this.order_by(...clauses);
  }

  /** query.py:262-344: adds the entity and the joining criteria of a relationship between it and a selected class; an onclause is one more criterion. */
  join(...args: unknown[]): RomeQuery<any> {
    const next = this.copy();
    for (const arg of args) {
      if (typeof arg === 'function') {
        const cls = arg as EntityClass;
        next.state.selections.push({ cls, attribute: '*', hidden: false });
        next.state.criteria.push(...joinCriteria(cls, next.state.selections.map((s) => s.cls)));
      } else if (isCriterion(arg)) {
        next.state.criteria.push(arg);
      } else if (typeof arg === 'string' && next.state.selections.length > 0) {
        const relation = mappingOf(next.state.selections[0].cls).relationships.find((r) => r.key === arg);
        if (!relation) throw new TypeError(`${classNameOf(next.state.selections[0].cls)} has no relationship ${arg}`);
        const target = typeof relation.target === 'string' ? findClass(relation.target) : relation.target;
        if (!target) throw new UnsupportedInRomeMemory(`the class ${String(relation.target)} is not mapped yet`);
        return this.join(target);
      } else {
        throw new UnsupportedInRomeMemory('join() on something other than an entity class, a relationship name or a criterion');
      }
    }
    return next;
  }

  /** query.py:346-347: an inner join. */
  outerjoin(...args: unknown[]): RomeQuery<any> {
    return this.join(...args);
  }

  /** query.py:349-360: loader options are dropped. */
  options(..._options: unknown[]): RomeQuery<T> {
    return this.copy();
  }

  /** query.py:178-179: the query unchanged (there is no offset at all). */
  limit(_limit: number): RomeQuery<T> {
    return this;
  }

  /** query.py:375-376: no row lock. */
  with_lockmode(_mode: string): RomeQuery<T> {
    return this;
  }

  // -- terminals -------------------------------------------------------------------------------

  /** query.py:101-108 and rows.py:157-283. */
  async all(): Promise<T[]> {
    return (await buildRows(this.state)) as T[];
  }

  /** query.py:110-115: None when there is no row. */
  async first(): Promise<T | null> {
    const rows = await this.all();
    return rows.length > 0 ? rows[0] : null;
  }

  /** query.py:117-126. */
  async one_or_none(): Promise<T | null> {
    const rows = await this.all();
    if (rows.length > 1) throw new MultipleResultsFound('Multiple rows were found for one_or_none()');
    return rows.length === 1 ? rows[0] : null;
  }

  oneOrNone(): Promise<T | null> {
    return this.one_or_none();
  }

  /** query.py:128-135: raises as SQL's does, but answers None even when there is exactly one row. */
  async one(): Promise<null> {
    let row: T | null;
    try {
      row = await this.one_or_none();
    } catch (e) {
      if (e instanceof MultipleResultsFound) throw new MultipleResultsFound('Multiple results were found for one()');
      throw e;
    }
    if (row === null) throw new NoResultFound('No row was found for one()');
    return null;
  }

  /** query.py:137-138. */
  async exists(): Promise<boolean> {
    return (await this.first()) !== null;
  }

  /** query.py:140-141: loads every row. */
  async count(): Promise<number> {
    return (await this.all()).length;
  }

  /** query.py:175-176: `list(set(rows))`: a list; loaded rows are distinct objects (nothing merges), values dedupe. ROME's order is the set's; here, first seen. */
  async distinct(): Promise<T[]> {
    const seen = new Set<unknown>();
    return (await this.all()).filter((row) => {
      const key = row instanceof Date ? `date:${row.getTime()}` : row;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
  }

  /**
   * query.py:159-173: each row's entity is updated; on a session query it is only queued
   * (session.update: written at the next flush), otherwise saved at once. A row that fails is
   * skipped (ROME prints the traceback). Answers how many rows were updated.
   */
  async update(values: Record<string, unknown>, _flags?: unknown): Promise<number> {
    let count = 0;
    for (const row of await this.all()) {
      try {
        entityOf(row as object as Entity).update(values);
        if (this.state.session) this.state.session.update(row as object);
        else await saveEntity(entityOf(row as object as Entity));
        count++;
      } catch {
        // query.py:170-172: printed and ignored
      }
    }
    return count;
  }

  /** query.py:143-149: each row soft-deleted and saved at once (no session), errors ignored; answers the query. */
  async soft_delete(_flags?: unknown): Promise<RomeQuery<T>> {
    for (const row of await this.all()) await entityOf(row as object as Entity).soft_delete().catch(() => undefined);
    return this;
  }

  async softDelete(flags?: unknown): Promise<RomeQuery<T>> {
    return this.soft_delete(flags);
  }

  /** query.py:151-157: each row hard-deleted at once, errors ignored; answers the query. */
  async delete(_flags?: unknown): Promise<RomeQuery<T>> {
    for (const row of await this.all()) await entityOf(row as object as Entity).delete().catch(() => undefined);
    return this;
  }

  private copy(): RomeQuery<T> {
    const next = new RomeQuery<T>();
    const { selections, criteria, orders, session } = this.state;
    next.state = { selections: [...selections], criteria: [...criteria], orders: [...orders], session };
    return next;
  }

  /** @internal A query made by a session (query.py:30-47, the `session` keyword). */
  static ofSession(session: RomeSession, targets: unknown[]): RomeQuery {
    const query = new RomeQuery(...targets);
    query.state.session = session;
    return query;
  }
}

/** query.py:58-75: an entity class, or a column of one. */
function selectionOf(target: unknown): Selection {
  if (target instanceof ColumnAttribute) {
    const cls = target.class_;
    if (!cls) throw new UnsupportedInRomeMemory('a column of an unmapped class');
    // query.py:59: a target whose text holds "count" or "sum" is taken for an aggregate function
    const text = `${classNameOf(cls)}.${target.key}`;
    if (/count|sum/.test(text)) throw new UnsupportedInRomeMemory(`query(${text}): ROME takes a column named like count/sum for an aggregate (query.py:59-62)`);
    mappingOf(cls);
    return { cls, attribute: target.key, hidden: false };
  }
  if (typeof target === 'function' && (target as EntityClass).__tablename__) {
    mappingOf(target as EntityClass);
    return { cls: target as EntityClass, attribute: '*', hidden: false };
  }
  if (target instanceof RelationshipAttribute) throw new UnsupportedInRomeMemory('a query on a relationship');
  throw new UnsupportedInRomeMemory(`query(${String(target)}): only entity classes and their columns are modelled (no func.*, no labels)`);
}

/** query.py:192-225: a column-to-column criterion on a table not selected adds it, hidden. */
function addHiddenSelections(state: QueryState, criterion: Extract<Criterion, { kind: 'join' }>): void {
  for (const column of [criterion.left, criterion.right]) {
    const cls = column.class_;
    if (cls && !state.selections.some((s) => s.cls.__tablename__ === column.table)) state.selections.push({ cls, attribute: 'id', hidden: true });
  }
}

/**
 * rows.py:157-283 with tuples.py:196-430. Per selected table (first selection of each class):
 * load its rows (only the hinted ids if a criterion hints any), sort them by the query's
 * orderings on that table, then keep the combinations every criterion accepts. One shown
 * selection gives bare rows (an entity or a value), several give arrays.
 */
async function buildRows(state: QueryState): Promise<unknown[]> {
  const classes = [...new Map(state.selections.map((s) => [s.cls, s])).keys()];
  const tables = classes.map((cls) => mappingOf(cls).table);
  const loadedTables: StoredRow[][] = [];
  for (const table of tables) {
    const hints = state.criteria.flatMap((c) => idHints(c, table));
    loadedTables.push(sortRows(await getAll(table, hints), state.orders, table));
  }
  // tuples.py:335-336: several tables, one of them empty: no rows
  if (loadedTables.some((rows) => rows.length === 0)) return [];
  if (tables.length > 1 && !joinsEveryTable(state.criteria, tables)) {
    throw new UnsupportedInRomeMemory('a query over several tables without a join condition between them (ROME keeps the first table only, tuples.py:369-373)');
  }
  const entities = new Map<string, Entity>();
  const entityFor = (cls: EntityClass, row: StoredRow): Entity => {
    const key = `${mappingOf(cls).table}:${String(row.id)}`;
    let entity = entities.get(key);
    if (!entity) entities.set(key, (entity = loadRow(cls, row)));
    return entity;
  };
  const shown = state.selections.filter((s) => !s.hidden);
  const result: unknown[] = [];
  for (const combination of product(loadedTables)) {
    const byTable = new Map(tables.map((t, i) => [t, combination[i]]));
    if (!state.criteria.every((c) => evaluate(c, byTable))) continue;
    const values = shown.map((s) => {
      const row = byTable.get(mappingOf(s.cls).table) as StoredRow;
      return s.attribute === '*' ? entityFor(s.cls, row) : desimplify(row[s.attribute] ?? null);
    });
    result.push(shown.length === 1 ? values[0] : values);
  }
  return result;
}

/**
 * tuples.py:257-299: the orderings on `table`'s columns sort its rows by all those columns, in
 * ONE direction, the first's — and `reverse=(direction == "ASC")` (line 296-298): asc() sorts
 * descending, desc() ascending. Python's sort is stable, as JavaScript's.
 */
function sortRows(rows: StoredRow[], orders: readonly Ordering[], table: string): StoredRow[] {
  const mine = orders.filter((o) => o.column.table === table);
  if (mine.length === 0) return rows;
  const reverse = mine[0].direction === 'ASC';
  const byKey = (a: StoredRow, b: StoredRow) => {
    for (const { column } of mine) {
      const c = pyCompare(a[column.key] ?? null, b[column.key] ?? null);
      if (c !== 0) return c;
    }
    return 0;
  };
  return [...rows].sort((a, b) => (reverse ? byKey(b, a) : byKey(a, b)));
}

function joinsEveryTable(criteria: readonly Criterion[], tables: readonly string[]): boolean {
  const linked = new Set([tables[0]]);
  const pairs = criteria.filter((c): c is Extract<Criterion, { kind: 'join' }> => c.kind === 'join');
  for (let grew = true; grew; ) {
    grew = false;
    for (const { left, right } of pairs) {
      if (linked.has(left.table) !== linked.has(right.table)) {
        linked.add(left.table).add(right.table);
        grew = true;
      }
    }
  }
  return tables.every((t) => linked.has(t));
}

function* product(lists: readonly StoredRow[][], prefix: StoredRow[] = []): Generator<StoredRow[]> {
  if (prefix.length === lists.length) {
    yield prefix;
    return;
  }
  for (const row of lists[prefix.length]) yield* product(lists, [...prefix, row]);
}
