import type { RulePack } from '../rules.js';
import type { PortReport } from './model.js';

/**
 * What `port` returns (src/port/run.ts) and the summary renders (summary.ts): the result of a run,
 * here with the lowest code that needs it so the report does not import the command.
 */

/** One conflicting region. Lines are 1-based. */
export interface MergeConflict {
  /** Line of the `<<<<<<<` marker in the merged text. */
  line: number;
  /** Line of the closing `>>>>>>>` marker in the merged text. */
  endLine: number;
  /** First line of the region in ours (the hand-edited file) and how many lines it spans there. */
  oursLine: number;
  oursLength: number;
  /** First line of the region in theirs (the new port) and how many lines it spans there. */
  theirsLine: number;
  theirsLength: number;
}

/** One file the port writes (or would write, in a dry run). */
export interface OutputFile {
  path: string;
  /** Path as shown to the user (relative to the root, or to --out). */
  display: string;
  content: string;
  /** What is on disk now, if anything. */
  previous?: string;
  /** Not written by this run: a merge conflict keeps the module on disk and its reports as they are. */
  hold?: boolean;
  /** For a file of the service that --wire changes: its text in the root and the edits that make `content` of it. */
  wiring?: { text: string; edits: import('../analyzer/edits.js').Edit[] };
  /** The source file the output ports (models.ts): a dry run shows the diff from it. */
  from?: { display: string; text: string };
}

/**
 * What happened to the discovery module on disk:
 * - `new`: there was none; `unchanged`: it already is the port; `updated`: it was what port-db
 *   wrote last (no hand edits), replaced by the new port;
 * - `kept`: it was edited by hand and the port did not change since: the edits are kept as they are;
 * - `merged`: it was edited by hand; the edits and the new port merged cleanly and were written;
 * - `conflict`: hand edits and the new port change the same lines: the module, its base and its
 *   reports are left as they are, the merge with conflict markers is written to `api.conflict.ts`;
 * - `unresolved`: an `api.conflict.ts` from an earlier run still has conflict markers: nothing written;
 * - `resolved`: `api.conflict.ts` was resolved (no markers left): it was merged with the new port and
 *   installed as the module;
 * - `forced`: hand edits overwritten (`--force`).
 */
export type MergeStatus = 'new' | 'unchanged' | 'updated' | 'kept' | 'merged' | 'conflict' | 'unresolved' | 'resolved' | 'forced';

export interface MergeInfo {
  status: MergeStatus;
  /** The discovery module (display path). */
  module: string;
  /** The file holding the conflict markers (display path), for `conflict` and `unresolved`. */
  conflictFile?: string;
  /** Conflicts in `conflictFile`; for `unresolved`, only the marker lines are known (oursLine 0). */
  conflicts: MergeConflict[];
}

export interface ModuleResult {
  root: string;
  sourcePath: string;
  sourceDisplay: string;
  sourceText: string;
  report: PortReport;
  /** The outputs for people and tools: api.ts, PORT-REPORT.md, port-report.json (in that order), then models.ts when the models are ported. */
  files: OutputFile[];
  /** port-db's own files: `.port-db/api.base.ts`, `.port-db/api.pending.ts`, `api.conflict.ts` (and the same for models.ts). */
  state: OutputFile[];
  /** Files this run deletes (a resolved conflict file and its pending port), after every write. */
  remove: Array<{ path: string; display: string }>;
  merge: MergeInfo;
  /** The service's own files `--wire` changes (its backend dispatcher, its config); empty without `--wire`. */
  wiring: OutputFile[];
  /** What happened to db/discovery/models.ts (as `merge`), when the models are ported and api.ts is not held by a conflict. */
  modelsMerge?: MergeInfo;
}

export interface PortResult {
  modules: ModuleResult[];
  written: boolean;
  rules: RulePack;
  /** The --out folder, absolute, when given: the outputs' display paths are relative to it. */
  outDir?: string;
}
