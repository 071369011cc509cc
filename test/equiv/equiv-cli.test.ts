import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES, ROOT } from '../helpers.js';

// `port-db equiv` as a user runs it, on a copy of the Nova sample whose scenarios the tests write:
// verdicts, exit codes (EQUIV.md §5), bad input, and the same report twice.
let tmp: string;
let root: string;
let equivDir: string;
const api = () => join(root, 'nova', 'db', 'discovery', 'api.ts');

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'port-db'), ...args], { cwd: tmp, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function scenarios(name: string, body: string) {
  for (const f of readdirSync(equivDir)) rmSync(join(equivDir, f));
  writeFileSync(join(equivDir, name), `import { scenario, concurrently } from 'port-db/equiv';\nimport { get_admin_context } from '../../context';\nconst admin = get_admin_context();\nconst compute = { host: 'h1', topic: 'compute', binary: 'nova-compute' };\nexport default [${body}];\n`);
}

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'port-db-equiv-'));
  root = join(tmp, 'nova');
  cpSync(join(FIXTURES, 'nova'), root, { recursive: true });
  equivDir = join(root, 'nova', 'db', 'equiv');
});

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('port-db equiv', () => {
  it('prints a verdict per scenario and exits 0 when nothing diverged; skipped and skeletons are never equivalent', () => {
    scenarios(
      'a.equiv.ts',
      `scenario('creates', { async run({ api }) { await api.service_create(admin, compute); await api.service_create(admin, compute).catch(() => undefined); } }),
       scenario('a race', { async run({ api }) { await concurrently(() => api.service_create(admin, compute), () => api.service_create(admin, compute)); } }),
       scenario('to do', { todo: 'fill in', async run() {} })`,
    );
    const r = cli('equiv', 'nova');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('  ✓ creates\n');
    // the same host/topic twice at once: one is created, the other refused, as in some serial order
    expect(r.stdout).toContain('  ✓ a race\n');
    expect(r.stdout).toMatch(/2 calls at once: 2 SQL orders; \d+ ROME schedules, every one to 2 preemptions.*locks have teeth/);
    expect(r.stdout).toContain('  - to do — skipped: a skeleton to fill in: fill in\n');
    expect(r.stdout).toContain('3 scenarios: 2 equivalent, 1 skipped');
    expect(r.stdout).toMatch(/coverage: 1\/\d+ changed functions exercised/);
  });

  it('a port that answers differently diverges: exit 1, the difference and a replay command; an accept with a reason makes it accepted', () => {
    const original = readFileSync(api(), 'utf8');
    try {
      writeFileSync(api(), original.replace('    return service_ref.report_count;\n  });', '    return service_ref.report_count + 1;\n  });'));
      scenarios('a.equiv.ts', `scenario('report state', { seed: { services: [compute] }, async run({ api }) { await api.service_report_state(admin, 1); } })`);
      const r = cli('equiv', 'nova');
      expect(r.code).toBe(1);
      expect(r.stdout).toContain('  ✗ report state — diverged (result)\n      result at #1 service_report_state:\n        calls[0].ok: SQL 1, ROME 2\n');
      expect(r.stdout).toContain("      replay: port-db equiv nova --only 'report state'\n");
      scenarios('a.equiv.ts', `scenario('report state', { seed: { services: [compute] }, accept: [{ kind: 'result', call: 'service_report_state', reason: 'a test' }], async run({ api }) { await api.service_report_state(admin, 1); } })`);
      const accepted = cli('equiv', 'nova', '--format', 'json');
      expect(accepted.code).toBe(0);
      const json = JSON.parse(accepted.stdout);
      expect(json.tool).toBe('port-db');
      expect(json.equivalence.modules[0].scenarios[0]).toMatchObject({ verdict: 'accepted', accepted: [{ kind: 'result', call: 'service_report_state', reason: 'a test' }] });
    } finally {
      writeFileSync(api(), original);
    }
  });

  it('the same run gives a byte-identical JSON report, and --self-check finds the SQL module equivalent to itself', () => {
    scenarios(
      'a.equiv.ts',
      `scenario('update', { seed: { services: [compute, { ...compute, host: 'h2' }] }, async run({ api }) { await api.service_update(admin, 2, { report_count: 2 }); await api.service_get(admin, 2); } }),
       scenario('a race', { async run({ api }) { await concurrently(() => api.service_create(admin, compute), () => api.service_create(admin, compute), () => api.service_create(admin, { ...compute, topic: 't2' })); } })`,
    );
    // the concurrent part too: schedules, their order and the random ones come from the seed
    const first = cli('equiv', 'nova', '--format', 'json', '--schedules', '300');
    const second = cli('equiv', 'nova', '--format', 'json', '--schedules', '300');
    expect(first.stdout).toBe(second.stdout);
    expect(JSON.parse(first.stdout).equivalence.modules[0].scenarios[1].concurrency).toMatchObject({ groups: [3], orders: 6, schedules: 300, exhaustive: false });
    const self = cli('equiv', 'nova', '--self-check');
    expect(self.code).toBe(0);
    expect(self.stdout).toContain('2 scenarios: 2 equivalent');
  });

  it('bad input exits 2 with what to fix: an unknown function, a scenario that does not load, --only matching nothing, no port', () => {
    scenarios('a.equiv.ts', `scenario('typo', { async run({ api }) { await api.service_craete(admin, compute); } })`);
    let r = cli('equiv', 'nova');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("api.service_craete: the module exports no 'service_craete'");
    // a scenario that does not type-check is bad input, each error at file:line:column
    writeFileSync(join(equivDir, 'a.equiv.ts'), 'export default scenario(;\n');
    r = cli('equiv', 'nova');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/type errors? in the scenarios:\n {2}\S*nova\/db\/equiv\/a\.equiv\.ts:1:\d+: error TS\d+/);
    scenarios('a.equiv.ts', `scenario('wrong seed', { seed: { services: 3 }, async run() {} })`);
    r = cli('equiv', 'nova');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/nova\/db\/equiv\/a\.equiv\.ts:\d+:\d+: error TS2322: Type 'number' is not assignable/);
    // one that type-checks and throws as it loads
    writeFileSync(join(equivDir, 'a.equiv.ts'), `import { scenario } from 'port-db/equiv';\nconst boom = (): never => { throw new Error('boom'); };\nexport default scenario('x', { run: boom() });\n`);
    r = cli('equiv', 'nova');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/nova\/db\/equiv\/a\.equiv\.ts.*does not load.*boom/);
    // a replay token that does not fit the scenario
    scenarios('a.equiv.ts', `scenario('a race', { async run({ api }) { await concurrently(() => api.service_create(admin, compute), () => api.service_create(admin, compute)); } })`);
    r = cli('equiv', 'nova', '--only', 'a race', '--replay', '0.0');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--replay: the token has 2 choices and this scenario's schedule \d+/);
    r = cli('equiv', 'nova', '--replay', '0.0');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('add --only NAME');
    scenarios('a.equiv.ts', `scenario('seeds', { seed: { servicez: [compute] }, async run() {} })`);
    r = cli('equiv', 'nova');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("seed of servicez: no model maps the table 'servicez'");
    scenarios('a.equiv.ts', `scenario('creates', { async run({ api }) { await api.service_create(admin, compute); } })`);
    r = cli('equiv', 'nova', '--only', 'nothing like it');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("no scenario's name contains 'nothing like it'");
    const port = readFileSync(api(), 'utf8');
    rmSync(api());
    try {
      r = cli('equiv', 'nova');
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('has no port yet');
      expect(r.stderr).toContain('hint: run `port-db port nova` first');
    } finally {
      writeFileSync(api(), port);
    }
  });

  it('--init writes a skeleton for each changed function without a scenario, never over an existing file; skeletons are skipped', () => {
    scenarios('services.equiv.ts', `scenario('creates', { async run({ api }) { await api.service_create(admin, compute); } })`);
    const r = cli('equiv', 'nova', '--init');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('wrote nova/nova/db/equiv/key_pair_create.equiv.ts\n');
    expect(r.stdout).not.toContain('service_create.equiv.ts');
    const skeleton = readFileSync(join(equivDir, 'key_pair_create.equiv.ts'), 'utf8');
    expect(skeleton).toContain("todo: 'fill in the seed and the arguments of key_pair_create'");
    expect(skeleton).toContain('the same create again');
    writeFileSync(join(equivDir, 'key_pair_create.equiv.ts'), '// mine\n' + skeleton);
    expect(cli('equiv', 'nova', '--init').stdout).toBe('every changed function already has a scenario: nothing written\n');
    expect(readFileSync(join(equivDir, 'key_pair_create.equiv.ts'), 'utf8').startsWith('// mine\n')).toBe(true);
    expect(existsSync(join(equivDir, 'FlavorAccessApi.flavor_access_remove.equiv.ts'))).toBe(true);
    const run = cli('equiv', 'nova', '--only', 'key_pair_create');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('  - key_pair_create: TODO describe what this checks — skipped: a skeleton to fill in');
  });

  it('port --equiv adds the verdicts to port-report.json and PORT-REPORT.md, and exits 1 on a divergence; it refuses --dry-run', () => {
    scenarios('a.equiv.ts', `scenario('report state', { seed: { services: [compute] }, async run({ api }) { await api.service_report_state(admin, 1); } })`);
    const r = cli('port', 'nova', '--equiv', '--no-verify');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('  ✓ report state\n');
    const report = JSON.parse(readFileSync(join(root, 'nova', 'db', 'discovery', 'port-report.json'), 'utf8'));
    expect(report.equivalence).toMatchObject({ source: 'nova/db/sqlalchemy/api.ts', summary: { equivalent: 1 }, scenarios: [{ name: 'report state', verdict: 'equivalent' }] });
    expect(readFileSync(join(root, 'nova', 'db', 'discovery', 'PORT-REPORT.md'), 'utf8')).toContain('## Behaviour equivalence: `nova/db/sqlalchemy/api.ts` → `nova/db/discovery/api.ts`\n\n1 scenario: 1 equivalent.');
    // a hand edit that changes behaviour: port keeps it (the port did not change since), equiv sees it
    writeFileSync(api(), readFileSync(api(), 'utf8').replace('    return service_ref.report_count;\n  });', '    return service_ref.report_count + 1;\n  });'));
    const edited = cli('port', 'nova', '--equiv', '--no-verify');
    expect(edited.stdout).toContain('  ✗ report state — diverged (result)');
    expect(edited.code).toBe(1);
    const dry = cli('port', 'nova', '--equiv', '--dry-run');
    expect(dry.code).toBe(2);
    expect(dry.stderr).toContain('cannot be combined with --dry-run');
  });

  it('port-db.config.json switches normaliser rules off by name; an unknown rule is exit 2', () => {
    scenarios('a.equiv.ts', `scenario('quota', { async run({ api }) { await api.quota_create(admin, 'p1', 'instances', 10); } })`);
    const config = join(root, 'port-db.config.json');
    try {
      expect(cli('equiv', 'nova').stdout).toContain('note: async in the port (callers must await): quota_create');
      writeFileSync(config, JSON.stringify({ equiv: { normalise: { awaited: false } } }));
      const strict = cli('equiv', 'nova');
      expect(strict.code).toBe(1);
      expect(strict.stdout).toContain('calls[0]: SQL "a value", ROME "a promise"');
      writeFileSync(config, JSON.stringify({ equiv: { normalise: { awaitd: false } } }));
      const bad = cli('equiv', 'nova');
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain('nova/port-db.config.json: /equiv/normalise/awaitd is no normaliser rule');
    } finally {
      rmSync(config, { force: true });
    }
  });

  it('--sql-collation: MySQL compares text case-insensitively (ci, the default), so a unique key refuses a name that differs in case; binary does not', () => {
    scenarios('a.equiv.ts', `scenario('case', { async run({ api }) { await api.service_create(admin, compute); await api.service_create(admin, { ...compute, host: 'H1' }).catch(() => undefined); } })`);
    const ci = cli('equiv', 'nova', '--format', 'json');
    const verdict = JSON.parse(ci.stdout).equivalence;
    expect(verdict.sqlCollation).toBe('ci');
    // the port's uniqueness check compares as ROME does (Python's ==): a finding, not a harness fault
    const found = verdict.modules[0].scenarios[0];
    expect(found.verdict).toBe('diverged');
    expect(found.divergences.map((d: { kind: string; call?: string }) => `${d.kind} ${d.call ?? ''}`)).toEqual(['error #2 service_create', 'store ']);
    const binary = cli('equiv', 'nova', '--sql-collation', 'binary');
    expect(binary.code).toBe(0);
    expect(binary.stdout).toContain('  ✓ case\n');
    expect(binary.stdout).toContain('SQL reference: SQLite, binary text.');
  });
});
