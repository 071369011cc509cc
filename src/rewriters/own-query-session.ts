import ts from '../ts.cjs';
import { bare, enclosingFunction, type ModuleFacts } from '../analyzer/module.js';
import { enclosingStatement, indentAt, isReference, walk } from '../analyzer/parse.js';
import { handWrittenHelpers, namespacedHelperCalls } from './session.js';
import { record, type RewriteResult } from './types.js';

/**
 * Part of the `query` rewriter (query.ts runs it; its records are `query` changes): a query
 * helper the module defines itself (Cinder's and Manila's `model_query`) that falls back to a
 * fresh session when the caller gives none (`kwargs['session'] || get_session()`).
 *
 * In SQL that fresh session autocommits: `model_query(ctx, M).filter_by(...).update(values)`
 * writes at once. In ROME a query made from a session only queues its bulk update()/delete()/
 * soft_delete() on that session (lib/rome/core/orm/query.py:159-173, `self._session.update(each)`),
 * and nobody flushes the fresh one: the write is lost. A query with no session writes at once,
 * so the fallback goes and the helper queries with `new RomeQuery(...)` when no session was given,
 * as the generated model_query does; a session handed on to a query helper (oslo.db's
 * model_query, ported as `_oslo_model_query`) is handed on as given, and that helper does the same.
 * A fallback session used for anything else is kept and marked manual.
 */
export const ownHelperSessions = {
  description:
    "A query helper the module defines that falls back to a fresh session (`kwargs['session'] || get_session()`) queries without one when none is given " +
    "(`session ? session.query(M) : new RomeQuery(M)`): ROME's query of a session only queues its bulk update()/delete() for a flush nobody calls on a fresh session, " +
    'while a query with no session writes at once, as the SQL session\'s autocommit did.',
  rewrite(facts: ModuleFacts, out: RewriteResult): void {
    const namespaced = new Set(namespacedHelperCalls(facts, 'session'));
    const isFactoryCall = (e: ts.Expression): e is ts.CallExpression =>
      ts.isCallExpression(e) &&
      ((ts.isIdentifier(e.expression) && facts.sessionFactories.has(e.expression.text)) || (ts.isPropertyAccessExpression(e.expression) && namespaced.has(e.expression)));
    for (const name of handWrittenHelpers(facts, 'query')) {
      const fn = facts.localFunctions.get(name);
      if (!fn?.body) continue;
      const isFallback = (e: ts.Node): e is ts.BinaryExpression =>
        ts.isBinaryExpression(e) &&
        (e.operatorToken.kind === ts.SyntaxKind.BarBarToken || e.operatorToken.kind === ts.SyntaxKind.QuestionQuestionToken) &&
        isFactoryCall(bare(e.right));
      const bound = new Set<ts.Node>();
      walk(fn.body, (n) => {
        if (ts.isVariableDeclaration(n) && ts.isIdentifier(n.name) && n.initializer && enclosingFunction(n) === fn && isFallback(bare(n.initializer))) {
          bound.add(bare(n.initializer));
          portFallback(facts, fn, n as ts.VariableDeclaration & { name: ts.Identifier }, bare(n.initializer) as ts.BinaryExpression, out);
        } else if (isFallback(n) && !bound.has(n)) unboundFallback(facts, n, out);
      });
    }
  },
};

/** Arguments simple enough to repeat in the other branch (names, member reads, spreads of them). */
function repeatable(e: ts.Expression): boolean {
  if (ts.isSpreadElement(e)) return repeatable(e.expression);
  if (ts.isIdentifier(e)) return true;
  if (ts.isPropertyAccessExpression(e)) return repeatable(e.expression);
  if (ts.isElementAccessExpression(e)) return repeatable(e.expression) && ts.isLiteralExpression(e.argumentExpression);
  return false;
}

