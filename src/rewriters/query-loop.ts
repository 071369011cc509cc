import ts from '../ts.cjs';
import { enclosingFunction, type ModuleFacts } from '../analyzer/module.js';
import { isAsyncFunction, walk } from '../analyzer/parse.js';
import { originsOf } from './loaded-row.js';
import { record, type RewriteResult } from './types.js';

/**
 * Part of the `query` rewriter (query.ts runs it; its records are `query` changes): a loop over a
 * query itself, not over its all(), iterates ROME's query with `for await`.
 *
 * SQLAlchemy's Query is iterable and runs the query when the loop starts. ROME's RomeQuery loads
 * its rows from the store, so it is an async iterable only (rules/rome-orm.d.ts: no
 * Symbol.iterator): `for (const s of query)` would not compile. In an async function the loop
 * becomes `for await`; elsewhere it is kept for a human.
 */
export const queryLoops = {
  description: 'A loop over a query itself (`for (const s of query)`) becomes `for await`: ROME\'s query is an async iterable; outside an async function it is kept and marked manual.',
  sample: {
    before: `import * as models from '../models';
import { model_query } from 'rome-orm';

export async function services_disable(context: any, host: string) {
  const query = model_query(context, models.Service).filter_by({ host });
  for (const service of query) {
    Object.assign(service, { disabled: true });
  }
}
`,
    after: `import * as models from '../models';
import { model_query } from 'rome-orm';

export async function services_disable(context: any, host: string) {
  const query = model_query(context, models.Service).filter_by({ host });
  for await (const service of query) {
    Object.assign(service, { disabled: true });
  }
}
`,
  },
  rewrite(facts: ModuleFacts, out: RewriteResult): void {
    const origins = originsOf(facts);
    walk(facts.sf, (n) => {
      if (!ts.isForOfStatement(n) || n.awaitModifier || origins.of(n.expression) !== 'query') return;
      const pos = n.getStart(facts.sf);
      const fn = enclosingFunction(n);
      if (!fn || !isAsyncFunction(fn)) {
        out.manual.push({ node: n, pos, reason: "a loop over a query outside an async function: ROME's query is iterated with `for await` (its rows are loaded from the store)" });
        return;
      }
      const at = pos + 'for'.length;
      record(out, 'query', pos, "`for (... of <query>)` → `for await`: ROME's query is an async iterable (its rows are loaded from the store)", { start: at, end: at, text: ' await' });
    });
  },
};
