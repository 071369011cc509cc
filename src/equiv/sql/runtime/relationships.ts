// Relationship attributes of mapped classes, as SQLAlchemy's mapper configures them: each
// `relationship(...)` (and the `backref` it names on the other class) becomes a class attribute
// with `any()` / `has()` (EXISTS over the related rows) and `property`, and an instance reads the
// related rows lazily on first access from the session that loaded it. The join condition is
// the `primaryjoin` string when given (its `and_(A.x == B.y, B.deleted == 0)` form, parsed
// here), else the foreign key between the two tables.
import { quoteName, type Value } from '../engine.js';
import { and_, clauseOf, ColumnAttribute, isClause, or_, Raw, type Clause } from './expressions.js';
import type { Mapper } from './mapper.js';
import { raiseOnUnknownMembers, UnsupportedInReference, type ModelClass, type RelationshipDef } from './schema.js';

/** What the mapper module lends: the mapper of a class, and a class by its declared name. */
export interface Registry {
  mapperOf(model: ModelClass): Mapper;
  byName(name: string): ModelClass | undefined;
}

/** SQLAlchemy's RelationshipProperty (`Model.rel.property`): cinder tests `instanceof` on it. */
export class RelationshipProperty {
  constructor(private readonly attr: RelationshipAttribute) {}
  get key(): string {
    return this.attr.key;
  }
  get mapper(): Mapper {
    return this.attr.target;
  }
  get uselist(): boolean {
    return this.attr.uselist;
  }
}

export class RelationshipAttribute {
  constructor(
    readonly registry: Registry,
    readonly owner: ModelClass,
    readonly key: string,
    /** The relationship as declared (on the other class, for a backref). */
    readonly def: RelationshipDef,
    /** Set for a backref: the declared side, whose target this owner is. */
    readonly declaredOn?: ModelClass,
    private readonly backrefOptions: Record<string, unknown> = {},
  ) {}

  get source(): Mapper {
    return this.registry.mapperOf(this.owner);
  }

  /** The related class's mapper (a class, its name, or a function answering it). */
  get target(): Mapper {
    if (this.declaredOn) return this.registry.mapperOf(this.declaredOn);
    return this.registry.mapperOf(resolveClass(this.registry, this.def.target));
  }

  get property(): RelationshipProperty {
    return new RelationshipProperty(this);
  }

  /** A collection when the target holds the foreign key to the owner (one-to-many), unless told. */
  get uselist(): boolean {
    const told = (this.declaredOn ? this.backrefOptions : this.def.options).uselist;
    if (typeof told === 'boolean') return told;
    const source = this.source;
    const target = this.target;
    return referencesTable(target, source.table) && !referencesTable(source, target.table);
  }

  /** The condition joining an owner row to its related rows. */
  condition(): Clause {
    if (this.def.options.secondary !== undefined) throw new UnsupportedInReference(`the many-to-many relationship ${this.owner.name}.${this.key} (secondary)`);
    const source = this.source;
    const target = this.target;
    if (source.table === target.table) throw new UnsupportedInReference(`the self-referential relationship ${this.owner.name}.${this.key}`);
    const join = this.def.options.primaryjoin;
    if (typeof join === 'string') return parseJoin(this.registry, join);
    if (typeof join === 'function') return clauseOf((join as () => unknown)());
    if (join !== undefined) return clauseOf(join);
    return foreignKeyJoin(source, target) ?? foreignKeyJoin(target, source) ?? fail(`the relationship ${this.owner.name}.${this.key} without a foreign key or primaryjoin`);
  }

  /**
   * The foreign key pairs of the relationship, as [child column, parent column]: the child's
   * column holds the parent's key. `childIsTarget` when the target holds the key (one-to-many).
   */
  foreignKeyPairs(): { childIsTarget: boolean; pairs: [ColumnAttribute, ColumnAttribute][] } {
    const source = this.source;
    const target = this.target;
    const pairsOf = (child: Mapper, parent: Mapper) =>
      [...child.columns.values()].flatMap((c) => {
        const ref = c.column.foreignKeys.map((fk) => fk.reference()).find((r) => r?.table === parent.table);
        const to = ref && [...parent.columns.values()].find((p) => p.name === ref.column);
        return to ? [[c, to] as [ColumnAttribute, ColumnAttribute]] : [];
      });
    const toSource = pairsOf(target, source);
    if (toSource.length) return { childIsTarget: true, pairs: toSource };
    return { childIsTarget: false, pairs: pairsOf(source, target) };
  }

  /** `rel.any(criterion)` / `rel.has(criterion)`: EXISTS a related row matching it. */
  any(criterion?: unknown): Clause {
    return new Exists(this, criterion);
  }

  has(criterion?: unknown): Clause {
    return new Exists(this, criterion);
  }
}

