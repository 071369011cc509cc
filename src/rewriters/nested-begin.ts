import ts from '../ts.cjs';
import { isSessionExpr, passesSession, sessionText, type ModuleFacts } from '../analyzer/module.js';
import { bindsName } from '../analyzer/scope.js';
import { enclosingStatement, walk } from '../analyzer/parse.js';
import type { ManualItem } from './types.js';

/**
 * A `begin()` that SQL refuses and ROME runs. SQLAlchemy's `session.begin()` without
 * `subtransactions` raises InvalidRequestError ("A transaction is already begun") on a session
 * already in a transaction (oslo.db's autocommit sessions); ROME's begin() nests, and flushes at
 * its end (lib/rome/core/session/session.py:16-30, 83-84). So a module function that begins on
 * the session its caller gave it, called (directly or through functions that hand their session
 * on) with the session of a unit of work, raises on SQL where the port runs the block. Manila's
 * availability_zone_create_if_not_exist catches that error and reads the zone instead: inside a
 * caller's unit it never creates one on SQL, and creates one on ROME. What the port should do
 * there is a person's call, so the begin() is marked, naming the caller.
 */
export function nestedBegins(facts: ModuleFacts): ManualItem[] {
  // a module on the target already (a port ported again) has ROME's begin(), its SQL flags gone
  if (facts.imports.some((imp) => imp.specifier === facts.rules.target.module)) return [];
  const method = facts.rules.transaction.method;
  const flags = new Set(facts.rules.transaction.droppedFlags);
  const isParam = (fn: ts.FunctionLikeDeclaration, name: string) => fn.parameters.some((p) => bindsName(p.name, name));
  const isBegin = (n: ts.Node): n is ts.CallExpression & { expression: ts.PropertyAccessExpression } =>
    ts.isCallExpression(n) && ts.isPropertyAccessExpression(n.expression) && n.expression.name.text === method && isSessionExpr(facts, n.expression.expression);
  // a flag object (`{ subtransactions: true }`) makes it a subtransaction SQL allows
  const flagged = (call: ts.CallExpression) => call.arguments.some((a) => ts.isObjectLiteralExpression(a) && a.properties.some((p) => flags.has(p.name?.getText(facts.sf) ?? '')));

  // functions that begin on a session they were given (their begin() calls, by function name)
  const begins = new Map<string, ts.CallExpression[]>();
  for (const [name, fn] of facts.localFunctions) {
    if (!fn.body) continue;
    const found: ts.CallExpression[] = [];
    walk(fn.body, (n) => {
      if (isBegin(n) && ts.isIdentifier(n.expression.expression) && isParam(fn, n.expression.expression.text) && !flagged(n)) found.push(n);
    });
    if (found.length > 0) begins.set(name, found);
  }
  // and those that hand a session they were given on to one of them (to a fixpoint): name → callee
  const via = new Map<string, string>();
  const reaches = (name: string) => begins.has(name) || via.has(name);
  for (let changed = true; changed; ) {
    changed = false;
    for (const [name, fn] of facts.localFunctions) {
      if (!fn.body || reaches(name)) continue;
      walk(fn.body, (n) => {
        if (via.has(name) || !ts.isCallExpression(n) || !ts.isIdentifier(n.expression) || !reaches(n.expression.text)) return;
        const passed = passesSession(facts, n);
        if (passed && isParam(fn, passed)) {
          via.set(name, n.expression.text);
          changed = true;
        }
      });
    }
  }
  if (begins.size === 0) return [];

  // a call inside a unit of work that hands the unit's session to one of them: marked there, where
  // the difference starts (the function itself keeps its rewrites: called without a unit's
  // session, SQL's begin() does begin)
  const out: ManualItem[] = [];
  const marked = new Set<number>();
  walk(facts.sf, (n) => {
    if (!isBegin(n)) return;
    // as passesSession writes the session a call hands on (`context.session`, blanks dropped)
    const session = sessionText(facts, n.expression.expression);
    if (!session) return;
    for (const arg of n.arguments) {
      if (!ts.isArrowFunction(arg) && !ts.isFunctionExpression(arg)) continue;
      walk(arg.body, (c) => {
        if (!ts.isCallExpression(c) || !ts.isIdentifier(c.expression) || !reaches(c.expression.text) || passesSession(facts, c) !== session) return;
        if (marked.has(c.getStart(facts.sf))) return;
        marked.add(c.getStart(facts.sf));
        const path = [c.expression.text];
        while (via.has(path[path.length - 1])) path.push(via.get(path[path.length - 1])!);
        const callee = path[path.length - 1];
        const through = path.length > 2 ? ` (through ${path.slice(1, -1).join(', ')})` : '';
        const text = `${c.expression.text}(...)`;
        out.push({
          node: enclosingStatement(c),
          pos: c.getStart(facts.sf),
          reason:
            `\`${text}\` hands this unit's session to ${callee}${through}, which calls begin() on it without subtransactions: SQL raises there, the session being in a transaction already, ` +
            `and ${callee} goes on to what catches the error, if anything does; ROME's begin() nests and flushes at its end (lib/rome/core/session/session.py:16-30, 83-84), so the port runs that block: decide by hand what it should do here`,
        });
      });
    }
  });
  return out;
}
