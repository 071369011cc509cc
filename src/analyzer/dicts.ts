import ts from '../ts.cjs';
import { flattenChain } from './chains.js';
import { bare, isSessionExpr, kindOf, passesSession, queryStart, variableKinds, type ModuleFacts, type ValueKind } from './module.js';
import { walk } from './parse.js';

/**
 * Local functions that load rows through the session they are given and return them keyed by a
 * field: `return Object.fromEntries(rows.map((row) => [row.resource, row]))`, or
 * `result[row.resource] = row` in a loop over the rows, then `return result`. What a caller gets
 * from them (`usages[resource]`) is an entity of the caller's session. Pure.
 */
export function entityDictHelpers(facts: ModuleFacts): Set<string> {
  const out = new Set<string>();
  for (const [name, fn] of facts.localFunctions) {
    if (!fn.body || !ts.isBlock(fn.body)) continue;
    const params = parameterNames(fn);
    const env = variableKinds(facts, fn);
    // lists loaded through a session the function receives
    const lists = new Set<string>();
    walk(fn.body, (n) => {
      if (ts.isVariableDeclaration(n) && ts.isIdentifier(n.name) && n.initializer && kindOf(facts, n.initializer, env) === 'list') {
        const s = sessionOfLoad(facts, n.initializer, env);
        if (s && params.has(s)) lists.add(n.name.text);
      }
    });
    if (lists.size === 0) continue;
    const keyedLoops = keyedResults(fn.body, lists);
    let returnsDict = false;
    walk(fn.body, (n) => {
      if (!ts.isReturnStatement(n) || !n.expression || enclosingFn(n) !== fn) return;
      const e = bare(n.expression);
      if (ts.isIdentifier(e) && keyedLoops.has(e.text)) returnsDict = true;
      if (isFromEntriesOfRows(e, lists)) returnsDict = true;
    });
    if (returnsDict) out.add(name);
  }
  return out;
}

/** Names a function's parameters bind, destructured options included. */
function parameterNames(fn: ts.FunctionLikeDeclaration): Set<string> {
  const names = new Set<string>();
  const add = (b: ts.BindingName) => {
    if (ts.isIdentifier(b)) names.add(b.text);
    else for (const el of b.elements) if (!ts.isOmittedExpression(el)) add(el.name);
  };
  for (const p of fn.parameters) add(p.name);
  return names;
}

/** The session a load goes through: `f(ctx, { session })`, `model_query(..., { session }).all()`, `session.query(M).all()`. */
function sessionOfLoad(facts: ModuleFacts, expr: ts.Expression, env: Map<string, ValueKind>): string | undefined {
  const e = bare(expr);
  if (!ts.isCallExpression(e)) return undefined;
  if (ts.isIdentifier(e.expression)) return passesSession(facts, e);
  const chain = flattenChain(e);
  const start = queryStart(facts, chain, env);
  const root = bare(chain.root);
  if (start === 1 && ts.isIdentifier(root) && isSessionExpr(facts, root)) return root.text;
  if (start === 0 && ts.isCallExpression(root)) return passesSession(facts, root);
  return undefined;
}

/** `Object.fromEntries(rows.map((row) => [key, row]))` over one of `lists`. */
function isFromEntriesOfRows(e: ts.Expression, lists: Set<string>): boolean {
  if (!ts.isCallExpression(e) || e.expression.getText() !== 'Object.fromEntries' || e.arguments.length !== 1) return false;
  const map = bare(e.arguments[0]);
  if (!ts.isCallExpression(map) || !ts.isPropertyAccessExpression(map.expression) || map.expression.name.text !== 'map') return false;
  const target = bare(map.expression.expression);
  if (!ts.isIdentifier(target) || !lists.has(target.text)) return false;
  const cb = map.arguments[0];
  if (!cb || !(ts.isArrowFunction(cb) || ts.isFunctionExpression(cb))) return false;
  const param = cb.parameters[0];
  if (!param || !ts.isIdentifier(param.name)) return false;
  let value: ts.Expression | undefined;
  if (!ts.isBlock(cb.body)) value = bare(cb.body);
  else if (cb.body.statements.length === 1 && ts.isReturnStatement(cb.body.statements[0])) value = cb.body.statements[0].expression;
  if (!value || !ts.isArrayLiteralExpression(value) || value.elements.length !== 2) return false;
  const second = value.elements[1];
  return ts.isIdentifier(second) && second.text === param.name.text;
}

/** Names `result` filled as `result[key] = row` in a `for (const row of rows)` over one of `lists`. */
function keyedResults(body: ts.Block, lists: Set<string>): Set<string> {
  const out = new Set<string>();
  walk(body, (n) => {
    if (!ts.isForOfStatement(n) || !ts.isIdentifier(n.expression) || !lists.has(n.expression.text)) return;
    if (!ts.isVariableDeclarationList(n.initializer)) return;
    const row = n.initializer.declarations[0]?.name;
    if (!row || !ts.isIdentifier(row)) return;
    walk(n.statement, (m) => {
      if (
        ts.isBinaryExpression(m) &&
        m.operatorToken.kind === ts.SyntaxKind.EqualsToken &&
        ts.isElementAccessExpression(m.left) &&
        ts.isIdentifier(m.left.expression) &&
        ts.isIdentifier(m.right) &&
        m.right.text === row.text
      ) {
        out.add(m.left.expression.text);
      }
    });
  });
  return out;
}

function enclosingFn(node: ts.Node): ts.Node | undefined {
  let n = node.parent;
  while (n && !ts.isFunctionLike(n)) n = n.parent;
  return n;
}
