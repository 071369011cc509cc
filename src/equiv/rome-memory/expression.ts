// Filter criteria and orderings, and how ROME evaluates them on stored rows.
//
// ROME compiles each SQLAlchemy criterion to text and evaluates it with pandas
// (lib/rome/core/expression/expression.py, prepare_criterion; lib/rome/core/rows/tuples.py,
// sql_panda_building_tuples). What of that is modelled here, each with its line:
// - NULL is 0: the frame is `fillna(value=0)` before the query (tuples.py:412), and `IS NULL` /
//   `IS NOT NULL` are rewritten `== 0` / `!= 0` (tuples.py:380-381). So `col.eq(null)` and
//   `col.is(null)` match null and 0, `col.ne(v)` matches null rows, `col.isnot(null)` drops 0.
//   `col == False` is SQLAlchemy 1.0's `col = 0` (a constant, compiled by the default dialect,
//   which has no native boolean), so `eq(false)` also matches null.
// - LIKE drops every `%` of the pattern (expression.py:187-189) and tests containment both ways,
//   `(left in right) or (right in left)` (expression.py:261-264), case-sensitively.
// - datetimes compare at second precision, and a stored one only in a column named `*_at`
//   (tuples.py:385-403 converts those columns; expression.py:202-203 the criterion's value).
// - a value compared with an `Integer` or `Float` column goes through int() / float()
//   (expression.py:198-201): `eq('5')` matches 5, `eq(5.7)` matches 5 on an Integer column.
// - a comparison of `id` with a value is also a *hint* that narrows which rows are loaded at all
//   (query.py:185-190, expression.py:90-110, rows.py:207-209, driver.py:184-188): see idHints.
import { desimplify, pyEquals } from './codec.js';
import type { ColumnAttribute } from './mapping.js';

export type CompareOp = 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge';

export type Criterion =
  | { kind: 'compare'; op: CompareOp; column: ColumnAttribute; value: unknown }
  | { kind: 'join'; left: ColumnAttribute; right: ColumnAttribute }
  | { kind: 'in'; column: ColumnAttribute; values: readonly unknown[]; negate: boolean }
  | { kind: 'like'; column: ColumnAttribute; pattern: string }
  | { kind: 'and' | 'or'; items: Criterion[] }
  | { kind: 'not'; item: Criterion };

export interface Ordering {
  kind: 'order';
  column: ColumnAttribute;
  direction: 'ASC' | 'DESC';
}

const EXPRESSION = Symbol('rome-memory expression');

/** Marks a node as an expression the runtime built (so that any other argument can be told apart). */
export function expression<T extends Criterion | Ordering>(node: T): T {
  return Object.assign(node, { [EXPRESSION]: true });
}

export function isCriterion(value: unknown): value is Criterion {
  const kind = kindOf(value);
  return kind !== undefined && kind !== 'order';
}

export function isOrdering(value: unknown): value is Ordering {
  return kindOf(value) === 'order';
}

function kindOf(value: unknown): string | undefined {
  return typeof value === 'object' && value !== null && EXPRESSION in value ? (value as unknown as { kind: string }).kind : undefined;
}

/** ROME's `and_`/`or_` (lib/rome/core/terms/terms.py:17-22); arguments that are not criteria are dropped, as query.py:98 drops them. */
export function and_(...clauses: unknown[]): Criterion {
  return expression({ kind: 'and', items: clauses.filter(isCriterion) });
}

export function or_(...clauses: unknown[]): Criterion {
  return expression({ kind: 'or', items: clauses.filter(isCriterion) });
}

export function not_(clause: unknown): Criterion {
  if (!isCriterion(clause)) throw new TypeError('not_() takes a criterion');
  return expression({ kind: 'not', item: clause });
}

/** The row (stored JSON) of each table the criterion may read, by table name. */
export type RowsByTable = ReadonlyMap<string, Record<string, unknown>>;

