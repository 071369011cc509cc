import type { ChangeKind } from '../rewriters/types.js';

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
}

/** port-report.json: stable, read by tests and CI. */
export interface PortReport {
  tool: 'port-db';
  version: string;
  rules: string;
  source: string;
  output: string;
  module: { changes: ReportChange[]; manual: ReportManual[] };
  summary: {
    functions: number;
    unchanged: number;
    ported: number;
    manual: number;
    manualItems: number;
    byKind: Partial<Record<ChangeKind, number>>;
  };
  functions: FunctionReport[];
  /** The type check of the port against the ROME contract (absent with --no-verify). */
  verify?: import('../verify/index.js').VerifyResult;
  /** How the service selects its backend, and what `--wire` changes (or changed) to add the discovery one. */
  wiring?: import('../wire.js').WiringReport;
  /** sha256 of the api.ts port-db wrote: a module on disk that differs was edited by hand. */
  outputSha256?: string;
}
