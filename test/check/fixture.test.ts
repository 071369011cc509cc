import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkExitCode, runCheck } from '../../src/check/index.js';
import { defaultPack, repoRoot } from './helpers.js';

const mini = path.join(repoRoot, 'fixtures/check/nova-mini');

describe('nova-mini fixture', () => {
  it('the SQL module gives findings of every rule', async () => {
    const result = await runCheck({ paths: ['db/sqlalchemy/api.ts'], cwd: mini, rules: defaultPack });
    const rules = new Set(result.findings.map((f) => f.rule));
    expect([...rules].sort()).toEqual(['manual-marker', 'raw-sql', 'row-lock', 'sql-import', 'sql-session']);
    // The prose help string is not SQL.
    expect(result.findings.some((f) => f.line === 43)).toBe(false);
    expect(checkExitCode(result)).toBe(1);
  });

  it('its port gives only manual markers, one per marker comment', async () => {
    const result = await runCheck({ paths: ['db/discovery'], cwd: mini, rules: defaultPack });
    const markers = readFileSync(path.join(mini, 'db/discovery/api.ts'), 'utf8').match(/\/\/ port-db: manual /g)!.length;
    expect(result.findings.map((f) => f.rule)).toEqual(Array(markers).fill('manual-marker'));
    expect(result.findings.map((f) => `${f.file}:${f.line}`)).toEqual([
      'db/discovery/api.ts:2',
      'db/discovery/api.ts:22',
      'db/discovery/api.ts:29',
      'db/discovery/api.ts:33',
    ]);
    // models.ts imports nothing that could be SQL: the pre-filter skips it.
    expect(result.summary).toMatchObject({ files: 2, scanned: 1 });
  });

  it('prose that starts with SQL keywords is clean', async () => {
    const result = await runCheck({ paths: ['fixtures/check/clean'], cwd: repoRoot, rules: defaultPack });
    expect(result.findings).toEqual([]);
    expect(checkExitCode(result)).toBe(0);
  });
});
