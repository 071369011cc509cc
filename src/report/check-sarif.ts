import { CHECK_RULES } from '../analyzer/check-rules.js';
import type { CheckResult } from '../analyzer/check-types.js';

const SARIF_SCHEMA = 'https://json.schemastore.org/sarif-2.1.0.json';

/** GitHub code scanning reads `problem.severity` (error, warning, recommendation). */
const PROBLEM_SEVERITY = { error: 'error', warning: 'warning', note: 'recommendation' } as const;

/**
 * A SARIF 2.1.0 log with one run: the rule metadata of every check rule, and one result per
 * finding located by a path relative to the checked root (`%SRCROOT%`), as code scanning expects.
 */
export function renderCheckSarif(result: CheckResult, opts: { version: string }): string {
  const ruleIndex = new Map(CHECK_RULES.map((r, i) => [r.id, i]));
  const driver: Record<string, unknown> = {
    name: 'port-db',
    version: opts.version,
    ...(/^\d+\.\d+\.\d+(?:[-+].*)?$/.test(opts.version) ? { semanticVersion: opts.version } : {}),
    rules: CHECK_RULES.map((r) => ({
      id: r.id,
      name: pascalCase(r.id),
      shortDescription: { text: r.title },
      fullDescription: { text: r.description },
      help: { text: r.help, markdown: `${r.help}\n\nExample:\n\n\`\`\`ts\n${r.example}\n\`\`\`` },
      defaultConfiguration: { level: r.level },
      properties: { tags: ['port-db', 'sql', 'migration'], precision: 'high', 'problem.severity': PROBLEM_SEVERITY[r.level] },
    })),
  };
  const results = result.findings.map((f) => ({
    ruleId: f.rule,
    ruleIndex: ruleIndex.get(f.rule),
    level: CHECK_RULES[ruleIndex.get(f.rule)!].level,
    message: { text: f.message },
    locations: [
      {
        physicalLocation: {
          artifactLocation: { uri: toUri(f.file), uriBaseId: '%SRCROOT%' },
          region: { startLine: f.line, startColumn: f.column },
        },
      },
    ],
  }));
  const log = {
    $schema: SARIF_SCHEMA,
    version: '2.1.0',
    runs: [{ tool: { driver }, columnKind: 'utf16CodeUnits', results }],
  };
  return `${JSON.stringify(log, null, 2)}\n`;
}

function pascalCase(id: string): string {
  return id
    .split('-')
    .map((w) => w[0].toUpperCase() + w.slice(1))
    .join('');
}

/** A relative URI reference for a forward-slash path: each segment percent-encoded. */
function toUri(file: string): string {
  return file
    .split('/')
    .map((segment) => (segment === '..' || segment === '.' ? segment : encodeURIComponent(segment)))
    .join('/');
}
