import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES, ROOT } from './helpers.js';
import { run } from './npm-user.js';

// The package as a service team gets it (issue 18): `npm pack`, then `npm install <tarball>` in a
// project of their own under the OS temp folder, and port-db used from there, through `npx` and
// through `import ... from 'port-db'` (an ESM script, and a TypeScript file type-checked with the
// installed native tsc). The install takes its packages from the npm cache when it has them
// (--prefer-offline: `npm ci` of this repository put them there).

let tmp: string;
let project: string;
let tarball: string;
let install: { code: number | null; stdout: string; stderr: string };

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'port-db-installed-'));
  // dist/ is what test/global-setup.ts just built; --ignore-scripts: prepack would build it again
  const pack = run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', tmp], ROOT);
  expect(pack.code, pack.stderr).toBe(0);
  tarball = join(tmp, JSON.parse(pack.stdout)[0].filename);
  project = join(tmp, 'svc');
  cpSync(join(FIXTURES, 'nova'), project, { recursive: true });
  rmSync(join(project, 'nova', 'db', 'discovery'), { recursive: true });
  writeFileSync(join(project, 'package.json'), `${JSON.stringify({ name: 'svc', version: '1.0.0', private: true, type: 'module' }, null, 2)}\n`);
  install = run('npm', ['install', '--save-dev', '--prefer-offline', '--no-audit', '--no-fund', tarball], project);
}, 300_000);

afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('the packed package, installed in a service project', () => {
  it('ships the built code, its types, the rules and the executable, and no sources or build scripts', () => {
    const listed = run('tar', ['-tzf', tarball], tmp).stdout.split('\n');
    for (const f of ['bin/port-db', 'dist/index.js', 'dist/index.d.ts', 'dist/cli.js', 'dist/help.json', 'dist/ts.d.cts', 'dist/equiv/scenario.d.ts', 'dist/equiv/rome-memory/index.js', 'rules/default.json', 'rules/rome-orm.d.ts']) {
      expect(listed).toContain(`package/${f}`);
    }
    expect(listed.filter((f) => /^package\/(src|test|scripts|fixtures)\//.test(f))).toEqual([]);
    const manifest = JSON.parse(readFileSync(join(project, 'node_modules', 'port-db', 'package.json'), 'utf8'));
    // nothing runs when it is installed: no build, no install scripts
    expect(Object.keys(manifest.scripts ?? {}).filter((s) => /^(pre|post)?(install|prepare)$/.test(s))).toEqual([]);
  });

  it('installs without a warning', () => {
    expect(install.code, install.stderr).toBe(0);
    expect(install.stderr).not.toMatch(/warn/i);
    expect(JSON.parse(readFileSync(join(project, 'package.json'), 'utf8')).devDependencies['port-db']).toMatch(/port-db-.*\.tgz$/);
  });

  it('`npx port-db port .` writes the port a run in this repository writes', () => {
    const r = run('npx', ['--no-install', 'port-db', 'port', '.'], project);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const expected = join(FIXTURES, 'nova', 'nova', 'db', 'discovery');
    for (const f of ['api.ts', 'models.ts']) expect(readFileSync(join(project, 'nova', 'db', 'discovery', f), 'utf8')).toBe(readFileSync(join(expected, f), 'utf8'));
  });

  it("`import { port, check, equiv } from 'port-db'` in an ESM script answers what the commands print with --format json", () => {
    writeFileSync(
      join(project, 'use.mjs'),
      `import { port, check, equiv, VERSION, PortDbError } from 'port-db';
const ported = await port({ roots: ['nova'], dryRun: true, verify: false });
const checked = await check({ paths: ['nova/db/discovery'] });
const equivalence = await equiv({ roots: ['nova'], only: 'service_update:' });
let bad;
try { await check({ paths: ['no-such-folder'] }); } catch (e) { bad = { isPortDbError: e instanceof PortDbError, exitCode: e.exitCode }; }
process.stdout.write(JSON.stringify({ VERSION, ported, checked, equivalence, bad }));
`,
    );
    const r = run(process.execPath, ['use.mjs'], project);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.VERSION).toBe(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version);
    const cli = (...args: string[]) => JSON.parse(run('npx', ['--no-install', 'port-db', ...args], project).stdout);
    expect(out.ported.reports).toEqual(cli('port', 'nova', '--dry-run', '--no-verify', '--format', 'json'));
    expect(out.ported).toMatchObject({ written: false, exitCode: 0, reasons: [] });
    const { exitCode, ...checked } = out.checked;
    expect(checked).toEqual(cli('check', 'nova/db/discovery', '--format', 'json'));
    expect(exitCode).toBe(1); // the port's manual items
    expect(out.equivalence.equivalence.modules[0].summary.equivalent).toBeGreaterThan(0);
    expect(out.equivalence).toMatchObject({ tool: 'port-db', exitCode: 0, reasons: [] });
    expect(out.bad).toEqual({ isPortDbError: true, exitCode: 2 });
  });

  it('type-checks a TypeScript file that imports it (the installed native tsc, strict, library files checked)', () => {
    writeFileSync(
      join(project, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, skipLibCheck: false, types: [] }, files: ['use.ts'] }),
    );
    writeFileSync(
      join(project, 'use.ts'),
      `import { port, check, equiv, type PortResult, type CheckResult, type EquivResult, type PortReport } from 'port-db';
import { scenario } from 'port-db/equiv';
import { createMemoryStore } from 'port-db/rome-memory';

const ported: PortResult = await port({ roots: ['nova'], dryRun: true, verify: 'js', strict: true });
const report: PortReport | undefined = ported.reports[0];
const manual: number = report ? report.summary.manualItems : 0;
const status: 'ported' | 'unchanged' | 'manual' | undefined = report?.functions[0]?.status;
const checked: CheckResult = await check({ paths: ['nova'], baseline: 'known.json' });
const line: number | undefined = checked.findings[0]?.line;
const verdicts: EquivResult = await equiv({ roots: ['nova'], only: 'x', preemptions: 1, sqlCollation: 'binary' });
const code: 0 | 1 = verdicts.exitCode;
// @ts-expect-error: options are checked (dry_run is not one)
await port({ roots: ['nova'], dry_run: true });
// @ts-expect-error: verify is a boolean or a checker
await port({ roots: ['nova'], verify: 'tsc' });
// @ts-expect-error: results are typed
const wrong: string = checked.summary.findings;
export { manual, status, line, code, wrong, scenario, createMemoryStore };
`,
    );
    const tsc = join(project, 'node_modules', 'typescript-native', 'bin', 'tsc');
    expect(existsSync(tsc)).toBe(true);
    const r = run(process.execPath, [tsc, '-p', 'tsconfig.json'], project);
    expect(r.stdout + r.stderr).toBe('');
    expect(r.code).toBe(0);
  });
});
