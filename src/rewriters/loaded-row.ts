import ts from '../ts.cjs';
import { flattenChain } from '../analyzer/chains.js';
import { bare, enclosingFunction, kindCache, queryStart, type ModuleFacts } from '../analyzer/module.js';
import { walk } from '../analyzer/parse.js';
import { declarationOf } from '../analyzer/scope.js';
import { bindsUnboundChange } from './session-add.js';
import { record, type RewriteResult } from './types.js';

/**
 * Part of the `query` rewriter (query.ts runs it; its records are `query` changes): an entity
 * update on a row a query returned sets the fields through the row.
 *
 * ROME returns a query's row as a LazyValue (lib/rome/core/lazy.py, class LazyValue): a read of a
 * stored field answers the row as loaded (`wrapped_dict`), a method call such as `update(values)`
 * runs on the entity behind it (`wrapped_value`) and leaves the loaded row as it was, while an
 * assignment (`__setattr__`) writes both. After `ref.update(values)` the entity — what save() and
 * the session's flush write — is right, but `ref.x` and the row returned to the caller show the
 * loaded values. SQLAlchemy's `ModelBase.update(values)` is a setattr per key (oslo.db
 * models.py), so `Object.assign(ref, values)` (a [[Set]] per key: ROME's `__setattr__`) is its
 * faithful port. `update(values)` returns nothing in SQL; where the call's value is used, the port
 * keeps that: `void Object.assign(ref, values)`.
 *
 * Rewritten only when the receiver is a row a query loaded: a query's first()/one() (also through
 * a query variable), a module helper every return of which is such a row, a variable every
 * binding of which is one (declared, assigned later, a loop over all() or over a query, an
 * element of all()'s list). Never a query's bulk update, an entity made with `new`, a parameter,
 * or anything whose origin port-db cannot tell: that code is left as it is.
 */
export const loadedRowUpdates = {
  description:
    "An entity's update(values) on a row a query loaded (first()/one(), a module helper returning one, a variable bound only to such rows, a loop over all()) " +
    'becomes Object.assign(row, values): ROME\'s loaded row reads its fields as loaded, and update() would change only the entity behind it; ' +
    'where the call\'s value is used, `void` keeps what SQL\'s update() returned (nothing), and where it is tested (a condition, `!`, the left of ||, && or ??) ' +
    '`(Object.assign(row, values), undefined)` does, which TypeScript accepts there. A query\'s bulk update, an entity made with `new` and a receiver of unclear origin are left as they are.',
  sample: {
    before: `import * as models from '../models';
import { model_query } from 'rome-orm';

export async function service_update(context: any, id: number, values: any) {
  const ref = await model_query(context, models.Service).filter_by({ id }).first();
  ref.update(values);
  return ref;
}
`,
    after: `import * as models from '../models';
import { model_query } from 'rome-orm';

export async function service_update(context: any, id: number, values: any) {
  const ref = await model_query(context, models.Service).filter_by({ id }).first();
  Object.assign(ref, values);
  return ref;
}
`,
  },
  rewrite(facts: ModuleFacts, out: RewriteResult): void {
    const origins = originsOf(facts);
    walk(facts.sf, (n) => {
      const receiver = rowUpdateReceiver(facts, n);
      if (!receiver || origins.of(receiver) !== 'row') return;
      const call = n as ts.CallExpression;
      // an unbound change through a unit's session in a statement of its own is session-add's: it
      // binds the row to a name and writes the Object.assign itself (assignThroughRow); a load
      // through another session, or outside a unit of work, is not bound there and is rewritten here
      if (standsAlone(call) && bindsUnboundChange(facts, call)) return;
      const used = !isDiscarded(call);
      // TypeScript rejects a `void` it can see as a condition (always falsy) or before `??`
      const tested = used ? testedAs(call) : undefined;
      const paren = ts.isParenthesizedExpression(receiver);
      const inner = paren ? receiver.expression : receiver;
      const arg = call.arguments[0];
      const voided = used && !tested;
      const open = `${voided ? 'void ' : ''}Object.assign(`;
      const wrapped = tested !== undefined || (used && needsParens(call));
      const start = receiver.getStart(facts.sf);
      const pos = (call.expression as ts.PropertyAccessExpression).name.getStart(facts.sf);
      const becomes = tested === 'nullish' ? '(Object.assign(...), <the right of ??>)' : tested ? '(Object.assign(...), undefined)' : `${voided ? 'void ' : ''}Object.assign(...)`;
      const detail =
        `\`${oneLine(receiver.getText(facts.sf))}.${(call.expression as ts.PropertyAccessExpression).name.text}(...)\` on a row a query loaded becomes \`${becomes}\`: ` +
        `ROME's loaded row reads its fields as loaded; update() would change only the entity behind it (lazy.py)` +
        (voided ? "; `void` keeps what SQL's update() returned (nothing)" : tested ? "; the value is what SQL's update() returned (nothing), in a form TypeScript accepts there" : '');
      const group = {};
      // only the text around the receiver and the arguments changes: rewrites inside them still apply
      record(out, 'query', pos, detail, { start, end: inner.getStart(facts.sf), text: `${wrapped ? '(' : ''}${open}`, independent: true, group });
      out.edits.push({ start: inner.end, end: arg.getStart(facts.sf), text: ', ', independent: true, group });
      if (tested === 'nullish') {
        // `X ?? y` with X always undefined is `(X, y)`
        const test = testedBinary(call)!;
        out.edits.push({ start: test.left.end, end: test.operatorToken.end, text: ',', independent: true, group });
        out.edits.push({ start: test.end, end: test.end, text: ')', independent: true, group });
      } else if (wrapped) out.edits.push({ start: call.end, end: call.end, text: tested ? ', undefined)' : ')', independent: true, group });
    });
  },
};