export function evaluate(criterion: Criterion, rows: RowsByTable): boolean {
  switch (criterion.kind) {
    case 'and':
      return criterion.items.every((c) => evaluate(c, rows));
    case 'or':
      return criterion.items.some((c) => evaluate(c, rows));
    case 'not':
      return !evaluate(criterion.item, rows);
    case 'join':
      return compare('eq', read(criterion.left, rows), read(criterion.right, rows));
    case 'compare':
      return compare(criterion.op, read(criterion.column, rows), literal(coerce(criterion.column, criterion.value)));
    case 'in': {
      const value = read(criterion.column, rows);
      const found = criterion.values.some((v) => compare('eq', value, literal(v)));
      return criterion.negate ? !found : found;
    }
    case 'like': {
      const value = read(criterion.column, rows);
      const pattern = criterion.pattern.replaceAll('%', '');
      return typeof value === 'string' && (value.includes(pattern) || pattern.includes(value));
    }
  }
}

/** The ids a criterion hints for `table`: any comparison of `<table>.id` with a value, whatever its operator. */
export function idHints(criterion: Criterion, table: string): unknown[] {
  switch (criterion.kind) {
    case 'and':
    case 'or':
      return criterion.items.flatMap((c) => idHints(c, table));
    case 'not':
      return idHints(criterion.item, table);
    case 'compare':
      return criterion.column.key === 'id' && criterion.column.table === table && criterion.value != null ? [coerce(criterion.column, criterion.value)] : [];
    case 'like':
      // the pattern keeps its % here; int('%5%') fails and extract_hint swallows it (expression.py:107-109)
      return criterion.column.key === 'id' && criterion.column.table === table && /^-?\d+$/.test(criterion.pattern) ? [Number(criterion.pattern)] : [];
    default:
      return [];
  }
}

/** The tables a criterion reads. */
export function tablesOf(criterion: Criterion): string[] {
  switch (criterion.kind) {
    case 'and':
    case 'or':
      return criterion.items.flatMap(tablesOf);
    case 'not':
      return tablesOf(criterion.item);
    case 'join':
      return [criterion.left.table, criterion.right.table];
    default:
      return [criterion.column.table];
  }
}

// expression.py:198-201 (criteria) and 102-105 (hints): the exact type names Integer and Float.
// Booleans and None are SQL constants there, not bound values, and stay as they are.
// A value int() or float() rejects raises, as ROME's does (ValueError), when the query runs.
function coerce(column: ColumnAttribute, value: unknown): unknown {
  if (value === null || typeof value === 'boolean') return value;
  const typeName = column.type.typeName;
  if (typeName !== 'Integer' && typeName !== 'Float') return value;
  const number = typeof value === 'string' && typeName === 'Integer' && !/^\s*[-+]?\d+\s*$/.test(value) ? NaN : Number(value);
  if (Number.isNaN(number)) throw new TypeError(`ValueError: ${typeName === 'Integer' ? 'int' : 'float'}() of ${JSON.stringify(value)} (expression.py:198-201)`);
  return typeName === 'Integer' ? Math.trunc(number) : number;
}

function read(column: ColumnAttribute, rows: RowsByTable): unknown {
  const row = rows.get(column.table);
  if (!row) throw new Error(`ROME: a criterion reads ${column.table}.${column.key}, a table this query does not load (pandas raises: lib/rome/core/rows/tuples.py:413)`);
  const value = row[column.key];
  return column.key.endsWith('_at') ? literal(value) : value == null ? 0 : value;
}

// NULL is 0 (tuples.py:412, 380-381); a datetime is its whole seconds.
function literal(value: unknown): unknown {
  if (value === null || value === undefined) return 0;
  const v = desimplify(value);
  return v instanceof Date ? Math.floor(v.getTime() / 1000) : v;
}

function compare(op: CompareOp, a: unknown, b: unknown): boolean {
  if (op === 'eq') return pyEquals(a, b);
  if (op === 'ne') return !pyEquals(a, b);
  const x = typeof a === 'boolean' ? Number(a) : a;
  const y = typeof b === 'boolean' ? Number(b) : b;
  if (typeof x !== typeof y || (typeof x !== 'number' && typeof x !== 'string')) return false;
  const xs = x as number | string;
  const ys = y as number | string;
  return op === 'lt' ? xs < ys : op === 'le' ? xs <= ys : op === 'gt' ? xs > ys : xs >= ys;
}
