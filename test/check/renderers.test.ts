import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { CHECK_RULES, renderCheck, type CheckResult } from '../../src/check/index.js';

const result: CheckResult = {
  findings: [
    { file: 'db/discovery/api.ts', line: 2, column: 1, rule: 'manual-marker', message: 'SQL import kept for manual code: text, func' },
    { file: 'db/sqlalchemy/api.ts', line: 3, column: 1, rule: 'sql-import', message: "import of SQL library 'sqlalchemy' (or_, func)" },
    { file: 'db/sqlalchemy/api.ts', line: 28, column: 43, rule: 'raw-sql', message: 'raw SQL SELECT statement: SELECT * FROM instances WHERE id = ${…}' },
    { file: 'my dir/50%,x.ts', line: 1, column: 5, rule: 'row-lock', message: 'line one\nline two: 100%' },
  ],
  summary: {
    files: 10,
    scanned: 4,
    findings: 4,
    byRule: { 'sql-import': 1, 'sql-session': 0, 'raw-sql': 1, 'row-lock': 1, 'manual-marker': 1, 'unused-suppression': 0 },
    suppressed: 2,
    baselined: 1,
  },
};

const clean: CheckResult = {
  findings: [],
  summary: { files: 3, scanned: 1, findings: 0, byRule: Object.fromEntries(CHECK_RULES.map((r) => [r.id, 0])), suppressed: 0, baselined: 0 },
};

const opts = { color: false, version: '0.1.0' };

