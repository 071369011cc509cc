import { ts } from 'ts-morph';
import { isSessionExpr } from '../analyzer/module.js';
import { walk } from '../analyzer/parse.js';
import { emptyResult, record, type Rewriter } from './types.js';

export const transactionRewriter: Rewriter = {
  id: 'transaction',
  title: "Units of work stay on RomeSession's begin, without SQL-only flags",
  description:
    "session.begin(...) is kept: RomeSession has begin. Its subtransactions and nested flags are dropped and recorded: ROME has no " +
    'savepoints and no rollback, so what a callback saved before an error stays saved.',
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
    const flags = new Set(facts.rules.transaction.droppedFlags);
    walk(facts.sf, (n) => {
      if (!ts.isCallExpression(n) || !ts.isPropertyAccessExpression(n.expression)) return;
      if (n.expression.name.text !== facts.rules.transaction.method || !isSessionExpr(facts, n.expression.expression)) return;
      let deletedUpTo = -1;
      n.arguments.forEach((arg, i) => {
        if (!ts.isObjectLiteralExpression(arg) || arg.properties.length === 0) return;
        const names = arg.properties.map((p) => p.name?.getText(facts.sf) ?? '');
        if (!names.every((name) => flags.has(name))) return;
        // delete the argument with the comma that joins it to its neighbour
        // after an argument already deleted, start where that deletion ended: edits never overlap
        const start = i > 0 ? Math.max(n.arguments[i - 1].end, deletedUpTo) : arg.getStart(facts.sf);
        // the last argument left takes the trailing comma with it: `begin({ ... },)` must not become `begin(,)`
        const lone = i === n.arguments.length - 1 && n.arguments.hasTrailingComma && (i === 0 || deletedUpTo === arg.getStart(facts.sf));
        const end = lone ? facts.text.indexOf(',', arg.end) + 1 : i > 0 ? arg.end : (n.arguments[i + 1]?.getStart(facts.sf) ?? arg.end);
        record(
          out,
          'transaction',
          arg.getStart(facts.sf),
          `dropped \`${arg.getText(facts.sf).replace(/\s+/g, ' ')}\` from begin(): ROME has no subtransactions or savepoints (and no rollback)`,
          { start, end, text: '' },
        );
        deletedUpTo = end;
      });
    });
    return out;
  },
};
