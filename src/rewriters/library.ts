import ts from '../ts.cjs';
import type { ModuleFacts } from '../analyzer/module.js';
import { walk } from '../analyzer/parse.js';
import { record, type ChangeKind, type RewriteResult } from './types.js';

/** A call of an SQL library's helper that a generated helper replaces. */
export interface LibraryCall {
  /** The names it goes by (snake_case and camelCase). */
  names: string[];
  /** Which SQL module it must be imported from (by specifier), when only one has it. */
  specifier?: RegExp;
  /** The generated helper (helpers.ts) and the name the call site gets. */
  helper: string;
  to: string;
  why: string;
}

/**
 * `oslo_db_api.wrap_db_retry(...)`, `db_utils.model_query(...)` or the name imported: the callee
 * becomes the generated helper. The SQL reference goes (a deletion), so its import goes with it
 * when nothing else uses it. `isWanted` lets the pack switch a mapping off (its constructs).
 */
export function mapLibraryCalls(facts: ModuleFacts, out: RewriteResult, kind: ChangeKind, calls: LibraryCall[], isWanted: (name: string) => boolean = () => true): void {
  walk(facts.sf, (n) => {
    if (!ts.isCallExpression(n)) return;
    const callee = n.expression;
    let root: ts.Expression = callee;
    while (ts.isPropertyAccessExpression(root)) root = root.expression;
    const imp = ts.isIdentifier(root) ? facts.importOf(root) : undefined;
    // a name imported goes by the name it imports (`import { wrap_db_retry as retry }` counts); a namespace's member by its own
    const name = ts.isIdentifier(callee) ? imp?.bindings.get(callee.text) : ts.isPropertyAccessExpression(callee) ? callee.name.text : undefined;
    const call = name && calls.find((c) => c.names.includes(name));
    if (!name || !call || !isWanted(name)) return;
    if (!imp?.isSql || (call.specifier && !call.specifier.test(imp.specifier))) return;
    const start = callee.getStart(facts.sf);
    const edit = { start, end: start, text: call.to };
    out.edits.push({ start, end: callee.end, text: '' });
    record(out, kind, start, `\`${callee.getText(facts.sf)}\` → generated \`${call.to}\`: ${call.why}`, edit);
    out.needs.push({ kind: 'helper', id: call.helper, edit });
  });
}