describe('text', () => {
  it('prints file:line:col  rule-id  message and a summary line', () => {
    expect(renderCheck(result, 'text', opts)).toBe(
      [
        'db/discovery/api.ts:2:1  manual-marker  SQL import kept for manual code: text, func',
        "db/sqlalchemy/api.ts:3:1  sql-import  import of SQL library 'sqlalchemy' (or_, func)",
        'db/sqlalchemy/api.ts:28:43  raw-sql  raw SQL SELECT statement: SELECT * FROM instances WHERE id = ${…}',
        'my dir/50%,x.ts:1:5  row-lock  line one\nline two: 100%',
        '',
        '✖ 4 findings in 3 files: sql-import 1, raw-sql 1, row-lock 1, manual-marker 1 (10 files checked, 4 parsed; 2 suppressed, 1 baselined)',
        '',
      ].join('\n'),
    );
  });

  it('says so when clean', () => {
    expect(renderCheck(clean, 'text', opts)).toBe('✔ no leftover SQL (3 files checked, 1 parsed; 0 suppressed, 0 baselined)\n');
  });

  it('colours only when asked', () => {
    const plain = renderCheck(result, 'text', opts);
    const coloured = renderCheck(result, 'text', { ...opts, color: true });
    expect(plain).not.toContain('\u001b[');
    expect(coloured).toContain('\u001b[31msql-import\u001b[39m');
    expect(coloured.replace(/\u001b\[\d+m/g, '')).toBe(plain);
  });
});

describe('json', () => {
  it('has findings and summary, nothing else', () => {
    const doc = JSON.parse(renderCheck(result, 'json', opts));
    expect(Object.keys(doc)).toEqual(['tool', 'version', 'findings', 'summary']);
    expect(doc).toMatchObject({ tool: 'port-db', version: '0.1.0' });
    expect(doc.findings[2]).toEqual({
      file: 'db/sqlalchemy/api.ts',
      line: 28,
      column: 43,
      rule: 'raw-sql',
      message: 'raw SQL SELECT statement: SELECT * FROM instances WHERE id = ${…}',
    });
    expect(doc.summary).toEqual(result.summary);
  });

  it('is byte-stable', () => {
    expect(renderCheck(result, 'json', opts)).toBe(renderCheck(structuredClone(result), 'json', opts));
    expect(renderCheck(clean, 'json', opts).endsWith('}\n')).toBe(true);
  });
});

describe('sarif', () => {
  const require = createRequire(import.meta.url);
  // CommonJS packages: required, so their default export types line up under NodeNext.
  const Ajv: typeof import('ajv-draft-04').default = require('ajv-draft-04');
  const addFormats: typeof import('ajv-formats').default = require('ajv-formats');
  const schemaPath = require.resolve('@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json');
  // The published schema's language-tag pattern is not a valid unicode-mode RegExp.
  const ajv = new Ajv({ strict: false, allErrors: true, unicodeRegExp: false });
  addFormats(ajv);
  const validate = ajv.compile(JSON.parse(readFileSync(schemaPath, 'utf8')));

  it.each([
    ['with findings', result],
    ['clean', clean],
  ])('is valid SARIF 2.1.0 (%s)', (_name, r) => {
    const log = JSON.parse(renderCheck(r, 'sarif', opts));
    const valid = validate(log);
    expect(validate.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
  });

  it('the validator rejects a broken log (the schema test is not vacuous)', () => {
    const log = JSON.parse(renderCheck(result, 'sarif', opts));
    log.runs[0].results[0].level = 'fatal';
    delete log.version;
    expect(validate(log)).toBe(false);
  });

  it('carries what GitHub code scanning requires', () => {
    const log = JSON.parse(renderCheck(result, 'sarif', opts));
    expect(log.version).toBe('2.1.0');
    expect(log.$schema).toMatch(/sarif-2\.1\.0/);
    expect(log.runs).toHaveLength(1);
    const driver = log.runs[0].tool.driver;
    expect(driver).toMatchObject({ name: 'port-db', version: '0.1.0', semanticVersion: '0.1.0' });
    expect(driver.rules.map((r: { id: string }) => r.id)).toEqual(CHECK_RULES.map((r) => r.id));
    for (const rule of driver.rules) {
      expect(rule.shortDescription.text.length).toBeGreaterThan(0);
      expect(rule.fullDescription.text.length).toBeGreaterThan(0);
      expect(rule.help.text.length).toBeGreaterThan(0);
      expect(['error', 'warning', 'recommendation']).toContain(rule.properties['problem.severity']);
    }
    const results = log.runs[0].results;
    expect(results).toHaveLength(4);
    for (const [i, r] of results.entries()) {
      expect(r.ruleId).toBe(result.findings[i].rule);
      expect(driver.rules[r.ruleIndex].id).toBe(r.ruleId);
      expect(r.message.text).toBe(result.findings[i].message);
      const loc = r.locations[0].physicalLocation;
      expect(loc.region).toEqual({ startLine: result.findings[i].line, startColumn: result.findings[i].column });
      expect(loc.artifactLocation.uriBaseId).toBe('%SRCROOT%');
    }
    expect(results[1].locations[0].physicalLocation.artifactLocation.uri).toBe('db/sqlalchemy/api.ts');
    expect(results[3].locations[0].physicalLocation.artifactLocation.uri).toBe('my%20dir/50%25%2Cx.ts');
    // an unresolved manual marker fails the check like leftover SQL: an error, here as in GitHub annotations
    expect(results[0].level).toBe('error');
    expect(results[1].level).toBe('error');
  });
});

describe('github', () => {
  it('prints one ::error command per finding, escaped as the runner expects', () => {
    expect(renderCheck(result, 'github', opts)).toBe(
      [
        '::error file=db/discovery/api.ts,line=2,col=1,title=manual-marker::SQL import kept for manual code: text, func',
        "::error file=db/sqlalchemy/api.ts,line=3,col=1,title=sql-import::import of SQL library 'sqlalchemy' (or_, func)",
        '::error file=db/sqlalchemy/api.ts,line=28,col=43,title=raw-sql::raw SQL SELECT statement: SELECT * FROM instances WHERE id = ${…}',
        '::error file=my dir/50%25%2Cx.ts,line=1,col=5,title=row-lock::line one%0Aline two: 100%25',
        '',
      ].join('\n'),
    );
  });

  it('prints nothing when clean', () => {
    expect(renderCheck(clean, 'github', opts)).toBe('');
  });

  it("gives each finding its rule's severity, the same as in SARIF", () => {
    const every: CheckResult = {
      ...result,
      findings: CHECK_RULES.map((r, i) => ({ file: 'a.ts', line: i + 1, column: 1, rule: r.id, message: r.title })),
    };
    const commands = renderCheck(every, 'github', opts).trimEnd().split('\n').map((l) => /^::(\w+) /.exec(l)![1]);
    const levels = JSON.parse(renderCheck(every, 'sarif', opts)).runs[0].results.map((r: { level: string }) => r.level);
    expect(commands).toEqual(levels.map((l: string) => (l === 'note' ? 'notice' : l)));
    expect(commands[CHECK_RULES.findIndex((r) => r.id === 'manual-marker')]).toBe('error');
    expect(commands[CHECK_RULES.findIndex((r) => r.id === 'unused-suppression')]).toBe('warning');
  });
});

it('rejects an unknown format with exit code 2', () => {
  expect(() => renderCheck(result, 'xml' as never, opts)).toThrow(expect.objectContaining({ exitCode: 2 }));
});
