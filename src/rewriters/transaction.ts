import ts from '../ts.cjs';
import { isSessionExpr } from '../analyzer/module.js';
import { walk } from '../analyzer/parse.js';
import { emptyResult, record, type Rewriter } from './types.js';
import { mapLibraryCalls } from './library.js';

export const transactionRewriter: Rewriter = {
  id: 'transaction',
  title: "Units of work stay on RomeSession's begin, without SQL-only flags",
  description:
    "session.begin(...) is kept: RomeSession has begin. Its subtransactions and nested flags are dropped and recorded: ROME has no " +
    'savepoints and no rollback, so what a callback saved before an error stays saved. oslo.db\'s retry decorator ' +
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
    const flags = new Set(facts.rules.transaction.droppedFlags);
    walk(facts.sf, (n) => {
      if (!ts.isCallExpression(n) || !ts.isPropertyAccessExpression(n.expression)) return;
      if (n.expression.name.text !== facts.rules.transaction.method || !isSessionExpr(facts, n.expression.expression)) return;
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
