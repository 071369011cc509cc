import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURES, ROOT } from './helpers.js';
import { snapshot } from './safety/helpers.js';
import { scratchDir } from './scratch.js';

function run(args: string[], cwd = ROOT, env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'port-db'), ...args], { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '', ...env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A copy of a sample tree without its expected outputs. */
function sampleTree(tree = 'nova'): string {
  const dir = scratchDir('port-db-cli-');
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
    expect(r.stdout).toMatch(/functions 66 · unchanged \d+ · ported \d+ · manual \d+/);
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
    const out = scratchDir('port-db-out-');
    const r = run(['port', join(FIXTURES, 'glance'), '--out', out]);
    expect(r.code).toBe(0);
    // the summary says where the files went, in full
    expect(r.stdout).toContain(`glance/db/sqlalchemy/api.ts → ${join(out, 'glance', 'db', 'discovery', 'api.ts')}\n`);
    expect(r.stdout).toContain(`report: ${join(out, 'glance', 'db', 'discovery', 'PORT-REPORT.md')}\n`);
    expect(listing(out)).toEqual([
      'glance',
      'glance/db',
      'glance/db/discovery',
      // the port as written, the base of the merge of later hand edits (issue 7)
      'glance/db/discovery/.port-db',
      'glance/db/discovery/.port-db/api.base.ts',
      'glance/db/discovery/.port-db/models.base.ts',
      'glance/db/discovery/PORT-REPORT.md',
      'glance/db/discovery/api.ts',
      // the models port (issue 9), which api.ts imports
      'glance/db/discovery/models.ts',
      'glance/db/discovery/port-report.json',
    ]);
  });

  it('refuses --out at a filesystem root (exit 2, with a hint), writing nothing', () => {
    for (const root of ['/', '//', '/tmp/..']) {
      const r = run(['port', join(FIXTURES, 'glance'), '--out', root, '--dry-run']);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(new RegExp(`^port-db: error: --out ${root.replace(/\./g, '\\.')} is the root of the filesystem`));
      expect(r.stderr).toMatch(/hint: pass a folder of its own/);
      expect(r.stdout).toBe('');
    }
    expect(existsSync('/glance')).toBe(false);
  });

  it('--strict exits 1 when manual items remain; --format json prints the reports', () => {
    const r = run(['port', join(FIXTURES, 'nova'), '--dry-run', '--strict', '--format', 'json']);
    expect(r.code).toBe(1);
    const reports = JSON.parse(r.stdout);
    expect(reports[0].summary.manualItems).toBeGreaterThan(0);
    // and says why, on stderr (stdout is the JSON)
    const manual = reports[0].summary.manualItems + reports[0].models.summary.manualItems;
    expect(r.stderr).toContain(`port-db: --strict: exit 1: nova/db/sqlalchemy/api.ts: ${manual} manual items\n`);
  });

  it('--strict exits 1 on a lock-path finding (a hand edit that leaves a lock held on an error); without it the port succeeds', () => {
    const dir = scratchDir('port-db-cli-');
    mkdirSync(join(dir, 'svc', 'db', 'sqlalchemy'), { recursive: true });
    cpSync(join(FIXTURES, 'nova', 'nova', 'db', 'sqlalchemy', 'models.ts'), join(dir, 'svc', 'db', 'sqlalchemy', 'models.ts'));
    const create = "import * as models from './models';\n\nexport async function service_create(context: any, values: any) {\n  const service_ref = new models.Service();\n  service_ref.update(values);\n  await service_ref.save();\n  return service_ref;\n}\n";
    writeFileSync(join(dir, 'svc', 'db', 'sqlalchemy', 'api.ts'), create);
    // no manual item: --strict passes on the port as written
    expect(run(['port', dir, '--strict']).code).toBe(0);
    const api = join(dir, 'svc', 'db', 'discovery', 'api.ts');
    const wrapper = 'try {\n    return await service_create_(context, values);\n  } finally {\n    await release_lock(lock_name);\n  }';
    expect(readFileSync(api, 'utf8')).toContain(wrapper);
    writeFileSync(api, readFileSync(api, 'utf8').replace(wrapper, 'const ref = await service_create_(context, values);\n  await release_lock(lock_name);\n  return ref;'));
    const loose = run(['port', dir]);
    expect(loose.code).toBe(0);
    expect(loose.stdout).toContain('lock paths: 1 finding (unreleased 1)');
    const strict = run(['port', dir, '--strict']);
    expect(strict.code).toBe(1);
    expect(strict.stderr).toContain('port-db: --strict: exit 1: svc/db/sqlalchemy/api.ts: 1 lock-path finding\n');
    rmSync(dir, { recursive: true, force: true });
  });

  it('--dry-run --format json: stdout is the JSON reports alone, the diff goes to stderr', () => {
    const r = run(['port', join(FIXTURES, 'glance'), '--dry-run', '--no-verify', '--format', 'json']);
    expect(r.code).toBe(0);
    const reports = JSON.parse(r.stdout);
    expect(reports.map((m: { output: string }) => m.output)).toEqual(['glance/db/discovery/api.ts']);
    expect(r.stdout).not.toContain('--- a/');
    expect(r.stderr).toContain('--- a/glance/db/sqlalchemy/api.ts\n+++ b/glance/db/discovery/api.ts\n');
  });

  it('--dry-run --format md: stdout is PORT-REPORT.md as a run would write it, the diff goes to stderr', () => {
    const r = run(['port', join(FIXTURES, 'glance'), '--dry-run', '--no-verify', '--format', 'md']);
    expect(r.code).toBe(0);
    expect(r.stdout.startsWith('# ')).toBe(true);
    expect(r.stdout).not.toContain('--- a/');
    expect(r.stdout).not.toMatch(/^@@ /m);
    expect(r.stderr).toContain('--- a/glance/db/sqlalchemy/api.ts\n+++ b/glance/db/discovery/api.ts\n');
  });

  it('merges hand edits with a new port; a conflict exits 1 naming file:line and writes nothing over the edited file; --force overwrites', () => {
    const dir = sampleTree('glance');
    expect(run(['port', dir, '--no-verify']).code).toBe(0);
    const disc = join(dir, 'glance', 'db', 'discovery');
    const api = join(disc, 'api.ts');
    const source = join(dir, 'glance', 'db', 'sqlalchemy', 'api.ts');
    // a hand edit at the end, and upstream changes a function: a clean merge keeps both
    writeFileSync(api, readFileSync(api, 'utf8') + '\n// my fix\n');
    writeFileSync(source, readFileSync(source, 'utf8').replace('force_show_deleted = false', 'force_show_deleted = true'));
    let r = run(['port', dir, '--no-verify']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/glance\/db\/discovery\/api\.ts: edited by hand; your edits were merged with the new port/);
    expect(readFileSync(api, 'utf8')).toMatch(/\/\/ my fix\n$/);
    expect(readFileSync(api, 'utf8')).toContain('force_show_deleted = true');
    // both change the same line: conflict
    const edited = readFileSync(api, 'utf8').replace('force_show_deleted = true', 'force_show_deleted = !!0');
    writeFileSync(api, edited);
    const report = readFileSync(join(disc, 'port-report.json'), 'utf8');
    writeFileSync(source, readFileSync(source, 'utf8').replace('force_show_deleted = true', 'force_show_deleted = 1 > 2'));
    r = run(['port', dir, '--no-verify']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/port-db: 1 conflict between your edits to glance\/db\/discovery\/api\.ts and the new port/);
    const at = /glance\/db\/discovery\/api\.conflict\.ts:(\d+): conflict 1 of 1: your line (\d+) of api\.ts/.exec(r.stderr)!;
    expect(at).not.toBeNull();
    expect(readFileSync(join(disc, 'api.conflict.ts'), 'utf8').split('\n')[Number(at[1]) - 1]).toMatch(/^<<<<<<< /);
    expect(edited.split('\n')[Number(at[2]) - 1]).toContain('force_show_deleted = !!0');
    expect(readFileSync(api, 'utf8')).toBe(edited);
    expect(readFileSync(join(disc, 'port-report.json'), 'utf8')).toBe(report);
    // unresolved: still exit 1, still nothing written
    expect(run(['port', dir, '--no-verify']).code).toBe(1);
    expect(readFileSync(api, 'utf8')).toBe(edited);
    // --force overwrites the edits and drops the conflict file
    r = run(['port', dir, '--no-verify', '--force']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/your edits were overwritten \(--force\)/);
    expect(readFileSync(api, 'utf8')).not.toMatch(/my fix|!!0/);
    expect(existsSync(join(disc, 'api.conflict.ts'))).toBe(false);
  });

  it('a second run over its own output changes nothing and succeeds', () => {
    const dir = sampleTree('glance');
    expect(run(['port', dir]).code).toBe(0);
    const first = readFileSync(join(dir, 'glance', 'db', 'discovery', 'port-report.json'), 'utf8');
    expect(run(['port', dir]).code).toBe(0);
    expect(readFileSync(join(dir, 'glance', 'db', 'discovery', 'port-report.json'), 'utf8')).toBe(first);
  });
});

