import ts from '../ts.cjs';
import { calleeName, flattenChain, isChainTop } from '../analyzer/chains.js';
import { kindCache, queryStart, type ModuleFacts } from '../analyzer/module.js';
import { enclosingStatement, walk } from '../analyzer/parse.js';
import { aloneOnItsLines, wholeLines } from '../analyzer/edits.js';
import { emptyResult, record, type Rewriter } from './types.js';

export const loaderOptionRewriter: Rewriter = {
  id: 'loader-option',
  title: 'Eager-loading options are dropped',
  description:
    'options(joinedload(...)), undefer, noload, contains_eager and the other loader options only tell SQL how to load relations; ' +
    'ROME ignores them and loads relations lazily. They are removed and each removal is recorded. An options(...) call that mixes ' +
    'loader options with anything else is kept and marked manual.',
  samples: [
    {
      before: `import * as models from '../models';
import { model_query } from 'rome-orm';

export async function f(context: any) {
  return await model_query(context, models.Instance).options(joinedload('info_cache')).first();
}
`,
      after: `import * as models from '../models';
import { model_query } from 'rome-orm';

export async function f(context: any) {
  return await model_query(context, models.Instance).first();
}
`,
    },
  ],
  rewrite(facts) {
    const out = emptyResult();
    const envOf = kindCache(facts);
    walk(facts.sf, (n) => {
      if (!ts.isCallExpression(n) || !isChainTop(n)) return;
      const chain = flattenChain(n);
      const start = queryStart(facts, chain, envOf(n));
      if (start < 0) return;
      for (const link of chain.links.slice(start)) {
        if (link.name !== 'options') continue;
        const text = link.call.getText(facts.sf).slice(link.access.expression.getText(facts.sf).length).replace(/\s+/g, ' ').trim();
        if (!link.call.arguments.every((a) => isLoaderOption(facts, a))) {
          out.manual.push({ node: enclosingStatement(link.call), pos: link.access.name.getStart(facts.sf), reason: `options(...) holds more than loader options: ${text}` });
          continue;
        }
        const detail = `dropped \`${text}\`: ROME loads relations lazily`;
        const stmt = link.call.parent;
        const isSelfAssign =
          chain.links.length === 1 &&
          ts.isBinaryExpression(stmt) &&
          stmt.right === link.call &&
          ts.isIdentifier(stmt.left) &&
          ts.isIdentifier(chain.root) &&
          stmt.left.text === chain.root.text &&
          ts.isExpressionStatement(stmt.parent) &&
          ts.isBlock(stmt.parent.parent) &&
          aloneOnItsLines(facts.text, stmt.parent.getStart(facts.sf), stmt.parent.end);
        if (isSelfAssign) {
          // `query = query.options(...)` would become `query = query`: drop the statement
          // a loop that only added loader options goes with them
          const block = stmt.parent.parent as ts.Block;
          const loop = block.parent;
          const whole =
            block.statements.length === 1 && ts.isForOfStatement(loop) && (ts.isIdentifier(loop.expression) || ts.isPropertyAccessExpression(loop.expression)) && ts.isBlock(loop.parent)
              ? loop
              : stmt.parent;
          const [s, e] = wholeLines(facts.text, whole.getStart(facts.sf), whole.end);
          // the record names everything removed: the loop too, when it goes
          const what = whole === loop ? `${detail}; the loop over \`${(loop as ts.ForOfStatement).expression.getText(facts.sf)}\` that only added them is removed with it` : detail;
          record(out, 'loader-option', link.access.name.getStart(facts.sf), what, { start: s, end: e, text: '', independent: true });
        } else {
          record(out, 'loader-option', link.access.name.getStart(facts.sf), detail, { start: link.access.expression.end, end: link.call.end, text: '', independent: true });
        }
      }
    });
    return out;
  },
};

function isLoaderOption(facts: ModuleFacts, arg: ts.Expression): boolean {
  if (!ts.isCallExpression(arg)) return false;
  return facts.rules.loaderOptions.includes(calleeName(arg) ?? '');
}
