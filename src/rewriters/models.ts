import ts from '../ts.cjs';
import type { ModuleFacts } from '../analyzer/module.js';
import { ownLines, type Edit } from '../analyzer/edits.js';
import { calleeName } from '../analyzer/chains.js';
import { indentAt, walk } from '../analyzer/parse.js';
import { emptyResult, record, type RewriteResult, type Rewriter } from './types.js';

/** Static members that only describe SQL DDL (ROME creates no tables). */
const TABLE_ARGS = new Set(['__table_args__']);

/** What the mixins of the SQL model base added, and what becomes of it on a ROME entity. */
const MIXIN_NOTES: Record<string, string> = {
  SoftDeleteMixin: 'soft delete is `Entity.soft_delete()` (ROME sets `deleted = 1` and `deleted_at`)',
  // ROME's Entity.save() sets created_at when it is empty and updated_at on every save
  TimestampMixin: '`created_at`/`updated_at` are filled by ROME on save (`updated_at` from the first save on, where the SQL mixin left it empty until the first update)',
};

/** The local names bound by SQL imports that an expression references. */
function sqlNamesIn(facts: ModuleFacts, expr: ts.Node): string[] {
  const names: string[] = [];
  const visit = (n: ts.Node) => {
    if (ts.isIdentifier(n) && facts.importOf(n)?.isSql && !names.includes(n.text)) names.push(n.text);
  };
  visit(expr);
  walk(expr, visit);
  return names;
}

/** The imported name behind a local SQL binding (`ModelBase` for `import { ModelBase as B }`). */
function importedName(facts: ModuleFacts, local: string): string {
  return facts.sqlBindings.get(local)?.bindings.get(local) ?? local;
}

const clip = (s: string, n = 90) => {
  const one = s.replace(/\s+/g, ' ');
  return one.length > n ? one.slice(0, n - 1) + '…' : one;
};

/**
 * The base expression with its SQL part replaced by the entity base: an SQL class or a call of an
 * SQL factory (`ModelBase`, `declarative_base()`) becomes `Entity`, an SQL mixin call
 * (`TimestampMixin(X)`) becomes the port of X, local mixins and classes stay. Undefined when
 * the expression has another shape (the class is then kept and marked manual).
 */
function portBase(facts: ModuleFacts, expr: ts.Expression, entity: string, isSql = sqlBaseTest(facts)): string | undefined {
  if (ts.isParenthesizedExpression(expr)) return portBase(facts, expr.expression, entity, isSql);
  if (ts.isIdentifier(expr) || ts.isPropertyAccessExpression(expr)) return isSql(expr) ? entity : expr.getText(facts.sf);
  if (ts.isCallExpression(expr) && (ts.isIdentifier(expr.expression) || ts.isPropertyAccessExpression(expr.expression))) {
    if (isSql(expr.expression, true)) {
      if (expr.arguments.length === 0) return entity;
      return expr.arguments.length === 1 ? portBase(facts, expr.arguments[0], entity, isSql) : undefined;
    }
    const args = expr.arguments.map((a) => portBase(facts, a, entity, isSql));
    if (args.some((a) => a === undefined)) return undefined;
    return `${expr.expression.getText(facts.sf)}(${args.join(', ')})`;
  }
  return sqlNamesIn(facts, expr).length === 0 ? expr.getText(facts.sf) : undefined;
}

/** Whether a base expression (or the callee of a base call, `called`) is an SQL part of the base. */
function sqlBaseTest(facts: ModuleFacts): (e: ts.Expression, called?: boolean) => boolean {
  const bases = declarativeBases(facts);
  return (e, called = false) => {
    let root = e;
    while (ts.isPropertyAccessExpression(root)) root = root.expression;
    // `BASE(CinderBase)`: the declarative base (const BASE = declarative_base()), called as a mixin,
    // adds only SQL mapping (a plain `extends BASE` stays: BASE becomes the entity base itself)
    return ts.isIdentifier(root) && (facts.importOf(root)?.isSql === true || (called && root === e && bases.has(root.text)));
  };
}

