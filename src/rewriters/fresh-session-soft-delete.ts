import ts from '../ts.cjs';
import { bare, enclosingFunction, passesSession, type ModuleFacts } from '../analyzer/module.js';
import { enclosingStatement, indentAt, walk } from '../analyzer/parse.js';
import { bindsName, declarationOf } from '../analyzer/scope.js';
import { record, type RewriteResult } from './types.js';

/**
 * Part of the `session` rewriter (session.ts runs it; its records are `session` changes): an entity's `soft_delete(session)` on a fresh session outside any unit of work.
 *
 * oslo.db's `soft_delete(session)` saves the row, and its `save(session)` flushes. ROME's only
 * adds the row to the session and returns (lib/rome/core/models.py, `soft_delete`: `session.add(self);
 * return`), so on a session made in the function (`const session = get_session()`), never begun
 * around the call and never flushed, the soft delete is lost (Manila's
 * export_location_metadata_delete). The port flushes the session after the statement, as oslo.db did.
 */
export const freshSessionSoftDeletes = {
  description:
    "An entity's soft_delete(session) on a session the function made itself, outside its begin() and never flushed, is followed by `await session.flush()`: " +
    "ROME's soft_delete(session) only adds the row to the session, oslo.db's saved and flushed it.",
  rewrite(facts: ModuleFacts, out: RewriteResult): void {
    const methods = facts.rules.methods.softDelete;
    walk(facts.sf, (n) => {
      if (!ts.isCallExpression(n) || !ts.isPropertyAccessExpression(n.expression) || !methods.includes(n.expression.name.text)) return;
      // an entity's: a query's soft_delete() takes no session, and a session has none
      const session = passesSession(facts, n);
      if (!session) return;
      // the function that made the session: the call may sit in a callback inside it (another
      // session's begin()); inside this session's own begin(), freshAndNeverFlushed sees the begin
      const fn = ownerOf(n, session);
      const fresh = fn?.body ? freshAndNeverFlushed(facts, fn, session) : 'no';
      if (fresh === 'no') return;
      const stmt = enclosingStatement(n);
      const call = `\`${n.expression.getText(facts.sf)}(...)\` on ${session}`;
      if (fresh === 'maybe' || !ts.isExpressionStatement(stmt) || !ts.isAwaitExpression(stmt.expression)) {
        // the flush is right only when the session is the one made here, or there is no statement to
        // put it after without changing what runs when (not awaited, or its value used)
        const what = fresh === 'maybe' ? 'a session made here and never flushed, or another one' : 'made here and never flushed, is not an awaited statement';
        out.manual.push({ node: stmt, pos: n.getStart(facts.sf), reason: `${call}, ${what}: ROME's soft_delete(session) only adds the row; flush ${session} after it by hand` });
        return;
      }
      const indent = indentAt(facts.text, stmt.getStart(facts.sf));
      const edit = { start: stmt.end, end: stmt.end, text: `${facts.eol}${indent}await ${session}.flush(); // ROME's soft_delete(session) only adds the row: oslo.db's saved it` };
      record(out, 'session', n.getStart(facts.sf), `${call}, made here and never flushed: \`await ${session}.flush()\` after it (ROME's soft_delete(session) only adds the row to the session, oslo.db's save flushed it)`, edit);
    });
  },
};

/** The function whose parameter or variable `name` at n refers to (by lexical scope), if any. */
function ownerOf(n: ts.Node, name: string): ts.FunctionLikeDeclaration | undefined {
  const decl = declarationOf(n, name);
  return decl && (ts.isParameter(decl) || ts.isVariableDeclaration(decl)) ? enclosingFunction(decl) : undefined;
}

/**
 * fn's `session` is bound to a session-factory call (`const session = get_session()`, or `let
 * session;` then `session = get_session()`) and fn never flushes or begins it: 'fresh', or 'maybe'
 * when it may hold another session too (a parameter, `session || get_session()`, `session =
 * options.session`). A nested function's own `session` is another variable.
 */
function freshAndNeverFlushed(facts: ModuleFacts, fn: ts.FunctionLikeDeclaration, session: string): 'fresh' | 'maybe' | 'no' {
  let declared = false;
  let flushed = false;
  // a parameter holds the caller's session
  let other = fn.parameters.some((p) => bindsName(p.name, session));
  walk(fn.body!, (n) => {
    let bound: ts.Expression | undefined;
    let method: string | undefined;
    if (ts.isVariableDeclaration(n) && ts.isIdentifier(n.name) && n.name.text === session) bound = n.initializer;
    else if (ts.isBinaryExpression(n) && n.operatorToken.kind === ts.SyntaxKind.EqualsToken && ts.isIdentifier(n.left) && n.left.text === session) bound = n.right;
    else if (ts.isCallExpression(n) && ts.isPropertyAccessExpression(n.expression) && ts.isIdentifier(n.expression.expression) && n.expression.expression.text === session) method = n.expression.name.text;
    else return;
    // a nested function's own `session` is another variable
    if (ownerOf(n, session) !== fn) return;
    if (method !== undefined) {
      if (method === 'flush' || method === 'commit' || facts.rules.methods.begin.includes(method)) flushed = true;
    } else if (bound && isFactoryCall(facts, bound)) declared = true;
    else if (bound) {
      // (`let session;` binds nothing yet) `session || get_session()`: the caller's, or a fresh one
      const b = bare(bound);
      const fallback = ts.isBinaryExpression(b) && [ts.SyntaxKind.BarBarToken, ts.SyntaxKind.QuestionQuestionToken].includes(b.operatorToken.kind) && isFactoryCall(facts, b.right);
      if (fallback) declared = true;
      other = true;
    }
  });
  if (!declared || flushed) return 'no';
  return other ? 'maybe' : 'fresh';
}

function isFactoryCall(facts: ModuleFacts, e: ts.Expression): boolean {
  const b = bare(e);
  return ts.isCallExpression(b) && ts.isIdentifier(b.expression) && facts.sessionFactories.has(b.expression.text);
}
