import ts from '../ts.cjs';
import { flattenChain } from '../analyzer/chains.js';
import { bare, isSessionExpr, kindOf, passesSession, queryStart, type ModuleFacts, type ValueKind, kindCache } from '../analyzer/module.js';
import { indentAt, walk } from '../analyzer/parse.js';
import { emptyResult, record, type Rewriter, type RewriteResult } from './types.js';

/** A unit of work: the block whose session persists what it loaded. */
interface Unit {
  body: ts.Block;
  session: string;
}

/** `session.begin(async () => {...})` callbacks, and bodies of functions that take a required `session`. */
function unitsOfWork(facts: ModuleFacts): Unit[] {
  const units: Unit[] = [];
  walk(facts.sf, (n) => {
    if (ts.isCallExpression(n) && ts.isPropertyAccessExpression(n.expression) && facts.rules.methods.begin.includes(n.expression.name.text)) {
      const target = n.expression.expression;
      if (!isSessionExpr(facts, target) || !ts.isIdentifier(target)) return;
      for (const arg of n.arguments) {
        if ((ts.isArrowFunction(arg) || ts.isFunctionExpression(arg)) && ts.isBlock(arg.body)) units.push({ body: arg.body, session: target.text });
      }
    }
    if (ts.isFunctionLike(n) && 'body' in n && n.body && ts.isBlock(n.body)) {
      const p = n.parameters.find((p) => ts.isIdentifier(p.name) && p.name.text === 'session' && !p.questionToken && !p.initializer);
      if (p) units.push({ body: n.body, session: 'session' });
    }
  });
  return units;
}

/** True when `expr` loads entities through the unit's session. */
function loadsThroughSession(facts: ModuleFacts, expr: ts.Expression, session: string, env: Map<string, ValueKind>): boolean {
  const e = bare(expr);
  if (!ts.isCallExpression(e)) return false;
  if (ts.isIdentifier(e.expression)) return passesSession(facts, e) === session;
  const chain = flattenChain(e);
  const start = queryStart(facts, chain, env);
  if (start === 1) return ts.isIdentifier(bare(chain.root)) && (bare(chain.root) as ts.Identifier).text === session;
  const root = bare(chain.root);
  return start === 0 && ts.isCallExpression(root) && passesSession(facts, root) === session;
}

/** Is `n` a change of the entity `name`? update(values), field writes, Object.assign. */
function isMutation(facts: ModuleFacts, n: ts.Node, name: string): boolean {
  const isName = (e: ts.Expression) => ts.isIdentifier(e) && e.text === name;
  if (ts.isCallExpression(n)) {
    const c = n.expression;
    if (ts.isPropertyAccessExpression(c) && isName(c.expression) && facts.rules.methods.update.includes(c.name.text)) return true;
    if (ts.isPropertyAccessExpression(c) && c.getText() === 'Object.assign' && n.arguments[0] && isName(n.arguments[0])) return true;
  }
  if (ts.isBinaryExpression(n) && n.operatorToken.kind >= ts.SyntaxKind.FirstAssignment && n.operatorToken.kind <= ts.SyntaxKind.LastAssignment) {
    const l = n.left;
    return (ts.isPropertyAccessExpression(l) || ts.isElementAccessExpression(l)) && isName(l.expression);
  }
  if ((ts.isPostfixUnaryExpression(n) || ts.isPrefixUnaryExpression(n)) && (n.operator === ts.SyntaxKind.PlusPlusToken || n.operator === ts.SyntaxKind.MinusMinusToken)) {
    const o = n.operand;
    return (ts.isPropertyAccessExpression(o) || ts.isElementAccessExpression(o)) && isName(o.expression);
  }
  return false;
}

/** Is `n` an add or a save that persists `name` in this unit? */
function isPersist(facts: ModuleFacts, n: ts.Node, name: string, session: string): boolean {
  if (!ts.isCallExpression(n) || !ts.isPropertyAccessExpression(n.expression)) return false;
  const target = n.expression.expression;
  const method = n.expression.name.text;
  if (ts.isIdentifier(target) && target.text === session && facts.rules.methods.add.includes(method)) {
    return n.arguments.some((a) => a.getText().split(/\W+/).includes(name));
  }
  if (ts.isIdentifier(target) && target.text === name) {
    return facts.rules.methods.save.includes(method) || facts.rules.methods.softDelete.includes(method) || method === 'delete';
  }
  return false;
}

