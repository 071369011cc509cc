import ts from '../ts.cjs';
import { bare, enclosingFunction, isSessionExpr, passesSession, type ModuleFacts } from '../analyzer/module.js';
import { enclosingStatement, indentAt, walk } from '../analyzer/parse.js';
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
      // the receiver is an entity, not the session or a query (`session.query(M).soft_delete()`)
      if (isSessionExpr(facts, n.expression.expression) || ts.isCallExpression(bare(n.expression.expression))) return;
      const session = passesSession(facts, n);
      if (!session) return;
      // the function that made the session: the call may sit in a callback inside it (another
      // session's begin()); inside this session's own begin(), freshAndNeverFlushed sees the begin
      let fn = enclosingFunction(n);
      while (fn?.body && !declaresHere(fn, session)) fn = enclosingFunction(fn);
      if (!fn?.body || !freshAndNeverFlushed(facts, fn, session)) return;
      const stmt = enclosingStatement(n);
      if (!ts.isExpressionStatement(stmt) || !ts.isAwaitExpression(stmt.expression)) return;
      const indent = indentAt(facts.text, stmt.getStart(facts.sf));
      const edit = { start: stmt.end, end: stmt.end, text: `${facts.eol}${indent}await ${session}.flush(); // ROME's soft_delete(session) only adds the row: oslo.db's saved it` };
      record(out, 'session', n.getStart(facts.sf), `\`${n.expression.getText(facts.sf)}(...)\` on ${session}, made here and never flushed: \`await ${session}.flush()\` after it (ROME's soft_delete(session) only adds the row to the session, oslo.db's save flushed it)`, edit);
    });
  },
};

/** `name` is a variable fn's own body declares (not a nested function's). */
function declaresHere(fn: ts.FunctionLikeDeclaration, name: string): boolean {
  let found = false;
  walk(fn.body!, (n) => {
    if (ts.isVariableDeclaration(n) && ts.isIdentifier(n.name) && n.name.text === name && enclosingFunction(n) === fn) found = true;
  });
  return found;
}

/** `session` is declared in fn, bound only to session-factory calls, and fn never flushes or begins it. */
function freshAndNeverFlushed(facts: ModuleFacts, fn: ts.FunctionLikeDeclaration, session: string): boolean {
  let declared = false;
  let other = false;
  walk(fn.body!, (n) => {
    if (ts.isVariableDeclaration(n) && ts.isIdentifier(n.name) && n.name.text === session) {
      if (n.initializer && isFactoryCall(facts, n.initializer) && enclosingFunction(n) === fn) declared = true;
      else other = true;
    }
    if (ts.isBinaryExpression(n) && n.operatorToken.kind === ts.SyntaxKind.EqualsToken && ts.isIdentifier(n.left) && n.left.text === session && !isFactoryCall(facts, n.right)) other = true;
    if (ts.isCallExpression(n) && ts.isPropertyAccessExpression(n.expression) && ts.isIdentifier(n.expression.expression) && n.expression.expression.text === session) {
      const method = n.expression.name.text;
      if (method === 'flush' || method === 'commit' || facts.rules.methods.begin.includes(method)) other = true;
    }
  });
  return declared && !other;
}

function isFactoryCall(facts: ModuleFacts, e: ts.Expression): boolean {
  const b = bare(e);
  return ts.isCallExpression(b) && ts.isIdentifier(b.expression) && facts.sessionFactories.has(b.expression.text);
}
