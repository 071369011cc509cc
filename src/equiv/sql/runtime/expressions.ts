// SQL expressions of the reference's sqlalchemy: what `M.col.eq(v)`, `or_(...)`, `M.col.desc()`
// build, compiled to parameterised SQLite text. Comparisons with null become IS / IS NOT NULL as
// SQLAlchemy compiles them; values are bound, never spliced.
import { quoteName, type Value } from '../engine.js';
import { raiseOnUnknownMembers, UnsupportedInReference, type ColumnDef, type ModelClass } from './schema.js';

export interface Compiled {
  text: string;
  params: Value[];
}

/** Anything that compiles to SQL text (with its bound values appended to `params`). */
export interface Clause {
  compile(params: Value[]): string;
}

/** A value as SQLite stores it: booleans as 0/1, datetimes as ISO-8601 text (they sort as dates). */
export function toSql(value: unknown): Value {
  if (value === undefined || value === null) return null;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'number' || typeof value === 'string' || value instanceof Uint8Array) return value;
  if (typeof value === 'bigint') return Number(value);
  throw new UnsupportedInReference(`a value of type ${value?.constructor?.name ?? typeof value} in a query`);
}

class Bound implements Clause {
  constructor(readonly value: unknown) {}
  compile(params: Value[]): string {
    params.push(toSql(this.value));
    return '?';
  }
}

/** A clause given where SQL expects one, or a plain value (bound). */
export function clauseOf(value: unknown): Clause {
  return isClause(value) ? value : new Bound(value);
}

export function isClause(value: unknown): value is Clause {
  return value !== null && typeof value === 'object' && 'compile' in value && typeof (value as Clause).compile === 'function';
}

export class Raw implements Clause {
  constructor(
    private readonly sql: string,
    private readonly parts: Clause[] = [],
  ) {}
  compile(params: Value[]): string {
    // `$1`, `$2`, ... are the parts in order (compiled left to right, so the params line up)
    let i = 0;
    return this.sql.replace(/\$\d+/g, () => this.parts[i++].compile(params));
  }
}

/** `a AND b`, `a OR b`; nothing to join is TRUE (AND) or FALSE (OR), as SQLAlchemy answers. */
class BooleanList implements Clause {
  constructor(
    readonly op: 'AND' | 'OR',
    readonly clauses: Clause[],
  ) {}
  compile(params: Value[]): string {
    if (this.clauses.length === 0) return this.op === 'AND' ? '1' : '0';
    return `(${this.clauses.map((c) => c.compile(params)).join(` ${this.op} `)})`;
  }
}

export function and_(...clauses: unknown[]): Clause {
  return new BooleanList('AND', clauses.map(clauseOf));
}

export function or_(...clauses: unknown[]): Clause {
  return new BooleanList('OR', clauses.map(clauseOf));
}

export function not_(clause: unknown): Clause {
  return new Raw('(NOT $1)', [clauseOf(clause)]);
}

/** `ORDER BY` terms. */
export class Ordering implements Clause {
  constructor(
    readonly on: Clause,
    readonly direction: 'ASC' | 'DESC',
  ) {}
  compile(params: Value[]): string {
    return `${this.on.compile(params)} ${this.direction}`;
  }
}

/**
 * What comparisons start from: a column, a function call, a label. Each method builds a clause,
 * as SQLAlchemy's ColumnOperators do.
 */
export abstract class Operand implements Clause {
  abstract compile(params: Value[]): string;

  private binary(op: string, other: unknown): Clause {
    return new Raw(`($1 ${op} $2)`, [this, clauseOf(other)]);
  }