/** Inserts `session.add(name)` after the last statement of `block` that changes `name`, unless persisted. */
function addAfterLastChange(facts: ModuleFacts, block: ts.Block | ts.Statement, name: string, session: string, out: RewriteResult): void {
  const stmts = ts.isBlock(block) ? [...block.statements] : [block];
  let last: ts.Statement | undefined;
  let persisted = false;
  let lastMutation: ts.Node | undefined;
  for (const st of stmts) {
    let mutates = false;
    const visit = (n: ts.Node) => {
      if (isMutation(facts, n, name)) {
        mutates = true;
        lastMutation = n;
      }
      if (isPersist(facts, n, name, session)) persisted = true;
      ts.forEachChild(n, visit);
    };
    visit(st);
    if (mutates) last = st;
  }
  if (!last || persisted || !lastMutation) return;
  const change = lastMutation.getText(facts.sf).split('\n')[0].slice(0, 60);
  const detail = `adds \`${session}.add(${name})\` after \`${change}\` so the ROME session saves it (ROME has no dirty tracking)`;
  const indent = indentAt(facts.text, last.getStart(facts.sf));
  const line = `${session}.add(${name});`;
  if (!ts.isBlock(block)) {
    // a loop body without braces: give it braces to hold the add (and end the body's statement
    // first when it was left to automatic semicolon insertion: `x.a = 1 session.add(x)` does not parse)
    out.edits.push({ start: block.getStart(facts.sf), end: block.getStart(facts.sf), text: '{ ' });
    const semi = needsSemicolon(facts, block) ? ';' : '';
    record(out, 'session-add', lastMutation.getStart(facts.sf), detail, { start: block.end, end: block.end, text: `${semi} ${line} }` });
  } else if (ts.isReturnStatement(last) || ts.isThrowStatement(last)) {
    record(out, 'session-add', lastMutation.getStart(facts.sf), detail, { start: last.getStart(facts.sf), end: last.getStart(facts.sf), text: `${line}${facts.eol}${indent}` });
  } else {
    record(out, 'session-add', lastMutation.getStart(facts.sf), detail, { start: last.end, end: last.end, text: `${facts.eol}${indent}${line}` });
  }
}

/**
 * Whether code may not follow `st` on the same line without a `;` first: the innermost statement
 * that ends where `st` ends is a simple one (expression, declaration, return, ...) written
 * without its semicolon. Statements ending in a block (`if (c) { }`, `try`, a function) need none.
 */
function needsSemicolon(facts: ModuleFacts, st: ts.Statement): boolean {
  let s: ts.Statement = st;
  for (;;) {
    if (ts.isIfStatement(s)) s = s.elseStatement ?? s.thenStatement;
    else if (ts.isIterationStatement(s, false) && !ts.isDoStatement(s)) s = s.statement;
    else if (ts.isLabeledStatement(s) || ts.isWithStatement(s)) s = s.statement;
    else break;
  }
  const simple =
    ts.isExpressionStatement(s) ||
    ts.isVariableStatement(s) ||
    ts.isReturnStatement(s) ||
    ts.isThrowStatement(s) ||
    ts.isBreakOrContinueStatement(s) ||
    ts.isDoStatement(s) ||
    ts.isDebuggerStatement(s) ||
    ts.isTypeAliasDeclaration(s) ||
    ts.isExportAssignment(s);
  return simple && facts.text[s.end - 1] !== ';';
}

export const sessionAddRewriter: Rewriter = {
  id: 'session-add',
  title: 'Objects changed in a unit of work are added to the ROME session',
  description:
    'A SQL session flushes every object it loaded and that changed; a RomeSession has no dirty tracking and writes only what was added. ' +
    'Every entity loaded through the session of a unit of work (a begin() callback, or a function that takes the session) and then ' +
    'changed (update(values), field writes, Object.assign) gets session.add(obj) after its last change, unless it is already added or saved.',
  samples: [
    {
      before: `export async function service_update(session: any, id: number) {
  const ref = await session.query(Service).filter_by({ id }).first();
  ref.update({ host: 'a' });
  return ref;
}

declare const Service: any;
`,
      after: `export async function service_update(session: any, id: number) {
  const ref = await session.query(Service).filter_by({ id }).first();
  ref.update({ host: 'a' });
  session.add(ref);
  return ref;
}

declare const Service: any;
`,
    },
  ],
  rewrite(facts) {
    const out = emptyResult();
    const envOf = kindCache(facts, true);
    for (const unit of unitsOfWork(facts)) {
      const env = envOf(unit.body.statements[0] ?? unit.body);
      walk(unit.body, (n) => {
        // stay in this unit: nested begin() callbacks are units of their own
        if (ts.isVariableDeclaration(n) && ts.isIdentifier(n.name) && n.initializer && ts.isVariableDeclarationList(n.parent)) {
          const kind = kindOf(facts, n.initializer, env);
          const declBlock = n.parent.parent.parent;
          if (kind === 'entity' && ts.isBlock(declBlock) && loadsThroughSession(facts, n.initializer, unit.session, env)) {
            addAfterLastChange(facts, declBlock, n.name.text, unit.session, out);
          }
          if (kind === 'list' && loadsThroughSession(facts, n.initializer, unit.session, env)) env.set(n.name.text, 'list');
        }
        if ((ts.isForOfStatement(n)) && ts.isVariableDeclarationList(n.initializer)) {
          const decl = n.initializer.declarations[0];
          if (!decl || !ts.isIdentifier(decl.name)) return;
          const iter = n.expression;
          const isList =
            (ts.isIdentifier(iter) && env.get(iter.text) === 'list') ||
            ((kindOf(facts, iter, env) === 'list' || kindOf(facts, iter, env) === 'query') && loadsThroughSession(facts, iter, unit.session, env));
          if (isList) addAfterLastChange(facts, n.statement, decl.name.text, unit.session, out);
        }
      });
    }
    // a unit nested in another is visited twice: keep one of each edit
    const seen = new Set<string>();
    out.edits = out.edits.filter((e) => !seen.has(`${e.start}:${e.text}`) && !!seen.add(`${e.start}:${e.text}`));
    const seenRec = new Set<string>();
    out.changes = out.changes.filter((c) => !seenRec.has(`${c.pos}`) && !!seenRec.add(`${c.pos}`));
    return out;
  },
};
