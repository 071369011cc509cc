/**
 * The library: `import { port, check, equiv } from 'port-db'`. Each function takes the options of
 * the command of the same name and resolves to what that command prints with `--format json`,
 * with the exit code the command would give (`exitCode`). Bad input and bugs are thrown: a
 * {@link PortDbError} carries the command's exit code (2) and a hint; anything else is a bug (3).
 *
 * Importing this module loads nothing heavy and starts nothing: the compiler, the formatter and
 * the commands load on the first call. It never prints, reads argv or sets the exit code (that is
 * src/cli.ts, which this module does not import).
 */
import { VERSION } from './version.js';
import type { PortReport } from './report/model.js';
import type { MergeInfo } from './report/result.js';
import type { EquivalenceResult } from './report/equivalence-model.js';
import type { CheckRuleId } from './analyzer/check-types.js';

export { PortDbError, UsageError, ConfigError, SourceError, OutputError, exitCodeFor } from './errors.js';
export { VERSION } from './version.js';
export type { PortReport, FunctionReport, ReportChange, ReportManual, SummaryCounts, ModelsReport, WiringReport } from './report/model.js';
export type { MergeInfo, MergeStatus } from './report/result.js';
export type { EquivalenceResult, ModuleEquivalence } from './report/equivalence-model.js';
export type { CheckRuleId } from './analyzer/check-types.js';

/** `port-db port <root...>`: the same options as the flags. */
export interface PortOptions {
  /** Folders to search for `db/sqlalchemy/api.ts`. */
  roots: string[];
  /** `--dry-run`: write nothing (the reports say what a run would write). */
  dryRun?: boolean;
  /** `--out DIR`: write the outputs under DIR, mirroring the root. */
  out?: string;
  /** `--rules PACK`: a path to a rule pack (default: the root's port-db.config.json, else the bundled pack). */
  rules?: string;
  /** `--force`: overwrite a discovery module edited by hand (by default hand edits are merged). */
  force?: boolean;
  /** `--strict`: exitCode 1 when manual items, new type errors or lock-path findings remain. */
  strict?: boolean;
  /** `--wire`: add the discovery backend beside the SQL one in the service's own files. */
  wire?: boolean;
  /** `--verify=native|js` (true: native, the default), or `--no-verify` (false). */
  verify?: boolean | 'native' | 'js';
  /** `--equiv`: then run the scenarios on the SQL module and the port, and add the verdicts to the reports (runs the service's code). */
  equiv?: boolean;
  /** Resolve relative paths against this folder (default: the process's working directory). */
  cwd?: string;
}

export interface PortResult {
  /** What `port --format json` prints: one port-report.json per module. */
  reports: PortReport[];
  /** Whether files were written (false for a dry run). */
  written: boolean;
  /** What happened to each discovery module (and models module) on disk: new, updated, merged, conflict, ... */
  merges: MergeInfo[];
  /** 1 on a merge conflict, a diverged scenario (`equiv`), or what `strict` fails on; else 0. */
  exitCode: 0 | 1;
  /** Why exitCode is 1 (empty when it is 0). */
  reasons: string[];
}

/** Ports every module under the roots, as `port-db port` does (and writes the same files unless `dryRun`). */
export async function port(options: PortOptions): Promise<PortResult> {
  const { UsageError } = await import('./errors.js');
  if (options.equiv && (options.dryRun || options.out)) {
    throw new UsageError(`equiv runs the port written beside the sources: it cannot be combined with ${options.dryRun ? 'dryRun' : 'out'}`, 'port first, then call equiv() on the ported tree');
  }
  const checker = typeof options.verify === 'string' ? options.verify : undefined;
  const run = await import('./port/run.js');
  const result = run.port({ roots: options.roots, out: options.out, rules: options.rules, dryRun: options.dryRun, force: options.force, verify: options.verify !== false, checker, wire: options.wire, cwd: options.cwd });
  const reasons: string[] = [];
  if (options.equiv && result.written) {
    const { equiv: runEquiv, equivExitCode } = await import('./equiv/run.js');
    const equivalence = await runEquiv({ roots: options.roots, cwd: options.cwd });
    (await import('./port/equivalence.js')).attachEquivalence(result.modules, equivalence);
    if (equivExitCode(equivalence) !== 0) reasons.push('a scenario diverged');
  }
  const { hasConflicts, mergesOf } = await import('./port/merge.js');
  const merges = mergesOf(result.modules);
  if (hasConflicts(merges)) reasons.push('hand edits conflict with the new port');
  // --strict's reasons as the command gives them, module by module
  if (options.strict) reasons.push(...(await import('./report/summary.js')).strictReasons(result).map((r) => `strict: ${r}`));
  return { reports: result.modules.map((m) => m.report), written: result.written, merges, exitCode: reasons.length > 0 ? 1 : 0, reasons };
}

/** `port-db check <path...>`: the same options as the flags. */
export interface CheckOptions {
  /** Files or folders to check. */
  paths: string[];
  /** `--rules PACK` (default: ./port-db.config.json's `rules` in `cwd`, else the bundled pack). */
  rules?: string;
  /** `--baseline F`: known findings that do not fail the check. */
  baseline?: string;
  /** `--write-baseline F`: record the current findings as the baseline. */
  writeBaseline?: string;
  /** Paths are relative to this folder, and so are the findings' files (default: the process's working directory). */
  cwd?: string;
}

