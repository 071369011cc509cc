// SQL functions and literals of the reference's sqlalchemy: `func.count(M.id)`, `func.sum(...)`,
// `literal_column('updated_at')`, `text('...')`, `null()`, `true()`, `false()`. Each compiles to
// SQLite text; the source's own SQL text is kept as written (it is the service's SQL, not input).
import type { Value } from '../engine.js';
import { clauseOf, Operand, type Clause } from './expressions.js';
import { UnsupportedInReference } from './schema.js';

/** `func.name(args...)`: a call of the SQL function of that name. */
export class FunctionCall extends Operand {
  constructor(
    readonly name: string,
    readonly args: Clause[],
  ) {
    super();
  }
  compile(params: Value[]): string {
    // func.count() with no argument counts rows, as SQLAlchemy's count(*)
    if (this.args.length === 0 && this.name.toLowerCase() === 'count') return 'count(*)';
    return `${this.name}(${this.args.map((a) => a.compile(params)).join(', ')})`;
  }
}

/** `func.<name>`: any identifier names a function (SQLAlchemy passes unknown names through). */
export const func: Record<string, (...args: unknown[]) => FunctionCall> = new Proxy(
  {},
  {
    get: (_target, name) => {
      if (typeof name !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) return undefined;
      return (...args: unknown[]) => new FunctionCall(name, args.map(clauseOf));
    },
  },
);

/** SQL text standing for an expression, as written (`literal_column('updated_at')`). */
export class LiteralColumn extends Operand {
  constructor(readonly text: string) {
    super();
  }
  compile(): string {
    return this.text;
  }
}

export function literal_column(text: string): LiteralColumn {
  return new LiteralColumn(text);
}

/** `text('...')`: a SQL fragment (a filter) or statement (`session.execute`), with `:name` parameters. */
export class TextClause extends Operand {
  constructor(readonly text: string) {
    super();
  }
  /** As a filter: the text itself; a `:name` parameter there needs bindparams, which the reference lacks. */
  compile(): string {
    if (/(^|[^:\w]):[A-Za-z_]\w*/.test(this.text)) throw new UnsupportedInReference('text() with :parameters inside a query (bindparams)');
    return `(${this.text})`;
  }
}

export function text(sql: string): TextClause {
  return new TextClause(sql);
}

/** `sql.null()`, `true()`, `false()`: SQLite has no boolean type; SQLAlchemy renders 1 / 0 there. */
export const null_ = (): LiteralColumn => new LiteralColumn('NULL');
export const true_ = (): LiteralColumn => new LiteralColumn('1');
export const false_ = (): LiteralColumn => new LiteralColumn('0');

export function asc(column: unknown): Clause {
  return (column as Operand).asc();
}

export function desc(column: unknown): Clause {
  return (column as Operand).desc();
}

export function select(..._args: unknown[]): never {
  throw new UnsupportedInReference('select() is unsupported in the reference');
}
