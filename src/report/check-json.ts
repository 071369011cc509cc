import type { CheckResult } from '../analyzer/check-types.js';

/**
 * `{"tool":"port-db","version","findings":[{"file","line","column","rule","message"}],"summary":{...}}`,
 * pretty-printed, keys in a fixed order so the output is byte-stable.
 */
export function renderCheckJson(result: CheckResult, version: string): string {
  const s = result.summary;
  const doc = {
    tool: 'port-db',
    version,
    findings: result.findings.map((f) => ({ file: f.file, line: f.line, column: f.column, rule: f.rule, message: f.message })),
    summary: {
      files: s.files,
      scanned: s.scanned,
      findings: s.findings,
      byRule: s.byRule,
      suppressed: s.suppressed,
      baselined: s.baselined,
    },
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}