export interface CheckFinding {
  file: string;
  line: number;
  column: number;
  rule: CheckRuleId;
  message: string;
}

/** What `check --format json` prints, and the exit code. */
export interface CheckResult {
  findings: CheckFinding[];
  summary: { files: number; scanned: number; findings: number; byRule: Record<string, number>; suppressed: number; baselined: number };
  /** 1 when anything is reported, else 0. */
  exitCode: 0 | 1;
}

/** Scans TypeScript files for leftover SQL and unresolved manual markers, as `port-db check` does. */
export async function check(options: CheckOptions): Promise<CheckResult> {
  const cwd = options.cwd ?? process.cwd();
  const { runCheck, renderCheck, checkExitCode } = await import('./check/index.js');
  const { rulePackForPaths } = await import('./rules.js');
  // as the command: --rules, else the config of each path (or a parent up to cwd), else the bundled pack
  const result = await runCheck({ paths: options.paths, cwd, rules: rulePackForPaths(options.paths, options.rules, cwd) as never, baseline: options.baseline, writeBaseline: options.writeBaseline });
  // the JSON the command prints, read back: the API cannot drift from it
  const doc = JSON.parse(renderCheck(result, 'json', { color: false, version: VERSION })) as Omit<CheckResult, 'exitCode'>;
  return { ...doc, exitCode: checkExitCode(result) };
}

/** `port-db equiv <root...>`: the same options as the flags. */
export interface EquivOptions {
  /** Folders to search for ported modules (db/sqlalchemy/api.ts with db/discovery/api.ts). */
  roots: string[];
  /** `--only TEXT`: only the scenarios whose name contains TEXT. */
  only?: string;
  /** `--strict`: exitCode 1 also on order-dependent or weak scenarios and changed functions without a scenario. */
  strict?: boolean;
  /** `--timeout S`: seconds per scenario and side (default 30). */
  timeout?: number;
  /** `--sql-collation`: text comparison on the SQL side (default `ci`). */
  sqlCollation?: 'ci' | 'binary';
  /** `--self-check`: run the SQL module against itself instead of the port. */
  selfCheck?: boolean;
  /** `--preemptions N` (default 2), `--schedules N` (default 10000), `--seed N` (default 1), `--latency MS` (default 0), `--replay TOKEN`. */
  preemptions?: number;
  schedules?: number;
  seed?: number;
  latency?: number;
  replay?: string;
  /** `--rome URL`: the port on a real store (redis://host:port or redis+cluster://host:port,…); `--repeat N` (default 10) runs of each scenario with concurrent groups there. */
  rome?: string;
  repeat?: number;
  cwd?: string;
}

/** What `equiv --format json` prints, and the exit code. */
export interface EquivResult {
  tool: 'port-db';
  version: string;
  equivalence: EquivalenceResult;
  /** 1 when a scenario diverged (or, with `strict`, for the reasons given); else 0. */
  exitCode: 0 | 1;
  reasons: string[];
}

/** Runs each scenario on the SQL module and on its port, as `port-db equiv` does (runs the service's code, writes nothing). */
export async function equiv(options: EquivOptions): Promise<EquivResult> {
  const { equiv: runEquiv, equivExitCode, strictReasons } = await import('./equiv/run.js');
  const { DEFAULT_CONCURRENCY: defaults } = await import('./equiv/concurrency/options.js');
  const { UsageError } = await import('./errors.js');
  const whole = (name: string, value: number | undefined, min: number, fallback: number) => {
    if (value === undefined) return fallback;
    if (!Number.isInteger(value) || value < min) throw new UsageError(`${name} must be a whole number ≥ ${min}, not ${value}`);
    return value;
  };
  const timeout = options.timeout ?? 30;
  if (!Number.isFinite(timeout) || timeout <= 0) throw new UsageError(`timeout must be a positive number of seconds, not ${timeout}`);
  const concurrency = {
    preemptions: whole('preemptions', options.preemptions, 0, defaults.preemptions),
    schedules: whole('schedules', options.schedules, 1, defaults.schedules),
    seed: whole('seed', options.seed, 0, defaults.seed),
    latencyMs: whole('latency', options.latency, 0, defaults.latencyMs),
    ...(options.replay !== undefined ? { replay: options.replay } : {}),
  };
  const equivalence = await runEquiv({ roots: options.roots, only: options.only, timeoutMs: timeout * 1000, against: options.selfCheck ? 'source' : 'port', collation: options.sqlCollation ?? 'ci', concurrency, ...(options.rome !== undefined ? { rome: options.rome } : {}), ...(options.repeat !== undefined ? { repeat: options.repeat } : {}), cwd: options.cwd });
  const exitCode = equivExitCode(equivalence, options.strict) === 0 ? 0 : 1;
  const diverged = equivalence.modules.reduce((n, m) => n + m.summary.diverged, 0);
  const reasons = exitCode === 0 ? [] : diverged > 0 ? [`${diverged} scenario(s) diverged`] : strictReasons(equivalence).map((r) => `strict: ${r}`);
  return { tool: 'port-db', version: VERSION, equivalence, exitCode, reasons };
}