/**
 * The edits that turn a base portBase ports into its port in place: only the SQL parts (and the
 * parentheses of an SQL call around a kept argument) are deleted, so a name the port keeps (a mixin
 * imported from the project, `Versioned(TimestampMixin(ModelBase))`) is still referenced and its
 * import stays. Deleting the whole base and inserting its port left that import unused, removed.
 */
function baseEdits(facts: ModuleFacts, expr: ts.Expression, entity: string, isSql = sqlBaseTest(facts)): Edit[] {
  const start = expr.getStart(facts.sf);
  const del = (s: number, e: number): Edit => ({ start: s, end: e, text: '' });
  const toEntity = (): Edit[] => [{ start, end: start, text: entity }, del(start, expr.end)];
  const unwrap = (inner: ts.Expression): Edit[] => [del(start, inner.getStart(facts.sf)), ...baseEdits(facts, inner, entity, isSql), del(inner.end, expr.end)];
  if (ts.isParenthesizedExpression(expr)) return unwrap(expr.expression);
  if (ts.isIdentifier(expr) || ts.isPropertyAccessExpression(expr)) return isSql(expr) ? toEntity() : [];
  if (ts.isCallExpression(expr) && (ts.isIdentifier(expr.expression) || ts.isPropertyAccessExpression(expr.expression))) {
    if (isSql(expr.expression, true)) return expr.arguments.length === 0 ? toEntity() : unwrap(expr.arguments[0]);
    return expr.arguments.flatMap((a) => baseEdits(facts, a, entity, isSql));
  }
  return [];
}

/** The factories of a declarative base class (`const BASE = declarative_base()`). */
const DECLARATIVE_BASES = new Set(['declarative_base', 'declarativeBase']);

/** Local names bound to a declarative base (`export const BASE = declarative_base()`). */
function declarativeBases(facts: ModuleFacts): Set<string> {
  const out = new Set<string>();
  for (const st of facts.sf.statements) {
    if (!ts.isVariableStatement(st)) continue;
    for (const d of st.declarationList.declarations) {
      const init = d.initializer;
      if (!ts.isIdentifier(d.name) || !init || !ts.isCallExpression(init) || !ts.isIdentifier(init.expression)) continue;
      if (facts.importOf(init.expression)?.isSql && DECLARATIVE_BASES.has(importedName(facts, init.expression.text))) out.add(d.name.text);
    }
  }
  return out;
}

/** SQL names a model base is built from; anything else from the SQL library (a TypeDecorator) is no model base. */
const MODEL_BASES = new Set(['ModelBase', 'SoftDeleteMixin', 'TimestampMixin', ...DECLARATIVE_BASES]);

/** Columns oslo.db's mixins declare (oslo_db/sqlalchemy/models.py) that ROME's Entity does not: kept on the class that loses the mixin. */
const MIXIN_COLUMNS: Record<string, Array<[string, string]>> = {
  TimestampMixin: [
    ['created_at', 'Column(DateTime)'],
    ['updated_at', 'Column(DateTime)'],
  ],
  SoftDeleteMixin: [
    ['deleted_at', 'Column(DateTime)'],
    ['deleted', 'Column(Integer, { default: 0 })'],
  ],
};

/** `const BASE = declarative_base()`: the base the models extend becomes the entity base. */
function portDeclarativeBase(facts: ModuleFacts, out: RewriteResult, st: ts.VariableStatement, entity: string): void {
  for (const d of st.declarationList.declarations) {
    const init = d.initializer;
    if (!init || !ts.isCallExpression(init) || !ts.isIdentifier(init.expression) || init.arguments.length > 0) continue;
    const local = init.expression.text;
    if (!facts.importOf(init.expression)?.isSql || !DECLARATIVE_BASES.has(importedName(facts, local))) continue;
    // a class whose base port-db cannot port (`BASE(NovaBase, SoftDeleteMixin)`) is kept for a
    // human as written: its declarative base stays too, or a second port would read `Entity(...)`
    if (ts.isIdentifier(d.name) && keptBaseUses(facts, d.name.text, entity)) continue;
    const at = init.getStart(facts.sf);
    out.edits.push({ start: at, end: at, text: entity });
    record(out, 'models', at, `\`${init.getText(facts.sf)}\` → \`${entity}\` (${facts.rules.target.module}): the models' base class is the ROME entity base`, { start: at, end: init.end, text: '' });
    out.needs.push({ kind: 'import', name: entity });
  }
}