/**
 * For session-add, which binds an unbound change (`(await _get(..., { session })).update(v)` →
 * `const ref = await _get(...); ref.update(v)`): when the change is an update of a row a query
 * loaded, where its values start (the binding writes `Object.assign(ref, ` up to there) and the
 * `query` record's detail.
 */
export function assignThroughRow(facts: ModuleFacts, n: ts.Node): { argStart: number; detail: string } | undefined {
  const receiver = rowUpdateReceiver(facts, n);
  if (!receiver || originsOf(facts).of(receiver) !== 'row') return undefined;
  return {
    argStart: (n as ts.CallExpression).arguments[0].getStart(facts.sf),
    detail: "`update(...)` on a row a query loaded becomes `Object.assign(...)` on the name it is bound to: ROME's loaded row reads its fields as loaded; update() would change only the entity behind it (lazy.py)",
  };
}

/** `X.update(values)` with the pack's update method and one plain argument: X, else undefined. */
function rowUpdateReceiver(facts: ModuleFacts, n: ts.Node): ts.Expression | undefined {
  if (!ts.isCallExpression(n) || n.questionDotToken || !ts.isPropertyAccessExpression(n.expression)) return undefined;
  const access = n.expression;
  if (access.questionDotToken || !ts.isIdentifier(access.name) || !facts.rules.methods.update.includes(access.name.text)) return undefined;
  if (n.arguments.length !== 1 || ts.isSpreadElement(n.arguments[0])) return undefined;
  return access.expression;
}

/** What an expression yields: a row a query loaded, a list of them, a query, nothing (null/undefined); undefined when unclear. */
type Origin = 'row' | 'rows' | 'query' | 'empty';

const ROW_TERMINALS = new Set(['first', 'one', 'one_or_none', 'oneOrNone']);

