import { renderCheckGithub } from '../report/check-github.js';
import { renderCheckJson } from '../report/check-json.js';
import { renderCheckSarif } from '../report/check-sarif.js';
import { renderCheckText } from '../report/check-text.js';
import { applyBaseline, createBaseline, readBaseline, writeBaseline } from './baseline.js';
import { scanFiles } from './engine.js';
import { CheckInputError } from './errors.js';
import { CHECK_RULE_IDS } from '../analyzer/check-rules.js';
import { toScanConfig, type CheckOptions, type CheckResult, type Finding } from '../analyzer/check-types.js';
import { collectFiles } from './walk.js';

export { CheckInputError } from './errors.js';
export { CHECK_RULES, CHECK_RULE_IDS, getCheckRule, type CheckRuleMeta } from '../analyzer/check-rules.js';
export { classifySql, isSqlStatement } from '../analyzer/sql-classifier.js';
export type { CheckOptions, CheckResult, CheckRuleId, CheckSummary, Finding, RulePack } from '../analyzer/check-types.js';

/** Output formats of `port-db check`. */
export type CheckFormat = 'text' | 'json' | 'sarif' | 'github';
export const CHECK_FORMATS: readonly CheckFormat[] = ['text', 'json', 'sarif', 'github'];

/**
 * Scans the given files and directories for leftover SQL (DESIGN §7). Throws
 * {@link CheckInputError} (exit code 2) for a missing or unreadable path, a directory with no
 * TypeScript file in it (zero files checked is not a pass), or a bad baseline.
 */
export async function runCheck(opts: CheckOptions): Promise<CheckResult> {
  if (opts.paths.length === 0) {
    throw new CheckInputError('no paths to check', 'Name at least one file or directory: `port-db check src`.');
  }
  const config = toScanConfig(opts.rules);
  const empty: string[] = [];
  const files = await collectFiles(opts.paths, opts.cwd, empty);
  // a CI guard pointed at the wrong folder must fail, not pass on nothing checked
  if (empty.length > 0) {
    const which = empty.map((p) => `'${p}'`).join(', ');
    throw new CheckInputError(
      `no TypeScript files to check in ${which} (files ending in .ts, .tsx, .mts or .cts, outside node_modules, .git and what .gitignore excludes)`,
      'Check the path: point `port-db check` at the folder that holds the ported modules, e.g. `port-db check src/db/discovery`.',
    );
  }
  const baseline = opts.baseline !== undefined ? await readBaseline(opts.baseline, opts.cwd) : undefined;
  opts.progress?.(`port-db: reading ${files.length} file${files.length === 1 ? '' : 's'}`);
  const { results, scanned } = await scanFiles(files, opts.cwd, config, opts.jobs, opts.progress);
  const all = results.flatMap((r) => r.findings).sort(compareFindings);
  const suppressed = results.reduce((n, r) => n + r.suppressed, 0);

  let findings = all;
  let baselined = 0;
  if (opts.writeBaseline !== undefined) {
    const fresh = createBaseline(all);
    await writeBaseline(opts.writeBaseline, opts.cwd, fresh);
    ({ fresh: findings, known: baselined } = applyBaseline(all, fresh));
  } else if (baseline) {
    ({ fresh: findings, known: baselined } = applyBaseline(all, baseline));
  }

  const byRule: Record<string, number> = Object.fromEntries(CHECK_RULE_IDS.map((id) => [id, 0]));
  for (const f of findings) byRule[f.rule]++;
  return {
    findings,
    summary: { files: files.length, scanned, findings: findings.length, byRule, suppressed, baselined },
  };
}

/** The process exit code for a check result: 1 when anything is reported, else 0. */
export function checkExitCode(result: CheckResult): 0 | 1 {
  return result.findings.length > 0 ? 1 : 0;
}

/** Renders a check result in one of the CI formats. Pure: the caller prints it. */
export function renderCheck(result: CheckResult, format: CheckFormat, opts: { color: boolean; version: string }): string {
  switch (format) {
    case 'text':
      return renderCheckText(result, opts);
    case 'json':
      return renderCheckJson(result, opts.version);
    case 'sarif':
      return renderCheckSarif(result, opts);
    case 'github':
      return renderCheckGithub(result);
    default:
      throw new CheckInputError(`unknown check format '${String(format)}'`, `Use one of: ${CHECK_FORMATS.join(', ')}.`);
  }
}

/** Deterministic order: file, line, column, rule, then message. */
export function compareFindings(a: Finding, b: Finding): number {
  return cmp(a.file, b.file) || a.line - b.line || a.column - b.column || cmp(a.rule, b.rule) || cmp(a.message, b.message);
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
