import ts from '../ts.cjs';
import { isSessionExpr, mappedChain, type ModuleFacts } from '../analyzer/module.js';
import { enclosingStatement, isReference, walk } from '../analyzer/parse.js';
import { isSqlStatement, SUBSTITUTION } from '../analyzer/sql-classifier.js';
import { DEFAULT_ENGINE_FACTORIES } from '../analyzer/check-types.js';
import { emptyResult, type RewriteContext, type Rewriter } from './types.js';

const SESSION_REASONS: Record<string, string> = {
  execute: '`session.execute(...)` runs SQL: ROME has no SQL engine',
  begin_nested: '`begin_nested()`: ROME has no savepoints',
  beginNested: '`beginNested()`: ROME has no savepoints',
  rollback: '`rollback()`: ROME sessions cannot roll back (what was saved stays saved)',
  merge: '`merge()`: RomeSession has no merge',
  expire: '`expire()`: RomeSession has no expire',
  expire_all: '`expire_all()`: RomeSession has no expire_all (it keeps no identity map: every query reads the store)',
  expireAll: '`expireAll()`: RomeSession has no expireAll (it keeps no identity map: every query reads the store)',
  commit: "`commit()`: RomeSession declares no commit (ROME's own writes without the flush's locks): `flush()` writes what the session queued, and a begin() unit flushes at its end",
  refresh: '`refresh()`: RomeSession has no refresh',
  expunge: '`expunge()`: RomeSession has no expunge',
};

/** What a reviewer needs to know of SQL names that real modules use most (the default says only that ROME lacks the name). */
const SQL_NAME_REASONS: Record<string, string> = {
  func: 'SQL functions run in the database and ROME has none: a count is count(), a sum adds up the rows of all(), min/max/coalesce are computed in code',
  literal_column:
    'SQL text ROME would store as a value, and where it kept a column as it was (`updated_at`), ROME cannot: its save() always sets updated_at',
  RelationshipProperty: "mapper introspection: ROME has no SQLAlchemy mapper, check the relationship by the model's declared attributes",
  Subquery: 'ROME has no subqueries: run the inner query first and filter with in_() on its values',
};

/** Pagination helpers: SQL whatever module they come from. */
const PAGINATION = new Set(['paginate_query', 'paginateQuery']);

/** True when [pos, end) lies inside one of the ranges. */
export function inside(ranges: Array<[number, number]>, pos: number, end = pos): boolean {
  return containment(ranges)(pos, end);
}

/**
 * A lookup over ranges sorted by start with the running maximum of their ends (asked once per
 * reference, over thousands of deleted ranges in a big module): rebuilt when the array grows.
 */
const lookups = new WeakMap<Array<[number, number]>, { length: number; test: (pos: number, end: number) => boolean }>();
function containment(ranges: Array<[number, number]>): (pos: number, end: number) => boolean {
  const hit = lookups.get(ranges);
  if (hit && hit.length === ranges.length) return hit.test;
  const sorted = [...ranges].sort((a, b) => a[0] - b[0]);
  const maxEnd: number[] = [];
  for (const [, e] of sorted) maxEnd.push(Math.max(e, maxEnd.length ? maxEnd[maxEnd.length - 1] : -1));
  const test = (pos: number, end: number): boolean => {
    // ranges starting at or before pos: any of them reaching `end` holds [pos, end)
    let lo = 0;
    let hi = sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (sorted[mid][0] <= pos) lo = mid + 1;
      else hi = mid;
    }
    return lo > 0 && maxEnd[lo - 1] >= end;
  };
  lookups.set(ranges, { length: ranges.length, test });
  return test;
}

/** References (not declarations, not property names) to imported names: by scope, so a local of the same name is not one. */
export function referencesTo(facts: ModuleFacts, names: Set<string>, visit: (id: ts.Identifier) => void): void {
  walk(facts.sf, (n) => {
    if (!ts.isIdentifier(n) || !names.has(n.text)) return;
    if (!isReference(n) || !facts.importOf(n)) return;
    visit(n);
  });
}

function literalText(n: ts.Node): string | undefined {
  if (ts.isStringLiteral(n) || ts.isNoSubstitutionTemplateLiteral(n)) return n.text;
  if (ts.isTemplateExpression(n)) return n.head.text + n.templateSpans.map((s) => SUBSTITUTION + s.literal.text).join('');
  return undefined;
}

