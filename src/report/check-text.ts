import { Chalk } from 'chalk';
import { CHECK_RULES } from '../analyzer/check-rules.js';
import type { CheckResult } from '../analyzer/check-types.js';

/**
 * One line per finding, `file:line:col  rule-id  message`, then a summary line. Colour only when
 * asked (the CLI asks on a TTY without NO_COLOR), so the output is the same in every environment.
 */
export function renderCheckText(result: CheckResult, opts: { color: boolean }): string {
  const c = new Chalk({ level: opts.color ? 1 : 0 });
  const lines = result.findings.map((f) => {
    const level = CHECK_RULES.find((r) => r.id === f.rule)?.level ?? 'error';
    const rule = level === 'error' ? c.red(f.rule) : c.yellow(f.rule);
    return `${c.bold(`${f.file}:${f.line}:${f.column}`)}  ${rule}  ${f.message}`;
  });
  if (lines.length > 0) lines.push('');
  lines.push(summaryLine(result, c));
  return `${lines.join('\n')}\n`;
}

function summaryLine(result: CheckResult, c: InstanceType<typeof Chalk>): string {
  const s = result.summary;
  const counts = `${plural(s.files, 'file')} checked, ${s.scanned} parsed; ${s.suppressed} suppressed, ${s.baselined} baselined`;
  if (s.findings === 0) return `${c.green('✔ no leftover SQL')} (${counts})`;
  const files = new Set(result.findings.map((f) => f.file)).size;
  const perRule = CHECK_RULES.filter((r) => (s.byRule[r.id] ?? 0) > 0)
    .map((r) => `${r.id} ${s.byRule[r.id]}`)
    .join(', ');
  return `${c.red.bold(`✖ ${plural(s.findings, 'finding')} in ${plural(files, 'file')}`)}: ${perRule} (${counts})`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