/** The origins of a module's expressions, computed lazily with one name resolver. */
export function originsOf(facts: ModuleFacts): { of(e: ts.Expression): Origin | undefined } {
  const envOf = kindCache(facts);
  const helpers = new Map<string, Origin | undefined>();
  const variables = new Map<ts.VariableDeclaration, Origin | undefined>();
  const pending = new Set<unknown>();

  /** All values agree on one origin (nothing aside); anything unclear makes the whole unclear. */
  const agree = (values: Array<Origin | undefined>): Origin | undefined => {
    let found: Origin | undefined;
    for (const v of values) {
      if (v === undefined) return undefined;
      if (v === 'empty') continue;
      if (found && found !== v) return undefined;
      found = v;
    }
    return found ?? (values.length > 0 ? 'empty' : undefined);
  };

  const helperOrigin = (name: string): Origin | undefined => {
    if (helpers.has(name)) return helpers.get(name);
    const fn = facts.localFunctions.get(name);
    if (!fn?.body || pending.has(fn)) return undefined;
    pending.add(fn);
    const values: Array<Origin | undefined> = [];
    if (!ts.isBlock(fn.body)) values.push(of(fn.body));
    else {
      const visit = (n: ts.Node): void => {
        if (ts.isFunctionLike(n)) return;
        if (ts.isReturnStatement(n)) values.push(n.expression ? of(n.expression) : 'empty');
        ts.forEachChild(n, visit);
      };
      ts.forEachChild(fn.body, visit);
    }
    pending.delete(fn);
    const result = agree(values);
    helpers.set(name, result);
    return result;
  };

  const variableOrigin = (id: ts.Identifier): Origin | undefined => {
    const decl = localDeclarationOf(id);
    const fn = decl && enclosingFunction(decl);
    if (!decl || !fn) return undefined;
    if (variables.has(decl)) return variables.get(decl);
    if (pending.has(decl)) return undefined;
    pending.add(decl);
    const values: Array<Origin | undefined> = [];
    const loop = decl.parent.parent;
    if (ts.isForOfStatement(loop)) values.push(rowOfIteration(of(loop.expression)));
    else if (ts.isForInStatement(loop)) values.push(undefined);
    else values.push(decl.initializer ? of(decl.initializer) : 'empty');
    // every other write of the variable: in the function that declares it (callbacks in it too)
    walk(fn, (n) => {
      if (ts.isIdentifier(n) && n !== decl.name && n.text === id.text && localDeclarationOf(n) === decl) values.push(...writesOf(n));
    });
    pending.delete(decl);
    const result = agree(values);
    variables.set(decl, result);
    return result;
  };

  /** The values a write at this reference gives the variable: none for a read; undefined when it cannot tell. */
  const writesOf = (ref: ts.Identifier): Array<Origin | undefined> => {
    let n: ts.Node = ref;
    while (ts.isParenthesizedExpression(n.parent)) n = n.parent;
    const p = n.parent;
    if (ts.isBinaryExpression(p) && p.left === n) {
      const op = p.operatorToken.kind;
      if (op === ts.SyntaxKind.EqualsToken || op === ts.SyntaxKind.QuestionQuestionEqualsToken || op === ts.SyntaxKind.BarBarEqualsToken || op === ts.SyntaxKind.AmpersandAmpersandEqualsToken) {
        return [of(p.right)];
      }
      if (op >= ts.SyntaxKind.FirstAssignment && op <= ts.SyntaxKind.LastAssignment) return [undefined];
    }
    if ((ts.isForOfStatement(p) || ts.isForInStatement(p)) && p.initializer === n) return [ts.isForOfStatement(p) ? rowOfIteration(of(p.expression)) : undefined];
    if ((ts.isPrefixUnaryExpression(p) || ts.isPostfixUnaryExpression(p)) && (p.operator === ts.SyntaxKind.PlusPlusToken || p.operator === ts.SyntaxKind.MinusMinusToken)) return [undefined];
    // inside a destructuring assignment (`[ref] = rows`, `({ ref } = x)`)
    for (let q: ts.Node = n; q.parent; q = q.parent) {
      const up = q.parent;
      if (ts.isArrayLiteralExpression(up) || ts.isObjectLiteralExpression(up) || ts.isShorthandPropertyAssignment(up) || ts.isSpreadElement(up) || ts.isSpreadAssignment(up) || ts.isParenthesizedExpression(up)) continue;
      if (ts.isPropertyAssignment(up) && up.initializer === q) continue;
      if (ts.isBinaryExpression(up) && up.left === q && q !== n && up.operatorToken.kind === ts.SyntaxKind.EqualsToken) return [undefined];
      if ((ts.isForOfStatement(up) || ts.isForInStatement(up)) && up.initializer === q && q !== n) return [undefined];
      break;
    }
    return [];
  };

  const of = (expr: ts.Expression): Origin | undefined => {
    const e = bare(expr);
    if (e.kind === ts.SyntaxKind.NullKeyword || (ts.isIdentifier(e) && e.text === 'undefined')) return 'empty';
    if (ts.isIdentifier(e)) return variableOrigin(e);
    if (ts.isElementAccessExpression(e)) return of(e.expression) === 'rows' ? 'row' : undefined;
    // `c ? row : null`, `row ?? null`: whichever it yields
    if (ts.isConditionalExpression(e)) return agree([of(e.whenTrue), of(e.whenFalse)]);
    if (ts.isBinaryExpression(e) && [ts.SyntaxKind.QuestionQuestionToken, ts.SyntaxKind.BarBarToken].includes(e.operatorToken.kind)) return agree([of(e.left), of(e.right)]);
    if (!ts.isCallExpression(e)) return undefined;
    if (ts.isIdentifier(e.expression)) {
      if (facts.queryHelpers.has(e.expression.text)) return 'query';
      return facts.localFunctions.has(e.expression.text) ? helperOrigin(e.expression.text) : undefined;
    }
    const chain = flattenChain(e);
    const start = queryStart(facts, chain, envOf(e));
    if (start < 0) return undefined;
    const last = chain.links[chain.links.length - 1];
    if (chain.links.length === start) return 'query';
    if (ROW_TERMINALS.has(last.name)) return 'row';
    if (last.name === 'all') return 'rows';
    // the other terminals (count, update, delete, ...) answer no rows
    return ['count', 'update', 'delete', 'soft_delete', 'softDelete', 'exists', 'scalar'].includes(last.name) ? undefined : 'query';
  };

  return { of };
}