export const manualRewriter: Rewriter = {
  id: 'manual',
  title: 'What ROME cannot run is kept and marked for a human',
  description:
    'Raw SQL (text(...), SQL strings, session.execute), core statements, SQL-library helpers ROME lacks (func, case, aliased, ...), ' +
    'session calls RomeSession lacks (rollback, begin_nested, merge, ...) and creates (until create-lock is automated) are kept verbatim ' +
    'under a `// port-db: manual <reason>` comment and listed in the report, where `port-db check` finds them.',
  samples: [
    {
      before: `import { text } from 'sqlalchemy';

export async function f(session: any) {
  return await session.execute(text('DELETE FROM instances'));
}
`,
      after: `// port-db: manual SQL import kept for manual code: text
import { text } from 'sqlalchemy';

export async function f(session: any) {
  // port-db: manual raw SQL \`text(...)\`: ROME has no SQL engine; \`session.execute(...)\` runs SQL: ROME has no SQL engine; SQL statement in a string: DELETE FROM instances
  return await session.execute(text('DELETE FROM instances'));
}
`,
    },
  ],
  rewrite(facts, ctx: RewriteContext) {
    const out = emptyResult();
    const flag = (node: ts.Node, reason: string) => out.manual.push({ node: enclosingStatement(node), pos: node.getStart(facts.sf), reason });
    const inImport = (n: ts.Node) => ts.isImportDeclaration(enclosingStatement(n));
    // SQL-library names ROME lacks (mapped names such as or_ move to the target import instead)
    const sqlNames = new Set([...facts.sqlBindings.keys()].filter((n) => !(facts.sqlBindings.get(n)!.bindings.get(n)! in facts.rules.mappedNames)));
    referencesTo(facts, sqlNames, (id) => {
      if (inside(ctx.deleted, id.getStart(facts.sf), id.end) || inImport(id)) return;
      // `orm.relationship`: a name the target has, reached through the namespace (the import rewriter maps it)
      if (mappedChain(facts, id)) return;
      const imported = facts.sqlBindings.get(id.text)!;
      const name = imported.bindings.get(id.text) ?? id.text;
      const what =
        id.text === 'text'
          ? 'raw SQL `text(...)`: ROME has no SQL engine'
          : name in SQL_NAME_REASONS
            ? `\`${id.text}\` (${imported.specifier}): ${SQL_NAME_REASONS[name]}`
            : `\`${id.text}\` from ${imported.specifier} has no ROME equivalent`;
      flag(id, what);
    });
    const engineFactories = new Set(facts.rules.engineFactories ?? DEFAULT_ENGINE_FACTORIES);
    walk(facts.sf, (n) => {
      if (ts.isCallExpression(n) && ts.isPropertyAccessExpression(n.expression)) {
        const method = n.expression.name.text;
        if (method in SESSION_REASONS && isSessionExpr(facts, n.expression.expression)) flag(n.expression.name, SESSION_REASONS[method]);
      }
      // the name called (`f()`, `x.f()`) and whether the call goes through an SQL import
      const callee = ts.isCallExpression(n) ? (ts.isIdentifier(n.expression) ? n.expression : ts.isPropertyAccessExpression(n.expression) ? n.expression.name : undefined) : undefined;
      let root: ts.Expression | undefined = callee && ts.isCallExpression(n) ? n.expression : undefined;
      while (root && ts.isPropertyAccessExpression(root)) root = root.expression;
      const fromSql = root !== undefined && ts.isIdentifier(root) && facts.importOf(root)?.isSql === true;
      // an SQL engine, however reached (`get_engine()` kept for its callers, `facade.get_engine()`):
      // what uses it is SQL too, marked where it stands, as `port-db check` would find it; an SQL
      // import's own factory (`create_engine`) is marked as that import already
      if (callee && !fromSql && engineFactories.has(callee.text) && !inside(ctx.deleted, n.getStart(facts.sf), n.end)) {
        flag(callee, `\`${callee.text}()\`: an SQL engine (connections, dispose, raw SQL); ROME has none`);
      }
      // SQL pagination (oslo.db's paginate_query, or a project's copy of it, as Cinder's
      // cinder.common.sqlalchemyutils): ROME has no markers, and ignores limit
      if (callee && !fromSql && PAGINATION.has(callee.text) && facts.rules.constructs[callee.text] === 'manual') {
        flag(callee, `\`${callee.text}()\`: SQL pagination (markers, limit, sort keys): ROME has no markers and ignores limit, page the rows of all() by hand`);
      }
      if (ts.isCallExpression(n) && ts.isIdentifier(n.expression) && facts.rules.constructs[n.expression.text] === 'manual') {
        const imp = facts.imports.find((i) => i.bindings.has((n.expression as ts.Identifier).text));
        if (imp && imp.mappedTo) flag(n.expression, `\`${n.expression.text}()\` from ${imp.specifier}: ROME has no equivalent`);
      }
      const lit = literalText(n);
      if (lit !== undefined && !inImport(n) && isSqlStatement(lit)) {
        flag(n, `SQL statement in a string: ${lit.replace(/\s+/g, ' ').replaceAll(SUBSTITUTION, '${…}').slice(0, 60)}`);
      }
    });
    return out;
  },
};