  eq(other: unknown): Clause {
    return other === null || other === undefined ? new Raw('($1 IS NULL)', [this]) : this.binary('=', other);
  }
  ne(other: unknown): Clause {
    return other === null || other === undefined ? new Raw('($1 IS NOT NULL)', [this]) : this.binary('!=', other);
  }
  lt(other: unknown): Clause {
    return this.binary('<', other);
  }
  le(other: unknown): Clause {
    return this.binary('<=', other);
  }
  gt(other: unknown): Clause {
    return this.binary('>', other);
  }
  ge(other: unknown): Clause {
    return this.binary('>=', other);
  }
  is(other: null | boolean): Clause {
    return other === null ? new Raw('($1 IS NULL)', [this]) : this.binary('IS', other);
  }
  isnot(other: null | boolean): Clause {
    return other === null ? new Raw('($1 IS NOT NULL)', [this]) : this.binary('IS NOT', other);
  }
  in_(values: unknown): Clause {
    return this.membership('IN', values);
  }
  notin_(values: unknown): Clause {
    return this.membership('NOT IN', values);
  }
  like(pattern: string): Clause {
    // MySQL's LIKE follows the column's collation: case-insensitive by default, as SQLite's LIKE
    return this.binary('LIKE', pattern);
  }
  ilike(pattern: string): Clause {
    return new Raw('(lower($1) LIKE lower($2))', [this, clauseOf(pattern)]);
  }
  /** `col.op('LIKE')(value)`: a binary operator given as SQL text; only operators, never other SQL. */
  op(operator: string): (other: unknown) => Clause {
    if (!/^(?:[<>=!%&|^~+*/-]{1,3}|(?:NOT\s+)?(?:I?LIKE|REGEXP|GLOB|IS(?:\s+NOT)?))$/i.test(operator.trim())) {
      throw new UnsupportedInReference(`the operator ${JSON.stringify(operator)} in .op()`);
    }
    return (other) => this.binary(operator.trim().toUpperCase(), other);
  }
  asc(): Ordering {
    return new Ordering(this, 'ASC');
  }
  desc(): Ordering {
    return new Ordering(this, 'DESC');
  }
  label(name: string): Label {
    return new Label(this, name);
  }

  private membership(op: 'IN' | 'NOT IN', values: unknown): Clause {
    if (isClause(values)) return new Raw(`($1 ${op} ($2))`, [this, values]);
    const list = [...(values as Iterable<unknown>)];
    // SQLAlchemy compiles an empty IN to a false test (and NOT IN to a true one)
    if (list.length === 0) return new Raw(op === 'IN' ? '(1 != 1)' : '(1 = 1)');
    return new Raw(`($1 ${op} (${list.map((_, i) => `$${i + 2}`).join(', ')}))`, [this, ...list.map(clauseOf)]);
  }
}

/** `expr.label('name')`: the expression, selected under a name (a subquery's `.c.name`). */
export class Label extends Operand {
  constructor(
    readonly inner: Clause,
    readonly name: string,
  ) {
    super();
  }
  compile(params: Value[]): string {
    return this.inner.compile(params);
  }
}

/** A column of a model class: the expression every comparison starts from (`models.Service.host`). */
export class ColumnAttribute extends Operand {
  constructor(
    readonly class_: ModelClass,
    readonly key: string,
    readonly column: ColumnDef,
    readonly table: string,
  ) {
    super();
  }

  /** The stored column's name. */
  get name(): string {
    return this.column.dbName ?? this.key;
  }

  get default(): unknown {
    return this.column.options.default;
  }

  /** SQLAlchemy's `Model.attr.property`: a column's is a ColumnProperty (not a relationship). */
  get property(): { key: string; columns: ColumnAttribute[] } {
    return { key: this.key, columns: [this] };
  }

  compile(): string {
    return `${quoteName(this.table)}.${quoteName(this.name)}`;
  }
}

// `Model.col.between(...)`, `.contains(...)`: what the reference lacks raises unsupported, not a TypeError
raiseOnUnknownMembers(Operand, 'ColumnElement');

/** Compiles a clause on its own (tests, and the WHERE of a statement). */
export function compile(clause: Clause): Compiled {
  const params: Value[] = [];
  return { text: clause.compile(params), params };
}