/** Whether a class's base names `base` and is one portBase cannot port (the class stays as written). */
function keptBaseUses(facts: ModuleFacts, base: string, entity: string): boolean {
  return facts.sf.statements.some((st) => {
    const ext = ts.isClassDeclaration(st) ? st.heritageClauses?.find((h) => h.token === ts.SyntaxKind.ExtendsKeyword)?.types[0] : undefined;
    return !!ext && declarativeIn(ext.expression, new Set([base])).length > 0 && portBase(facts, ext.expression, entity) === undefined;
  });
}

/** One sentence per dropped table argument: what it was, and why ROME does without it. */
function describeTableArg(facts: ModuleFacts, className: string, el: ts.Expression): string {
  const info = [...(facts.models?.values() ?? [])].find((m) => m.className === className);
  if (ts.isCallExpression(el)) {
    const kind = calleeName(el) ?? '';
    const strings = el.arguments.filter(ts.isStringLiteralLike).map((a) => a.text);
    const named = el.arguments.find(ts.isObjectLiteralExpression)?.properties.find((p) => ts.isPropertyAssignment(p) && p.name.getText(facts.sf) === 'name');
    const constraintName = named && ts.isPropertyAssignment(named) && ts.isStringLiteralLike(named.initializer) ? named.initializer.text : undefined;
    const [name, columns] = kind === 'Index' ? [strings[0], strings.slice(1)] : [constraintName, strings];
    const what = `\`${kind}\`${name ? ` ${name}` : ''}${columns.length ? ` (${columns.join(', ')})` : ''}`;
    const key = info?.uniqueKeys.find((k) => !k.primary && k.columns.join() === columns.join());
    if (key) return `${what} dropped: ROME enforces no unique key; create-lock checks this one before each create (read from the SQL models)`;
    if (kind === 'Index') return `${what} dropped: ROME creates no SQL index`;
    return `${what} dropped: SQL-only table argument (ROME creates no tables)`;
  }
  if (ts.isObjectLiteralExpression(el)) {
    const keys = el.properties.map((p) => (p.name ? p.name.getText(facts.sf) : clip(p.getText(facts.sf), 30)));
    return `table option${keys.length === 1 ? '' : 's'} ${keys.map((k) => `\`${k}\``).join(', ')} dropped: SQL-only (ROME creates no tables)`;
  }
  return `table argument \`${clip(el.getText(facts.sf), 60)}\` dropped: SQL-only (ROME creates no tables)`;
}