/**
 * The `let`/`const` declaration a name refers to, by block scope, when it is a plain variable of
 * a function: undefined for a parameter, a destructured or `var` binding, a catch variable, a
 * function or class, or a module-level variable (any function may write that).
 */
function localDeclarationOf(id: ts.Identifier): ts.VariableDeclaration | undefined {
  const d = declarationOf(id, id.text);
  if (!d || !ts.isVariableDeclaration(d) || !ts.isIdentifier(d.name) || !ts.isVariableDeclarationList(d.parent)) return undefined;
  if (!(d.parent.flags & (ts.NodeFlags.Let | ts.NodeFlags.Const))) return undefined;
  const st = d.parent.parent;
  return ts.isVariableStatement(st) && ts.isSourceFile(st.parent) ? undefined : d;
}

/** What a loop over a value binds: each row of a list of rows or of a query. */
function rowOfIteration(o: Origin | undefined): Origin | undefined {
  return o === 'rows' || o === 'query' ? 'row' : undefined;
}

/** `X.update(v);` or `return X.update(v);` as a statement of its own (the forms session-add binds). */
function standsAlone(call: ts.CallExpression): boolean {
  const p = call.parent;
  return (ts.isExpressionStatement(p) || ts.isReturnStatement(p)) && p.expression === call;
}

/** The call's value is thrown away: a statement of its own, an awaited one, `void`, the left of a comma. */
function isDiscarded(call: ts.CallExpression): boolean {
  let n: ts.Node = call;
  while (ts.isParenthesizedExpression(n.parent) || (ts.isAwaitExpression(n.parent) && n.parent.expression === n)) n = n.parent;
  const p = n.parent;
  return (
    ts.isExpressionStatement(p) ||
    ts.isVoidExpression(p) ||
    (ts.isBinaryExpression(p) && p.operatorToken.kind === ts.SyntaxKind.CommaToken && p.left === n) ||
    (ts.isForStatement(p) && (p.incrementor === n || p.initializer === n))
  );
}

/** The binary expression whose left operand the call is (through parentheses). */
function testedBinary(call: ts.CallExpression): ts.BinaryExpression | undefined {
  let n: ts.Node = call;
  while (ts.isParenthesizedExpression(n.parent)) n = n.parent;
  return ts.isBinaryExpression(n.parent) && n.parent.left === n ? n.parent : undefined;
}

/**
 * Where the call's value is tested: TypeScript rejects a `void` expression there as always falsy
 * (TS2873: a condition, `!`, the left of `||`/`&&`), and an operand always undefined on the left of
 * `??` (TS2869, TS2871). 'nullish' for the left of `??`, 'truth' for the others.
 */
function testedAs(call: ts.CallExpression): 'nullish' | 'truth' | undefined {
  let n: ts.Node = call;
  while (ts.isParenthesizedExpression(n.parent)) n = n.parent;
  const p = n.parent;
  const op = testedBinary(call)?.operatorToken.kind;
  if (op === ts.SyntaxKind.QuestionQuestionToken) return 'nullish';
  if (op === ts.SyntaxKind.BarBarToken || op === ts.SyntaxKind.AmpersandAmpersandToken) return 'truth';
  if (ts.isConditionalExpression(p) && p.condition === n) return 'truth';
  if (ts.isPrefixUnaryExpression(p) && p.operator === ts.SyntaxKind.ExclamationToken) return 'truth';
  if ((ts.isIfStatement(p) || ts.isWhileStatement(p) || ts.isDoStatement(p)) && p.expression === n) return 'truth';
  if (ts.isForStatement(p) && p.condition === n) return 'truth';
  return undefined;
}

/** `void Object.assign(...)` is a unary expression: parentheses unless it stands where one may. */
function needsParens(call: ts.CallExpression): boolean {
  const p = call.parent;
  return !(
    (ts.isReturnStatement(p) && p.expression === call) ||
    (ts.isVariableDeclaration(p) && p.initializer === call) ||
    (ts.isArrowFunction(p) && p.body === call) ||
    (ts.isCallExpression(p) && p.arguments.includes(call)) ||
    ts.isArrayLiteralExpression(p) ||
    (ts.isPropertyAssignment(p) && p.initializer === call) ||
    (ts.isBinaryExpression(p) && p.right === call && p.operatorToken.kind >= ts.SyntaxKind.FirstAssignment && p.operatorToken.kind <= ts.SyntaxKind.LastAssignment) ||
    ts.isParenthesizedExpression(p) ||
    ts.isAwaitExpression(p)
  );
}

function oneLine(text: string): string {
  const first = text.replace(/\s+/g, ' ');
  return first.length > 60 ? `${first.slice(0, 57)}...` : first;
}
