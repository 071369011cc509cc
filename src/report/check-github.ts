import { getCheckRule } from '../analyzer/check-rules.js';
import type { CheckResult } from '../analyzer/check-types.js';

/** The workflow command of each rule level: the same severity as the rule's SARIF level. */
const COMMAND = { error: 'error', warning: 'warning', note: 'notice' } as const;

/**
 * GitHub Actions workflow commands, one `::<level> file=...,line=...,col=...,title=<rule>::<message>`
 * per finding (`::error`, `::warning` or `::notice`, by the rule's level, as in SARIF), which the
 * Actions runner turns into annotations on the pull request.
 */
export function renderCheckGithub(result: CheckResult): string {
  const lines = result.findings.map(
    (f) =>
      `::${COMMAND[getCheckRule(f.rule)?.level ?? 'error']} file=${escapeProperty(f.file)},line=${f.line},col=${f.column},title=${escapeProperty(f.rule)}::${escapeData(f.message)}`,
  );
  return lines.length > 0 ? `${lines.join('\n')}\n` : '';
}

/** The runner's escaping for the message part of a workflow command. */
export function escapeData(s: string): string {
  return s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/** The runner's escaping for a property value: also `:` and `,`, which delimit properties. */
export function escapeProperty(s: string): string {
  return escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');
}
