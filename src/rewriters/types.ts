import type ts from '../ts.cjs';
import type { ModuleFacts } from '../analyzer/module.js';
import type { Edit } from '../analyzer/edits.js';

export type { Edit };

/** The change kinds of DESIGN §4; stable ids that appear in the JSON report. */
export type ChangeKind =
  | 'session'
  | 'query'
  | 'create-lock'
  | 'row-lock'
  | 'session-add'
  | 'transaction'
  | 'import'
  | 'loader-option'
  | 'models'
  | 'manual';

/** One recorded rewrite. `pos` is where it happened in the source; `edit` locates it in the output. */
export interface ChangeRecord {
  kind: ChangeKind;
  pos: number;
  detail: string;
  edit?: Edit;
}

/** Code port-db keeps verbatim and marks for a human. */
export interface ManualItem {
  /** The statement (or declaration) that is kept and marked. */
  node: ts.Node;
  pos: number;
  reason: string;
}

/**
 * Module-level code a rewriter needs: a generated helper or a name from the target module.
 * `edit`: the edit that uses the helper; when that edit is dropped (it fell inside code kept for a
 * human) the need goes with it. A need without one always stays (a re-emitted session factory).
 */
export type Need = { kind: 'helper'; id: string; edit?: Edit } | { kind: 'import'; name: string; edit?: Edit };

export interface RewriteResult {
  edits: Edit[];
  changes: ChangeRecord[];
  manual: ManualItem[];
  needs: Need[];
}

/** What earlier rewriters decided, for the ones that run after them. */
export interface RewriteContext {
  /** Source ranges already deleted by earlier rewriters. */
  deleted: Array<[number, number]>;
  /** Statements already marked manual. */
  manual: ManualItem[];
  /** Everything earlier rewriters asked for. */
  needs: Need[];
  /** Folder of the source module and of the output module (for re-pointing relative imports). */
  sourceDir: string;
  outputDir: string;
  /** The SQL models module (absolute, no extension) when it is ported beside the output: imports of it stay. */
  portedModels?: string;
}

/** A rewriter declares itself (STYLE.md) and turns facts into edits plus records. Pure. */
export interface Rewriter {
  id: ChangeKind;
  title: string;
  description: string;
  samples: Array<{ before: string; after: string }>;
  rewrite(facts: ModuleFacts, ctx: RewriteContext): RewriteResult;
}

/** An empty result to fill. */
export function emptyResult(): RewriteResult {
  return { edits: [], changes: [], manual: [], needs: [] };
}

/** Records one edit and its change record together. */
export function record(out: RewriteResult, kind: ChangeKind, pos: number, detail: string, edit?: Edit): void {
  if (edit) out.edits.push(edit);
  out.changes.push({ kind, pos, detail, edit });
}
