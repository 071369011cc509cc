import ts from '../ts.cjs';
import { isSessionExpr, passesSession, type ModuleFacts } from '../analyzer/module.js';
import { isAsyncFunction, walk } from '../analyzer/parse.js';
import { emptyResult, record, type Rewriter, type RewriteResult } from './types.js';
import { mapLibraryCalls } from './library.js';
import { nestedBegins } from './nested-begin.js';

/**
 * SQL's session flushes what was added before it runs a query (autoflush); ROME's does not, so
 * `session.add(ref)` followed, in the same unit of work, by a read through that session would
 * not find `ref` (Cinder's snapshot_create reads its snapshot back and raised SnapshotNotFound).
 * There the add of a new object becomes `await ref.save(session)`: add and flush, what autoflush did.
 */
function autoflush(facts: ModuleFacts, out: RewriteResult, unit: ts.Block, session: string): void {
  const statements = unit.statements;
  statements.forEach((st, i) => {
    if (!ts.isExpressionStatement(st) || !ts.isCallExpression(st.expression)) return;
    const call = st.expression;
    if (!ts.isPropertyAccessExpression(call.expression) || !ts.isIdentifier(call.expression.expression) || call.expression.expression.text !== session) return;
    if (!facts.rules.methods.add.includes(call.expression.name.text) || call.arguments.length !== 1 || !ts.isIdentifier(call.arguments[0])) return;
    const ref = call.arguments[0].text;
    // a new object: one loaded and changed is session-add's (and a read of it is rarer)
    const isNew = statements.slice(0, i).some(
      (d) => ts.isVariableStatement(d) && d.declarationList.declarations.some((v) => ts.isIdentifier(v.name) && v.name.text === ref && v.initializer && ts.isNewExpression(v.initializer)),
    );
    if (!isNew) return;
    const readsLater = statements.slice(i + 1).some((later) => readsThrough(facts, later, session));
    if (!readsLater) return;
    const save = facts.rules.methods.save[0];
    record(out, 'transaction', call.getStart(facts.sf), `\`${call.getText(facts.sf)}\` → \`await ${ref}.${save}(${session})\`: SQL flushed it before the read that follows in this unit of work (autoflush); ROME does not, so the read would miss it`, {
      start: call.getStart(facts.sf),
      end: call.end,
      text: `await ${ref}.${save}(${session})`,
    });
  });
}

/** Whether a statement queries through `session`: `session.query(...)`, or a call handed the session. */
function readsThrough(facts: ModuleFacts, node: ts.Node, session: string): boolean {
  let found = false;
  const visit = (n: ts.Node): void => {
    if (found || !ts.isCallExpression(n)) return ts.forEachChild(n, visit);
    const e = n.expression;
    if (ts.isPropertyAccessExpression(e) && ts.isIdentifier(e.expression) && e.expression.text === session && e.name.text === 'query') found = true;
    else if (passesSession(facts, n) === session) found = true;
    if (!found) ts.forEachChild(n, visit);
  };
  visit(node);
  return found;
}

export const transactionRewriter: Rewriter = {
  id: 'transaction',
  title: "Units of work stay on RomeSession's begin, without SQL-only flags",
  description:
    "session.begin(...) is kept: RomeSession has begin. Its subtransactions and nested flags are dropped and recorded: ROME has no " +
    'savepoints and no rollback, so what a callback saved before an error stays saved. An add read back in the same unit of ' +
    'work becomes save(session) (SQL flushed it before the read; ROME has no autoflush). A begin() without subtransactions on ' +
    "the session a caller gave, when a caller hands it the session of its own unit of work, is marked manual: SQL raises " +
    "there, ROME's begin() nests. oslo.db's retry decorator " +
    '(wrap_db_retry) becomes a generated helper of the same name that retries on ROME\'s DBDeadlock with the same options.',
  samples: [
    {
      before: `export function f(session: any) {
  return session.begin(async () => 1, { subtransactions: true });
}
`,
      after: `export function f(session: any) {
  return session.begin(async () => 1);
}
`,
    },
  ],
  rewrite(facts) {
    const out = emptyResult();
    // oslo.db's retry decorator: one generated helper, whatever the spelling (a `map` construct of the pack)
    const retry = {
      names: ['wrap_db_retry', 'wrapDbRetry'],
      helper: 'wrap_db_retry',
      to: 'wrap_db_retry',
      why: "retries on ROME's DBDeadlock (a lock held elsewhere) as oslo.db did, with the same options (retry_on_disconnect and retry_on_request have nothing to retry on ROME)",
    };
    mapLibraryCalls(facts, out, 'transaction', [retry], (name) => facts.rules.constructs[name] === 'map');
    out.manual.push(...nestedBegins(facts));
    const flags = new Set(facts.rules.transaction.droppedFlags);
    walk(facts.sf, (n) => {
      if (!ts.isCallExpression(n) || !ts.isPropertyAccessExpression(n.expression)) return;
      if (n.expression.name.text !== facts.rules.transaction.method || !isSessionExpr(facts, n.expression.expression)) return;
      const target = n.expression.expression;
      for (const arg of n.arguments) {
        if ((ts.isArrowFunction(arg) || ts.isFunctionExpression(arg)) && ts.isBlock(arg.body) && ts.isIdentifier(target) && isAsyncFunction(arg)) autoflush(facts, out, arg.body, target.text);
      }
      const isFlags = (arg: ts.Expression) =>
        ts.isObjectLiteralExpression(arg) && arg.properties.length > 0 && arg.properties.every((p) => flags.has(p.name?.getText(facts.sf) ?? ''));
      const detail = (arg: ts.Expression) =>
        `dropped \`${arg.getText(facts.sf).replace(/\s+/g, ' ')}\` from begin(): ROME has no subtransactions or savepoints (and no rollback)`;
      if (n.arguments.length > 0 && n.arguments.every(isFlags)) {
        // every argument goes: the call becomes `begin()`, with nothing left between the parentheses
        // (no empty argument line, no comma). Each argument's record takes a piece of that range.
        const close = n.end - 1;
        n.arguments.forEach((arg, i) => {
          const start = i === 0 ? n.arguments.pos : arg.getStart(facts.sf);
          const end = i === n.arguments.length - 1 ? close : n.arguments[i + 1].getStart(facts.sf);
          record(out, 'transaction', arg.getStart(facts.sf), detail(arg), { start, end, text: '' });
        });
        return;
      }
      // some arguments stay: a flag goes with the comma after it when a kept argument follows it
      // (`begin({ f }, cb)` → `begin(cb)`), else with the comma before it (`begin(cb, { f })` → `begin(cb)`)
      const args = n.arguments;
      const keptAfter = (i: number) => args.slice(i + 1).some((a) => !isFlags(a));
      args.forEach((arg, i) => {
        if (!isFlags(arg)) return;
        const [start, end] = keptAfter(i) ? [arg.getStart(facts.sf), args[i + 1].getStart(facts.sf)] : [args[i - 1].end, arg.end];
        record(out, 'transaction', arg.getStart(facts.sf), detail(arg), { start, end, text: '' });
      });
    });
    return out;
  },
};