describe('rule pack selection', () => {
  it('uses the port-db.config.json at the root when no --rules is given', () => {
    const r = run(['port', join(FIXTURES, 'custom-pack'), '--dry-run', '--no-verify']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/\(rules: acme\)/);
    const d = run(['port', join(FIXTURES, 'custom-pack'), '--dry-run', '--no-verify', '--rules', 'default']);
    expect(d.stderr).toMatch(/\(rules: default\)/);
  });
});

describe('bad input exits 2, names the problem and writes nothing', () => {
  it('a missing root', () => {
    const r = run(['port', 'no/such/dir']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/root not found: no\/such\/dir/);
  });

  it('a root without db/sqlalchemy/api.ts', () => {
    const dir = scratchDir('port-db-empty-');
    const r = run(['port', dir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no db\/sqlalchemy\/api\.ts found/);
    expect(r.stderr).toMatch(/hint: .*layout/);
  });

  it('a syntax error: file:line:col, a code frame, nothing written', () => {
    const dir = scratchDir('port-db-syntax-');
    mkdirSync(join(dir, 'db', 'sqlalchemy'), { recursive: true });
    writeFileSync(join(dir, 'db', 'sqlalchemy', 'api.ts'), 'export function f() {\n  return 1 +;\n}\n');
    const r = run(['port', dir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/db\/sqlalchemy\/api\.ts:2:\d+: syntax error/);
    expect(r.stderr).toMatch(/> 2 \|   return 1 \+;/);
    expect(existsSync(join(dir, 'db', 'discovery'))).toBe(false);
  });

  it('a syntax error in the models over a good earlier port (the nova sample): exit 2 at models.ts:line, the port left as it was', () => {
    const dir = sampleTree();
    try {
      expect(run(['port', dir, '--no-verify']).code).toBe(0);
      const before = snapshot(dir);
      const api = readFileSync(join(dir, 'nova', 'db', 'discovery', 'api.ts'), 'utf8');
      const models = join(dir, 'nova', 'db', 'sqlalchemy', 'models.ts');
      const text = readFileSync(models, 'utf8');
      const line = text.split('\n').findIndex((l) => l.includes("static __tablename__ = 'services'")) + 1;
      writeFileSync(models, text.replace("static __tablename__ = 'services';", "static __tablename__ = 'services' {{ (;"));
      for (const args of [[], ['--dry-run']]) {
        const r = run(['port', dir, '--no-verify', ...args]);
        expect(r.code).toBe(2);
        expect(r.stdout).toBe('');
        expect(r.stderr).toMatch(new RegExp(`^port-db: error: nova/db/sqlalchemy/models\\.ts:${line}:\\d+: syntax error`));
        expect(r.stderr).toMatch(/hint: .*nothing was written/);
      }
      expect(readFileSync(join(dir, 'nova', 'db', 'discovery', 'api.ts'), 'utf8')).toBe(api);
      expect(api.match(/await acquire_lock\(/g)?.length).toBeGreaterThan(3);
      const models_ = 'nova/db/sqlalchemy/models.ts';
      expect({ ...snapshot(dir), [models_]: before[models_] }).toEqual(before);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a binary file and bytes that are not UTF-8: file:line:col and what to do', () => {
    const dir = scratchDir('port-db-bytes-');
    mkdirSync(join(dir, 'a', 'db', 'sqlalchemy'), { recursive: true });
    writeFileSync(join(dir, 'a', 'db', 'sqlalchemy', 'api.ts'), Buffer.from('export const a = 1;\nconst \u0000b = 2;\n'));
    let r = run(['port', join(dir, 'a')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^port-db: error: db\/sqlalchemy\/api\.ts:2:7: binary file/);
    expect(r.stderr).toMatch(/\nhint: /);
    mkdirSync(join(dir, 'b', 'db', 'sqlalchemy'), { recursive: true });
    writeFileSync(join(dir, 'b', 'db', 'sqlalchemy', 'api.ts'), Buffer.concat([Buffer.from('// caf'), Buffer.from([0xe9]), Buffer.from('\n')]));
    r = run(['port', join(dir, 'b')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^port-db: error: db\/sqlalchemy\/api\.ts:1:7: the file is not valid UTF-8 \(byte 0xe9\)\n> 1 \| \/\/ caf/);
    expect(r.stderr).toMatch(/hint: convert db\/sqlalchemy\/api\.ts to UTF-8/);
    expect(listing(dir).filter((f) => f.includes('discovery'))).toEqual([]);
  });

  it('an output folder that links outside the root, or an output that is a folder', () => {
    const dir = scratchDir('port-db-link-');
    const outside = scratchDir('port-db-outside-');
    mkdirSync(join(dir, 'db', 'sqlalchemy'), { recursive: true });
    writeFileSync(join(dir, 'db', 'sqlalchemy', 'api.ts'), 'export const a = 1;\n');
    symlinkSync(outside, join(dir, 'db', 'discovery'));
    let r = run(['port', dir, '--no-verify']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/port-db: error: db\/discovery is a symbolic link to .*, outside the root/);
    expect(readdirSync(outside)).toEqual([]);
    rmSync(join(dir, 'db', 'discovery'));
    mkdirSync(join(dir, 'db', 'discovery', 'api.ts'), { recursive: true });
    r = run(['port', dir, '--no-verify']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/db\/discovery\/api\.ts exists and is not a regular file \(it is a folder\)/);
  });

  // chmod does not stop root from reading: as root, the run drops to an unprivileged user (setpriv)
  const asUser = process.getuid?.() !== 0 ? [] : existsSync('/usr/bin/setpriv') ? ['/usr/bin/setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'] : undefined;
  it.skipIf(asUser === undefined)('an unreadable module and an unreadable folder', () => {
    const dir = scratchDir('port-db-perm-');
    chmodSync(dir, 0o755);
    mkdirSync(join(dir, 'svc', 'db', 'sqlalchemy'), { recursive: true });
    const module = join(dir, 'svc', 'db', 'sqlalchemy', 'api.ts');
    writeFileSync(module, 'export const a = 1;\n');
    const runAs = (args: string[]) => {
      const [cmd, ...pre] = [...asUser!, process.execPath];
      const r = spawnSync(cmd, [...pre, join(ROOT, 'bin', 'port-db'), ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
      return { code: r.status, stderr: r.stderr };
    };
    chmodSync(module, 0o000);
    let r = runAs(['port', dir, '--no-verify']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/svc\/db\/sqlalchemy\/api\.ts:1:1: cannot read the module: EACCES/);
    chmodSync(module, 0o644);
    chmodSync(join(dir, 'svc'), 0o000);
    r = runAs(['port', dir, '--no-verify']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/cannot read folder .*svc: EACCES/);
    chmodSync(join(dir, 'svc'), 0o755);
    expect(listing(dir).filter((f) => f.includes('discovery'))).toEqual([]);
  });

  it('an unknown option or command', () => {
    expect(run(['port', '--bogus', 'x']).code).toBe(2);
    expect(run(['frobnicate']).code).toBe(2);
  });

  it('a rule pack that is not valid', () => {
    const pack = join(scratchDir('port-db-pack-'), 'pack.json');
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

  it('each help command prints what commander prints for it, from dist/help.json (exit 0)', async () => {
    const { helpOutputs } = await import('../src/cli.js');
    const outputs = await helpOutputs();
    expect(Object.keys(outputs)).toEqual(expect.arrayContaining(['--help', '-h', 'help', 'port\0--help', 'check\0-h', 'help\0rules']));
    expect(outputs['port\0--help']).toContain('--no-verify');
    expect(JSON.parse(readFileSync(join(ROOT, 'dist', 'help.json'), 'utf8'))).toEqual(outputs);
    for (const [key, text] of Object.entries(outputs)) {
      const r = run(key.split('\0'));
      expect(r.code, key).toBe(0);
      expect(r.stdout, key).toBe(text);
    }
  });

  it('without dist/help.json, commander prints the same help', () => {
    const copy = scratchDir('port-db-help-');
    try {
      cpSync(join(ROOT, 'bin'), join(copy, 'bin'), { recursive: true });
      cpSync(join(ROOT, 'dist'), join(copy, 'dist'), { recursive: true });
      cpSync(join(ROOT, 'package.json'), join(copy, 'package.json'));
      rmSync(join(copy, 'dist', 'help.json'));
      symlinkSync(join(ROOT, 'node_modules'), join(copy, 'node_modules'));
      const fast = run(['port', '--help']);
      const slow = spawnSync(process.execPath, [join(copy, 'bin', 'port-db'), 'port', '--help'], { encoding: 'utf8' });
      expect(slow.status).toBe(0);
      expect(slow.stdout).toBe(fast.stdout);
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
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
    // stdout is for a tool: why it exits 1 is said on stderr
    expect(ported.stderr).toBe(`port-db: check: exit 1: ${findings.length} findings\n`);
  });

  it('exits 2 on a folder with no TypeScript files (a CI guard pointed at the wrong folder fails)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'port-db-cli-'));
    try {
      writeFileSync(join(dir, 'README.md'), '# not code\n');
      const r = run(['check', dir]);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/^port-db: error: no TypeScript files to check in '.*'/);
      expect(r.stderr).toMatch(/hint: Check the path/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('on a written port\'s folder: exactly the manual items, not again in port-db\'s own base copies (.port-db/)', () => {
    const dir = sampleTree();
    expect(run(['port', dir, '--no-verify']).code).toBe(0);
    const discovery = join(dir, 'nova', 'db', 'discovery');
    expect(existsSync(join(discovery, '.port-db', 'api.base.ts'))).toBe(true);
    const r = run(['check', discovery, '--format', 'json']);
    const findings = JSON.parse(r.stdout).findings as Array<{ file: string }>;
    const report = JSON.parse(readFileSync(join(discovery, 'port-report.json'), 'utf8'));
    expect(findings.filter((f) => f.file.includes('.port-db'))).toEqual([]);
    expect(findings.length).toBe(report.summary.manualItems + (report.models?.summary.manualItems ?? 0));
  });
});