/** `static __table_args__ = [...]`: the member goes; one record per element (every removal is recorded). */
function dropTableArgs(facts: ModuleFacts, out: RewriteResult, cls: ts.ClassDeclaration, member: ts.PropertyDeclaration): void {
  const className = cls.name!.text;
  let [s, e] = ownLines(facts.text, member.getStart(facts.sf), member.end);
  const open = facts.text.lastIndexOf('{', cls.members.pos);
  const close = cls.end - 1;
  if (cls.members.length === 1 && facts.text.slice(open + 1, s).trim() === '' && facts.text.slice(e, close).trim() === '') {
    // the only member: the class body is left empty, `{}`
    [s, e] = [open + 1, close];
  } else {
    // the class's first member: a blank line after it goes too (no blank line left under the `{`)
    const blank = /^[ \t]*\r?\n/.exec(facts.text.slice(e));
    if (blank && /\{[ \t]*\r?\n$/.test(facts.text.slice(0, s))) e += blank[0].length;
  }
  const edit = { start: s, end: e, text: '' };
  const init = member.initializer;
  const elements = init && ts.isArrayLiteralExpression(init) ? [...init.elements] : init && ts.isObjectLiteralExpression(init) ? [init] : [];
  if (elements.length === 0) {
    const what = init ? `\`__table_args__ = ${clip(init.getText(facts.sf), 40)}\`` : '`__table_args__` declaration';
    record(out, 'models', member.getStart(facts.sf), `${what} dropped: SQL-only table arguments (ROME creates no tables)`, edit);
    return;
  }
  // one edit, one record per element; every record points at the line where the member was
  record(out, 'models', elements[0].getStart(facts.sf), describeTableArg(facts, className, elements[0]), edit);
  for (const el of elements.slice(1)) out.changes.push({ kind: 'models', pos: el.getStart(facts.sf), detail: describeTableArg(facts, className, el), edit });
}

/** Column options that only make DDL: ROME creates no index and enforces no unique key. */
const DDL_COLUMN_OPTIONS: Record<string, string> = {
  unique: 'ROME enforces no unique key; create-lock checks this column before each create (read from the SQL models)',
  index: 'ROME creates no SQL index',
  server_default: 'a default the SQL server fills in; ROME has no server (use `default`)',
};

/** `Column(T, { nullable: false, unique: true })`: the DDL-only options go, each recorded. */
function dropColumnOptions(facts: ModuleFacts, out: RewriteResult, member: ts.PropertyDeclaration): void {
  const call = member.initializer;
  if (!call || !ts.isCallExpression(call) || calleeName(call) !== 'Column') return;
  const column = ts.isIdentifier(member.name) ? member.name.text : member.name.getText(facts.sf);
  const args = call.arguments;
  const detailOf = (p: ts.ObjectLiteralElementLike) =>
    `column \`${column}\`: option \`${clip(p.getText(facts.sf), 40)}\` dropped: ${DDL_COLUMN_OPTIONS[(p as ts.PropertyAssignment).name.getText(facts.sf)]}`;
  args.forEach((arg, i) => {
    if (!ts.isObjectLiteralExpression(arg)) return;
    const props = arg.properties;
    const dropped = props.filter((p) => ts.isPropertyAssignment(p) && p.name.getText(facts.sf) in DDL_COLUMN_OPTIONS);
    if (dropped.length === 0) return;
    const keep = props.filter((p) => !dropped.includes(p));
    if (keep.length === 0) {
      // the whole options argument goes, with the comma before it
      const start = i > 0 ? args[i - 1].end : arg.getStart(facts.sf);
      const edit = { start, end: i > 0 ? arg.end : args[i + 1]?.getStart(facts.sf) ?? arg.end, text: '' };
      dropped.forEach((p, k) => {
        if (k === 0) record(out, 'models', p.getStart(facts.sf), detailOf(p), edit);
        else out.changes.push({ kind: 'models', pos: p.getStart(facts.sf), detail: detailOf(p), edit });
      });
      return;
    }
    // each option is deleted with its comma, so what it held (`server_default: false_()`) goes
    // with it: no SQL is left to mark
    for (const p of dropped) {
      const j = props.indexOf(p);
      const keptBefore = props.slice(0, j).some((q) => !dropped.includes(q));
      const edit = keptBefore ? { start: props[j - 1].end, end: p.end, text: '' } : { start: p.getStart(facts.sf), end: props[j + 1].getStart(facts.sf), text: '' };
      record(out, 'models', p.getStart(facts.sf), detailOf(p), edit);
    }
  });
}

/** The helper a ported column default is wrapped in (helpers.ts, `sql_default`). */
const SQL_DEFAULT = '_sql_default';

/** Columns ROME itself writes and whose default the port reads as the live value (`model_query`'s `deleted.default ?? 0`). */
const SOFT_DELETE_COLUMNS = new Set(['deleted', 'deleted_at']);

/** A literal JavaScript finds falsy: `false`, `0`, `''`, `null`, `undefined`, `NaN`, `void 0`. */
function falsyLiteral(e: ts.Expression): boolean {
  while (ts.isParenthesizedExpression(e)) e = e.expression;
  if (e.kind === ts.SyntaxKind.FalseKeyword || e.kind === ts.SyntaxKind.NullKeyword || ts.isVoidExpression(e)) return true;
  if (ts.isIdentifier(e)) return e.text === 'undefined' || e.text === 'NaN';
  if (ts.isStringLiteral(e) || ts.isNoSubstitutionTemplateLiteral(e)) return e.text === '';
  if (ts.isPrefixUnaryExpression(e) && (e.operator === ts.SyntaxKind.MinusToken || e.operator === ts.SyntaxKind.PlusToken)) return falsyLiteral(e.operand);
  if (ts.isNumericLiteral(e)) return Number(e.text.replace(/_/g, '')) === 0;
  if (ts.isBigIntLiteral(e)) return BigInt(e.text.replace(/_/g, '').slice(0, -1)) === 0n;
  return false;
}

/** What ROME would store instead of a falsy value of the column, said for the record. */
function overwritten(facts: ModuleFacts, e: ts.Expression): string {
  while (ts.isParenthesizedExpression(e)) e = e.expression;
  if (e.kind === ts.SyntaxKind.TrueKeyword) return 'a saved `false` would be stored as `true`';
  // a signed number or a bigint (`-1`, `1n`), not `!0` (a boolean)
  const signed = ts.isPrefixUnaryExpression(e) && (e.operator === ts.SyntaxKind.MinusToken || e.operator === ts.SyntaxKind.PlusToken) && ts.isNumericLiteral(e.operand);
  if (ts.isNumericLiteral(e) || ts.isBigIntLiteral(e) || signed) return `a saved \`0\` would be stored as \`${e.getText(facts.sf)}\``;
  if (ts.isStringLiteral(e) || ts.isNoSubstitutionTemplateLiteral(e)) return `a saved \`''\` would be stored as \`${clip(e.getText(facts.sf), 30)}\``;
  if (ts.isArrowFunction(e) || ts.isFunctionExpression(e)) return 'a saved `false`, `0` or `\'\'` would be replaced by a call of the function';
  return 'its value is not known here: were it truthy, a saved `false`, `0` or `\'\'` would be stored as it';
}

/**
 * `Column(T, { default: true })`: ROME's Entity applies a column default by truthiness, on every
 * save (lib/rome/core/models.py, `_set_default_values`: `if getattr(self, attr_name, None):
 * continue`, then the default, a function called with the entity), so a saved `false`, `0` or `''`
 * becomes a truthy default; SQLAlchemy applies it at INSERT to a field that is None only. The
 * default is wrapped in `_sql_default(key, value)`, a function default ROME calls with the entity
 * (only when the field is falsy) that keeps any value but null/undefined. A falsy literal default
 * stays: ROME replacing a falsy value with it stores the same falsy value. The soft-delete
 * columns stay too: ROME's soft_delete writes them, and the port reads their default.
 */
function portDefault(facts: ModuleFacts, out: RewriteResult, member: ts.PropertyDeclaration): void {
  const call = member.initializer;
  if (!call || !ts.isCallExpression(call) || calleeName(call) !== 'Column' || !ts.isIdentifier(member.name)) return;
  const column = member.name.text;
  if (SOFT_DELETE_COLUMNS.has(column)) return;
  for (const arg of call.arguments) {
    if (!ts.isObjectLiteralExpression(arg)) continue;
    for (const p of arg.properties) {
      if (!ts.isPropertyAssignment(p) || !(ts.isIdentifier(p.name) || ts.isStringLiteral(p.name)) || p.name.text !== 'default') continue;
      const value = p.initializer;
      if (falsyLiteral(value)) continue;
      // already ported (porting the port changes nothing)
      if (ts.isCallExpression(value) && ts.isIdentifier(value.expression) && value.expression.text === SQL_DEFAULT) continue;
      const text = value.getText(facts.sf);
      const edit = { start: value.getStart(facts.sf), end: value.end, text: `${SQL_DEFAULT}('${column}', ${text})` };
      record(
        out,
        'models',
        p.getStart(facts.sf),
        `column \`${column}\`: \`default: ${clip(text, 40)}\` applied as SQL applies it, to a field left null or unset (\`${SQL_DEFAULT}\`): ROME's Entity gives a column its default over any falsy value at each save (${overwritten(facts, value)})`,
        edit,
      );
      out.needs.push({ kind: 'helper', id: 'sql_default', edit });
    }
  }
}

/** The SQL names a base expression is built from, as the library calls them (`TimestampMixin` in `models.TimestampMixin(...)`). */
function sqlBaseNames(facts: ModuleFacts, expr: ts.Node): string[] {
  const names: string[] = [];
  const visit = (n: ts.Node) => {
    if (!ts.isIdentifier(n) || !facts.importOf(n)?.isSql) return;
    let top: ts.Node = n;
    while (ts.isPropertyAccessExpression(top.parent) && top.parent.expression === top) top = top.parent;
    names.push(ts.isPropertyAccessExpression(top) ? top.name.text : importedName(facts, n.text));
  };
  visit(expr);
  walk(expr, visit);
  return names;
}

/** The declarative-base names an expression references (`BASE` in `BASE(CinderBase)`). */
function declarativeIn(expr: ts.Node, bases: Set<string>): string[] {
  const names: string[] = [];
  const visit = (n: ts.Node) => {
    if (ts.isIdentifier(n) && bases.has(n.text) && !names.includes(n.text)) names.push(n.text);
  };
  visit(expr);
  walk(expr, visit);
  return names;
}

/**
 * The columns oslo.db's mixins gave the class (`created_at`, `deleted`, ...) are declared on it when
 * the mixins go: ROME's Entity fills them on save but does not declare them, and a query that filters
 * on `M.deleted` (model_query's read_deleted) needs the column.
 */
function keepMixinColumns(facts: ModuleFacts, out: RewriteResult, cls: ts.ClassDeclaration, sqlNames: string[]): void {
  const own = new Set(cls.members.filter((m) => m.name && ts.isIdentifier(m.name)).map((m) => (m.name as ts.Identifier).text));
  const columns = Object.entries(MIXIN_COLUMNS)
    .filter(([mixin]) => sqlNames.includes(mixin))
    .flatMap(([, cols]) => cols)
    .filter(([name]) => !own.has(name));
  if (columns.length === 0) return;
  const open = facts.text.indexOf('{', cls.heritageClauses![0].end);
  // the first member that stays (`__table_args__` goes)
  const first = cls.members.find((m) => !(ts.isPropertyDeclaration(m) && ts.isIdentifier(m.name) && TABLE_ARGS.has(m.name.text)));
  const indent = first ? indentAt(facts.text, first.getStart(facts.sf)) : indentAt(facts.text, cls.getStart(facts.sf)) + '  ';
  const lines = columns.map(([name, col]) => `${indent}static ${name} = ${col};`).join(facts.eol);
  const at = open + 1;
  record(out, 'models', at, `columns ${columns.map(([n]) => `\`${n}\``).join(', ')} of oslo.db's mixins declared on ${cls.name!.text}: ROME's Entity fills them but does not declare them, and queries filter on them`, {
    start: at,
    end: at,
    // a blank line before the methods, none before more columns
    text: `${facts.eol}${lines}${!first ? facts.eol : ts.isPropertyDeclaration(first) ? '' : facts.eol}`,
  });
  for (const name of ['Column', 'DateTime', ...(columns.some(([, c]) => c.includes('Integer')) ? ['Integer'] : [])]) out.needs.push({ kind: 'import', name });
}

export const modelsRewriter: Rewriter = {
  id: 'models',
  title: 'SQL models become ROME entities',
  description:
    'Ports db/sqlalchemy/models.ts to db/discovery/models.ts, which the port of api.ts imports. A model base built from the SQL ' +
    'library (ModelBase and its mixins, or declarative_base()) becomes the target\'s `Entity` (local mixins stay); `__table_args__` ' +
    '(UniqueConstraint, Index, table options) and the DDL-only column options (unique, index, server_default) are SQL DDL ROME has ' +
    'no use for and are dropped, each one recorded (the unique keys are still read from the SQL models, for create-lock). Columns ' +
    'and relationships are kept, their helpers imported from the target module. A column default that is not a falsy literal is ' +
    'wrapped in `_sql_default(key, value)`: ROME gives a column its default over every FALSY value at each save (a saved `false` ' +
    'becomes a default `true`), SQL only to a field left null or unset. Anything else from the SQL library is kept and marked manual.',
  samples: [
    {
      before: `import { Column, Integer, String, UniqueConstraint } from 'sqlalchemy';
import { ModelBase } from 'oslo.db/sqlalchemy/models';

export class Service extends ModelBase {
  static __tablename__ = 'services';
  static __table_args__ = [UniqueConstraint('host', 'topic', 'deleted', { name: 'uniq_services0host0topic0deleted' })];
  static id = Column(Integer, { primary_key: true });
  static host = Column(String(255));
}
`,
      after: `import { Entity, Column, Integer, String } from 'rome-orm';

export class Service extends Entity {
  static __tablename__ = 'services';
  static id = Column(Integer, { primary_key: true });
  static host = Column(String(255));
}
`,
    },
  ],
  rewrite(facts) {
    const out = emptyResult();
    const entity = facts.rules.target.names.includes('Entity') ? 'Entity' : undefined;
    for (const st of facts.sf.statements) {
      if (ts.isVariableStatement(st) && entity) portDeclarativeBase(facts, out, st, entity);
      if (!ts.isClassDeclaration(st) || !st.name) continue;
      const className = st.name.text;
      const ext = st.heritageClauses?.find((h) => h.token === ts.SyntaxKind.ExtendsKeyword)?.types[0];
      const bases = declarativeBases(facts);
      const sqlBase = ext ? [...sqlNamesIn(facts, ext.expression), ...declarativeIn(ext.expression, bases)] : [];
      // a class built on an SQL type (TypeDecorator) is no model: it stays, and its SQL is marked
      const baseNames = ext ? sqlBaseNames(facts, ext.expression) : [];
      const isModel = sqlBase.some((n) => bases.has(n)) || baseNames.some((n) => MODEL_BASES.has(n));
      const base = ext && entity && isModel ? portBase(facts, ext.expression, entity) : undefined;
      if (ext && base && base !== ext.expression.getText(facts.sf)) {
        // the SQL part of the base (`SoftDeleteMixin(TimestampMixin(ModelBase))`) becomes Entity; local mixins stay
        const at = ext.expression.getStart(facts.sf);
        const mixins = baseNames.filter((n) => n in MIXIN_NOTES);
        const notes = mixins.map((m) => `; ${MIXIN_NOTES[m]}`).join('');
        const [first, ...rest] = baseEdits(facts, ext.expression, entity!);
        out.edits.push(...rest);
        record(out, 'models', at, `base class \`${clip(ext.expression.getText(facts.sf), 60)}\` → \`${base}\` (${facts.rules.target.module})${notes}`, first);
        // `Audited(Entity)` needs Entity as much as a plain `Entity` does
        if ([first, ...rest].some((e) => e.text === entity)) out.needs.push({ kind: 'import', name: entity! });
        keepMixinColumns(facts, out, st, baseNames);
      }
      for (const m of st.members) {
        if (ts.isPropertyDeclaration(m) && sqlBase.length + (facts.models?.has(className) ? 1 : 0) > 0) {
          dropColumnOptions(facts, out, m);
          portDefault(facts, out, m);
        }
        if (!ts.isPropertyDeclaration(m) || !ts.isIdentifier(m.name) || !TABLE_ARGS.has(m.name.text)) continue;
        if (!m.modifiers?.some((mod) => mod.kind === ts.SyntaxKind.StaticKeyword)) continue;
        dropTableArgs(facts, out, st, m);
      }
    }
    return out;
  },
};
