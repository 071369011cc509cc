import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURES, ROOT } from './helpers.js';

function run(args: string[], cwd = ROOT, env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'port-db'), ...args], { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '', ...env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A copy of a sample tree without its expected outputs. */
function sampleTree(tree = 'nova'): string {
  const dir = mkdtempSync(join(tmpdir(), 'port-db-cli-'));
  cpSync(join(FIXTURES, tree), dir, { recursive: true, filter: (src) => !src.includes(`${join('db', 'discovery')}`) });
  return dir;
}

const listing = (dir: string): string[] => readdirSync(dir, { recursive: true }).map(String).sort();

describe('port-db port', () => {
  it('writes api.ts, PORT-REPORT.md and port-report.json beside the SQL module', () => {
    const dir = sampleTree();
    const r = run(['port', dir]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/ported 1 module/);
    expect(r.stdout).toMatch(/functions 55 · unchanged \d+ · ported \d+ · manual \d+/);
    for (const f of ['api.ts', 'PORT-REPORT.md', 'port-report.json']) {
      const written = readFileSync(join(dir, 'nova', 'db', 'discovery', f), 'utf8');
      expect(written).toBe(readFileSync(join(FIXTURES, 'nova', 'nova', 'db', 'discovery', f), 'utf8'));
    }
    expect(readFileSync(join(dir, 'nova', 'db', 'sqlalchemy', 'api.ts'), 'utf8')).toBe(readFileSync(join(FIXTURES, 'nova', 'nova', 'db', 'sqlalchemy', 'api.ts'), 'utf8'));
  });

  it('--dry-run writes nothing and prints the diff of the port', () => {
    const dir = sampleTree();
    const before = listing(dir);
    const r = run(['port', dir, '--dry-run']);
    expect(r.code).toBe(0);
    expect(listing(dir)).toEqual(before);
    expect(r.stdout).toMatch(/^--- a\/nova\/db\/sqlalchemy\/api\.ts\n\+\+\+ b\/nova\/db\/discovery\/api\.ts/);
    expect(r.stdout).toMatch(/^\+\s+session\.add\(service_ref\);$/m);
    expect(r.stdout).not.toMatch(/\x1b\[/);
    expect(r.stderr).toMatch(/would port \(dry run, nothing written\)/);
  });

  it('colours the diff when FORCE_COLOR is set', () => {
    const r = run(['port', join(FIXTURES, 'nova'), '--dry-run'], ROOT, { NO_COLOR: '', FORCE_COLOR: '1' });
    expect(r.stdout).toMatch(/\x1b\[32m\+/);
  });

  it('--out mirrors the outputs under another folder', () => {
    const out = mkdtempSync(join(tmpdir(), 'port-db-out-'));
    const r = run(['port', join(FIXTURES, 'glance'), '--out', out]);
    expect(r.code).toBe(0);
    expect(listing(out)).toEqual(['glance', 'glance/db', 'glance/db/discovery', 'glance/db/discovery/PORT-REPORT.md', 'glance/db/discovery/api.ts', 'glance/db/discovery/port-report.json']);
  });

  it('--strict exits 1 when manual items remain; --format json prints the reports', () => {
    const r = run(['port', join(FIXTURES, 'nova'), '--dry-run', '--strict', '--format', 'json']);
    expect(r.code).toBe(1);
    const reports = JSON.parse(r.stdout.slice(r.stdout.indexOf('\n[') + 1));
    expect(reports[0].summary.manualItems).toBeGreaterThan(0);
  });

  it('refuses to overwrite a hand-edited port without --force', () => {
    const dir = sampleTree('glance');
    expect(run(['port', dir]).code).toBe(0);
    const api = join(dir, 'glance', 'db', 'discovery', 'api.ts');
    writeFileSync(api, readFileSync(api, 'utf8') + '\n// my fix\n');
    const r = run(['port', dir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/edited since port-db wrote it/);
    expect(readFileSync(api, 'utf8')).toMatch(/\/\/ my fix/);
    expect(run(['port', dir, '--force']).code).toBe(0);
    expect(readFileSync(api, 'utf8')).not.toMatch(/\/\/ my fix/);
  });

  it('a second run over its own output changes nothing and succeeds', () => {
    const dir = sampleTree('glance');
    expect(run(['port', dir]).code).toBe(0);
    const first = readFileSync(join(dir, 'glance', 'db', 'discovery', 'port-report.json'), 'utf8');
    expect(run(['port', dir]).code).toBe(0);
    expect(readFileSync(join(dir, 'glance', 'db', 'discovery', 'port-report.json'), 'utf8')).toBe(first);
  });
});

describe('bad input exits 2, names the problem and writes nothing', () => {
  it('a missing root', () => {
    const r = run(['port', 'no/such/dir']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/root not found: no\/such\/dir/);
  });

  it('a root without db/sqlalchemy/api.ts', () => {
    const dir = mkdtempSync(join(tmpdir(), 'port-db-empty-'));
    const r = run(['port', dir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no db\/sqlalchemy\/api\.ts found/);
    expect(r.stderr).toMatch(/hint: .*layout/);
  });

  it('a syntax error: file:line:col, a code frame, nothing written', () => {
    const dir = mkdtempSync(join(tmpdir(), 'port-db-syntax-'));
    mkdirSync(join(dir, 'db', 'sqlalchemy'), { recursive: true });
    writeFileSync(join(dir, 'db', 'sqlalchemy', 'api.ts'), 'export function f() {\n  return 1 +;\n}\n');
    const r = run(['port', dir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/db\/sqlalchemy\/api\.ts:2:\d+: syntax error/);
    expect(r.stderr).toMatch(/> 2 \|   return 1 \+;/);
    expect(existsSync(join(dir, 'db', 'discovery'))).toBe(false);
  });

  it('an unknown option or command', () => {
    expect(run(['port', '--bogus', 'x']).code).toBe(2);
    expect(run(['frobnicate']).code).toBe(2);
  });

  it('a rule pack that is not valid', () => {
    const pack = join(mkdtempSync(join(tmpdir(), 'port-db-pack-')), 'pack.json');
    writeFileSync(pack, JSON.stringify({ name: 'x', target: { module: 'rome-orm' }, lock: { ttlMs: 100 } }));
    const r = run(['port', join(FIXTURES, 'nova'), '--dry-run', '--rules', pack]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/key "sessionFactories"/);
  });
});

describe('--help and --version', () => {
  it('exit 0', () => {
    expect(run(['--help']).code).toBe(0);
    const v = run(['--version']);
    expect(v.code).toBe(0);
    expect(v.stdout.trim()).toBe(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version);
  });
});

describe('port-db check on the sample trees', () => {
  it('finds every rule but manual-marker in the SQL module, and only the manual items in its port', () => {
    const sql = run(['check', join(FIXTURES, 'nova', 'nova', 'db', 'sqlalchemy', 'api.ts'), '--format', 'json']);
    expect(sql.code).toBe(1);
    const rules = new Set(JSON.parse(sql.stdout).findings.map((f: { rule: string }) => f.rule));
    expect([...rules].sort()).toEqual(['raw-sql', 'row-lock', 'sql-import', 'sql-session']);
    const ported = run(['check', join(FIXTURES, 'nova', 'nova', 'db', 'discovery', 'api.ts'), '--format', 'json']);
    const findings = JSON.parse(ported.stdout).findings;
    const report = JSON.parse(readFileSync(join(FIXTURES, 'nova', 'nova', 'db', 'discovery', 'port-report.json'), 'utf8'));
    expect(findings.every((f: { rule: string }) => f.rule === 'manual-marker')).toBe(true);
    expect(findings.length).toBe(report.summary.manualItems);
  });
});