raiseOnUnknownMembers(RelationshipAttribute, 'RelationshipAttribute');

class Exists implements Clause {
  constructor(
    private readonly attr: RelationshipAttribute,
    private readonly criterion: unknown,
  ) {}
  compile(params: Value[]): string {
    const target = this.attr.target;
    const parts: Clause[] = [this.attr.condition()];
    if (this.criterion !== undefined && this.criterion !== null) parts.push(criterionOf(target, this.criterion));
    return `EXISTS (SELECT 1 FROM ${quoteName(target.table)} WHERE ${and_(...parts).compile(params)})`;
  }
}

/** `any({ key: k, value: v })` is equality on the target's columns, as filter_by. */
function criterionOf(target: Mapper, criterion: unknown): Clause {
  if (criterion === null || typeof criterion !== 'object' || isClause(criterion)) return clauseOf(criterion);
  return and_(
    ...Object.entries(criterion as Record<string, unknown>).map(([key, value]) => {
      const column = target.columns.get(key);
      if (!column) throw new UnsupportedInReference(`${target.table} has no column ${key} (in any()/has())`);
      return column.eq(value);
    }),
  );
}

function resolveClass(registry: Registry, target: unknown): ModelClass {
  if (typeof target === 'string') return registry.byName(target) ?? fail(`a relationship to ${target}, which is not a mapped class`);
  if (typeof target === 'function' && typeof (target as ModelClass).__tablename__ !== 'string') return resolveClass(registry, (target as () => unknown)());
  return target as ModelClass;
}

function referencesTable(from: Mapper, table: string): boolean {
  return [...from.columns.values()].some((a) => a.column.foreignKeys.some((fk) => fk.reference()?.table === table));
}

/** `from.fk = to.pk` for the first foreign key of `from` that references `to`'s table. */
function foreignKeyJoin(from: Mapper, to: Mapper): Clause | undefined {
  for (const attr of from.columns.values()) {
    const ref = attr.column.foreignKeys.map((fk) => fk.reference()).find((r) => r?.table === to.table);
    const target = ref && [...to.columns.values()].find((c) => c.name === ref.column);
    if (target) return attr.eq(target);
  }
  return undefined;
}

function fail(what: string): never {
  throw new UnsupportedInReference(what);
}

/**
 * A primaryjoin string: `and_(...)`, `or_(...)`, and `Class.attr <op> operand` where the operand
 * is another `Class.attr`, a quoted string, a number, True/False/None. Anything else is unsupported.
 */
export function parseJoin(registry: Registry, source: string): Clause {
  const tokens = source.match(/\s*(and_|or_|[A-Za-z_]\w*\.\w+|==|!=|<=|>=|<|>|\(|\)|,|"[^"]*"|'[^']*'|-?\d+(?:\.\d+)?|True|False|None|\S)/g)?.map((t) => t.trim()) ?? [];
  let i = 0;
  const expect = (t: string) => {
    if (tokens[i++] !== t) fail(`the primaryjoin ${JSON.stringify(source)}`);
  };
  const operand = (): unknown => {
    const t = tokens[i++] ?? fail(`the primaryjoin ${JSON.stringify(source)}`);
    if (/^["']/.test(t)) return t.slice(1, -1);
    if (/^-?\d/.test(t)) return Number(t);
    if (t === 'True' || t === 'False') return t === 'True';
    if (t === 'None') return null;
    const dot = t.indexOf('.');
    if (dot > 0) {
      const attr = registry.mapperOf(resolveClass(registry, t.slice(0, dot))).columns.get(t.slice(dot + 1));
      if (attr) return attr;
    }
    return fail(`${JSON.stringify(t)} in the primaryjoin ${JSON.stringify(source)}`);
  };
  const expression = (): Clause => {
    if (tokens[i] === 'and_' || tokens[i] === 'or_') {
      const combine = tokens[i++] === 'and_' ? and_ : or_;
      expect('(');
      const parts: Clause[] = [expression()];
      while (tokens[i] === ',') {
        i++;
        if (tokens[i] !== ')') parts.push(expression());
      }
      expect(')');
      return combine(...parts);
    }
    const left = operand();
    const op = tokens[i++];
    const right = operand();
    if (!(left instanceof ColumnAttribute)) return fail(`the primaryjoin ${JSON.stringify(source)}`);
    if (op === '==') return left.eq(right);
    if (op === '!=') return left.ne(right);
    if (op === '<' || op === '>' || op === '<=' || op === '>=') return new Raw(`($1 ${op} $2)`, [left, clauseOf(right)]);
    return fail(`the operator ${op} in the primaryjoin ${JSON.stringify(source)}`);
  };
  const clause = expression();
  if (i !== tokens.length) fail(`the primaryjoin ${JSON.stringify(source)}`);
  return clause;
}
