import type { ChangeKind } from '../rewriters/types.js';
import type { BACKEND } from '../analyzer/backend.js';
import type { LockFinding } from '../verify/locks.js';

/** One change in the report (DESIGN §5). */
export interface ReportChange {
  kind: ChangeKind;
  line: number;
  outputLine: number;
  detail: string;
}

export interface ReportManual {
  line: number;
  outputLine: number;
  reason: string;
}

export interface FunctionReport {
  name: string;
  status: 'ported' | 'unchanged' | 'manual';
  line: number;
  changes: ReportChange[];
  manual: ReportManual[];
  /** The static lock-path check's findings in this function (absent when none, and with --no-verify). */
  locks?: LockFinding[];
}

/** The counts of a report's summary, for the functions of api.ts or the classes of models.ts. */
export interface SummaryCounts {
  unchanged: number;
  ported: number;
  manual: number;
  manualItems: number;
  byKind: Partial<Record<ChangeKind, number>>;
}

/** port-report.json: stable, read by tests and CI. */
export interface PortReport {
  tool: 'port-db';
  version: string;
  rules: string;
  source: string;
  output: string;
  module: { changes: ReportChange[]; manual: ReportManual[]; locks?: LockFinding[] };
  /** `lockFindings`: the lock-path check's findings in api.ts (absent with --no-verify, which skips it). */
  summary: { functions: number } & SummaryCounts & { lockFindings?: number };
  functions: FunctionReport[];
  /** The type check of the port against the ROME contract (absent with --no-verify). */
  verify?: import('../verify/index.js').VerifyResult;
  /** How the service selects its backend, and what `--wire` changes (or changed) to add the discovery one. */
  wiring?: WiringReport;
  /** sha256 of the api.ts port-db wrote: a module on disk that differs was edited by hand. */
  outputSha256?: string;
  /** The port of the sibling models module (absent when there is none). */
  models?: ModelsReport;
  /** Code port-db wrote that the project's formatter (prettier) left as written, and why; absent when all went well. */
  formatting?: FormattingReport;
  /** `port --equiv`: the verdicts of the module's scenarios, SQL module against the port. */
  equivalence?: import('./equivalence-model.js').ModuleEquivalence & Pick<import('./equivalence-model.js').EquivalenceResult, 'sqlCollation' | 'normalisation' | 'note'>;
}

export interface FormattingReport {
  failed: import('../format.js').FormatFailure[];
}

/**
 * The models port in port-report.json (`models`): the same shape as the api report, with the
 * classes in place of the functions. A models module that cannot be parsed is bad input (exit 2):
 * there is no report of a models port that failed.
 */
export interface ModelsReport {
  source: string;
  output: string;
  module: { changes: ReportChange[]; manual: ReportManual[] };
  summary: { classes: number } & SummaryCounts;
  classes: FunctionReport[];
  /** The type check of models.ts against the ROME contract. */
  verify?: import('../verify/index.js').VerifyResult;
  /** sha256 of the models.ts port-db wrote (hand-edit detection, as for api.ts). */
  outputSha256?: string;
  /** As for api.ts. */
  formatting?: FormattingReport;
}

/** One line the wiring changes (or would change). */
export interface WiringChange {
  file: string;
  line: number;
  detail: string;
  /** The lines as they are, and as the wiring leaves them. */
  before: string;
  after: string;
}

/**
 * `wiring` in port-report.json:
 * - `applied`: this run (`--wire`) made the changes;
 * - `proposed`: the changes are ready; `port --wire` applies them;
 * - `wired`: the service already has (and selects) the discovery backend;
 * - `manual`: the dispatcher was found but port-db cannot change it; `todo` says what to change by hand;
 * - `not-found`: no dispatcher or setting was found; `todo` says what to change by hand.
 */
export interface WiringReport {
  status: 'applied' | 'proposed' | 'wired' | 'manual' | 'not-found';
  backend: typeof BACKEND;
  dispatcher?: { kind: 'mapping' | 'setting'; file: string; line: number; name: string };
  changes: WiringChange[];
  /** How to go back to the SQL backend. */
  switchBack?: string;
  /** What is left to do by hand. */
  todo?: string;
}

/** Every lock-path finding of a report, the module's first, each with the function it was found in (`(module)` for the module's). */
export function lockFindingsOf(report: PortReport): Array<LockFinding & { owner: string }> {
  return [...(report.module.locks ?? []).map((l) => ({ owner: '(module)', ...l })), ...report.functions.flatMap((f) => (f.locks ?? []).map((l) => ({ owner: f.name, ...l })))];
}
