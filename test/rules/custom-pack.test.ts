import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCheck } from '../../src/check/index.js';
import { port } from '../../src/port/run.js';
import { loadRulePack, resolveRulesSpec } from '../../src/rules.js';
import { expectFile, FIXTURES } from '../helpers.js';
import { scratchDir } from '../scratch.js';

/**
 * fixtures/custom-pack: an inventory service written with Acme's names (open_db_session(),
 * query_model(), @acme/sql, eager(), for_update()) and acme.rules.json, the pack that extends
 * the default with them, chosen by the tree's port-db.config.json. Its db/discovery/* files are
 * what `port-db port fixtures/custom-pack --rules fixtures/custom-pack/acme.rules.json` writes;
 * UPDATE_FIXTURES=1 regenerates them.
 */
const root = join(FIXTURES, 'custom-pack');
const packPath = join(root, 'acme.rules.json');

describe('fixtures/custom-pack', () => {
  const acme = port({ roots: [root], rules: packPath, dryRun: true, force: true });
  const plain = port({ roots: [root], rules: 'default', dryRun: true, force: true });
  const report = acme.modules[0].report;
  const statusOf = (r: typeof report) => Object.fromEntries(r.functions.map((f) => [f.name, f.status]));

  it('its port-db.config.json chooses acme.rules.json', () => {
    expect(resolveRulesSpec(root).spec).toBe(packPath);
  });

  for (const name of ['api.ts', 'PORT-REPORT.md', 'port-report.json', 'models.ts']) {
    it(`emits ${name} as expected`, () => {
      const file = acme.modules[0].files.find((f) => f.path.endsWith(`/${name}`))!;
      const { expected, actual } = expectFile(file.path, file.content);
      expect(actual).toBe(expected);
    });
  }

  it('the report names the pack', () => {
    expect(report.rules).toBe('acme');
    expect(plain.modules[0].report.rules).toBe('default');
  });

  it('the acme pack ports the functions the default pack copies unchanged', () => {
    expect(statusOf(plain.modules[0].report)).toMatchObject({ item_get: 'unchanged', item_rename: 'unchanged', stock_take: 'unchanged' });
    expect(statusOf(report)).toMatchObject({ item_get: 'ported', item_search: 'manual', item_create: 'ported', item_rename: 'ported', stock_take: 'ported' });
    for (const kind of ['session', 'query', 'row-lock', 'loader-option', 'session-add']) {
      expect(report.summary.byKind[kind], kind).toBeGreaterThan(0);
      expect(plain.modules[0].report.summary.byKind[kind] ?? 0, kind).toBe(0);
    }
  });

  it('without the pack the row lock survives and the SQL session module stays imported; with it both are gone', () => {
    const [plainApi] = plain.modules[0].files;
    const [acmeApi] = acme.modules[0].files;
    expect(plainApi.content).toContain('.for_update()');
    expect(plainApi.content).toContain("from '../sqlalchemy/session'");
    expect(acmeApi.content).not.toContain('.for_update()');
    expect(acmeApi.content).not.toMatch(/from '(\.\.\/sqlalchemy|\.)\/session'/);
    expect(acmeApi.content).toMatch(/function open_db_session\(_options\?: unknown\): RomeSession/);
  });

  it('uses the pack\'s lock settings', () => {
    const [api] = acme.modules[0].files;
    expect(api.content).toContain('const lock_name = `acme:items:${values.sku}`;');
    // row locks have their own template (lock.rowNameTemplate); the default pack's is {table}:{key}
    expect(api.content).toContain('const lock_name = `acme:stock:row:${item_id}:${warehouse}`;');
    expect(plain.modules[0].files[0].content).not.toContain('acme:stock');
    expect(api.content).toContain('await cluster_lock.lock(name, 250)');
    expect(api.content).toContain('attempt <= 5;');
  });

  it('check with the pack finds the Acme session factory, row lock and SQL wrapper; the default pack misses them', async () => {
    const source = ['svc/db/sqlalchemy/api.ts'];
    const withPack = await runCheck({ paths: source, cwd: root, rules: loadRulePack(packPath), jobs: 1 });
    const withDefault = await runCheck({ paths: source, cwd: root, rules: loadRulePack(), jobs: 1 });
    const rules = (r: typeof withPack) => [...new Set(r.findings.map((f) => f.rule))].sort();
    expect(rules(withPack)).toEqual(expect.arrayContaining(['row-lock', 'sql-import', 'sql-session']));
    expect(withPack.findings.some((f) => f.rule === 'sql-import' && f.message.includes('@acme/sql'))).toBe(true);
    expect(rules(withDefault)).not.toContain('row-lock');
    expect(withDefault.findings.some((f) => f.message.includes('open_db_session'))).toBe(false);
  });

  it('check with the pack on the port reports exactly its manual items', async () => {
    const result = await runCheck({ paths: ['svc/db/discovery/api.ts', 'svc/db/discovery/models.ts'], cwd: root, rules: loadRulePack(packPath), jobs: 1 });
    expect(result.findings.map((f) => f.rule)).toEqual(Array(report.summary.manualItems + report.models!.summary.manualItems).fill('manual-marker'));
  });

  it('is idempotent: porting the port with the pack changes nothing', () => {
    const tmp = scratchDir('port-db-acme-');
    mkdirSync(join(tmp, 'db', 'sqlalchemy'), { recursive: true });
    writeFileSync(join(tmp, 'db', 'sqlalchemy', 'api.ts'), acme.modules[0].files[0].content);
    cpSync(join(root, 'svc', 'db', 'sqlalchemy', 'models.ts'), join(tmp, 'db', 'sqlalchemy', 'models.ts'));
    const twice = port({ roots: [tmp], rules: packPath, dryRun: true });
    expect(twice.modules[0].files[0].content).toBe(acme.modules[0].files[0].content);
  });
});