function portFallback(
  facts: ModuleFacts,
  fn: ts.FunctionLikeDeclaration,
  decl: ts.VariableDeclaration & { name: ts.Identifier },
  init: ts.BinaryExpression,
  out: RewriteResult,
): void {
  const session = decl.name.text;
  const factory = bare(init.right) as ts.CallExpression;
  const factoryText = factory.expression.getText(facts.sf);
  const queries: ts.CallExpression[] = [];
  let other: ts.Node | undefined;
  walk(fn.body!, (n) => {
    if (other || !ts.isIdentifier(n) || n.text !== session || n === decl.name || !isReference(n)) return;
    const p = n.parent;
    // `session.query(...)`: the query to make without a session when none was given
    if (ts.isPropertyAccessExpression(p) && p.expression === n && p.name.text === 'query' && ts.isCallExpression(p.parent) && p.parent.expression === p) {
      if (p.parent.arguments.every(repeatable)) queries.push(p.parent);
      else other = n;
      return;
    }
    if (!handedToQueryHelper(facts, n)) other = n;
  });
  if (other) {
    out.manual.push({
      node: enclosingStatement(decl),
      pos: init.right.getStart(facts.sf),
      reason: `\`${session}\` falls back to a fresh \`${factoryText}()\` and is used for more than queries: ROME's session only queues a query's update()/delete() for a flush nobody calls on it (SQL's session autocommitted); query without a session (\`new RomeQuery(M)\`) when none is given`,
    });
    return;
  }
  const eol = facts.eol;
  const stmt = enclosingStatement(decl);
  const at = stmt.getStart(facts.sf);
  const indent = indentAt(facts.text, at);
  const drop = { start: init.left.end, end: init.end, text: '' };
  // all or nothing: kept manual code that drops one of these edits (half a conditional) drops them all
  const from = out.edits.length;
  out.edits.push({ start: at, end: at, text: `// without a session, ROME's Query(M) writes update()/delete() at once; a fresh session's would wait for a flush${eol}${indent}` });
  if (decl.type) out.edits.push({ start: decl.type.end, end: decl.type.end, text: ' | undefined' });
  record(
    out,
    'query',
    init.right.getStart(facts.sf),
    `the fallback \`${factoryText}()\` of \`${session}\` dropped: without a session the helper queries with ROME's Query(M), whose update()/delete() write at once as SQL's autocommit did (a fresh RomeSession only queues them for a flush nobody calls)`,
    drop,
  );
  for (const q of queries) {
    const args = q.arguments.map((a) => a.getText(facts.sf)).join(', ');
    // a conditional needs parentheses unless it stands alone as a value
    const p = q.parent;
    const alone = (ts.isVariableDeclaration(p) && p.initializer === q) || ts.isReturnStatement(p) || (ts.isBinaryExpression(p) && p.right === q && p.operatorToken.kind === ts.SyntaxKind.EqualsToken);
    const start = q.getStart(facts.sf);
    const before = { start, end: start, text: `${alone ? '' : '('}${session} ? ` };
    const after = { start: q.end, end: q.end, text: ` : new RomeQuery(${args})${alone ? '' : ')'}` };
    out.edits.push(before);
    record(out, 'query', start, `\`${q.getText(facts.sf)}\` made without a session when none is given: \`new RomeQuery(${args})\``, after);
    out.needs.push({ kind: 'import', name: 'RomeQuery', edit: after });
  }
  const group = {};
  for (const e of out.edits.slice(from)) e.group = group;
}

/**
 * A fallback bound to no name (`sqlalchemyutils.model_query(model, kwargs.session || get_session())`,
 * `{ session: kwargs.session || get_session() }`): handed straight to a query helper, it goes (the
 * helper queries without a session when none is given); anywhere else it is kept for a human. Left
 * as it was, the fresh session's bulk update()/delete() waited for a flush nobody calls.
 */
function unboundFallback(facts: ModuleFacts, fallback: ts.BinaryExpression, out: RewriteResult): void {
  const factoryText = (bare(fallback.right) as ts.CallExpression).expression.getText(facts.sf);
  let arg: ts.Node = fallback;
  while (ts.isParenthesizedExpression(arg.parent)) arg = arg.parent;
  if (handedToQueryHelper(facts, arg)) {
    record(
      out,
      'query',
      fallback.right.getStart(facts.sf),
      `the fallback \`${factoryText}()\` of \`${fallback.left.getText(facts.sf)}\` dropped: the query helper it is handed to queries with ROME's Query(M) when no session is given, whose update()/delete() write at once as SQL's autocommit did (a fresh RomeSession only queues them for a flush nobody calls)`,
      { start: fallback.left.end, end: fallback.end, text: '' },
    );
    return;
  }
  out.manual.push({
    node: enclosingStatement(fallback),
    pos: fallback.right.getStart(facts.sf),
    reason: `a fresh \`${factoryText}()\` when \`${fallback.left.getText(facts.sf)}\` is not given, used for more than handing to a query helper: ROME's session only queues a query's update()/delete() for a flush nobody calls on it (SQL's session autocommitted); query without a session (\`new RomeQuery(M)\`) when none is given`,
  });
}

/** The session handed on to a query helper (oslo.db's model_query, the module's own): positionally or as its session option. */
function handedToQueryHelper(facts: ModuleFacts, id: ts.Node): boolean {
  let arg: ts.Node = id;
  const p = id.parent;
  if ((ts.isPropertyAssignment(p) && p.initializer === id) || ts.isShorthandPropertyAssignment(p)) {
    if (!facts.rules.queryOptions.session.includes(p.name.getText(facts.sf)) || !ts.isObjectLiteralExpression(p.parent)) return false;
    arg = p.parent;
  }
  const call = arg.parent;
  if (!ts.isCallExpression(call) || !call.arguments.includes(arg as ts.Expression)) return false;
  const callee = call.expression;
  const helper = ts.isIdentifier(callee) ? callee.text : ts.isPropertyAccessExpression(callee) ? callee.name.text : undefined;
  return helper !== undefined && (facts.queryHelpers.has(helper) || facts.rules.queryHelpers.includes(helper));
}
