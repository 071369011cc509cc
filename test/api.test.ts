import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES, ROOT } from './helpers.js';

// The library, `import { port, check, equiv } from 'port-db'` (src/index.ts, built to dist/index.js
// by test/global-setup.ts): it loads nothing heavy and starts nothing when imported, never the CLI,
// and answers the exit code the command would give. test/pack.test.ts uses it from an installed
// package and compares its results with the commands' --format json.

const INDEX = join(ROOT, 'dist', 'index.js');

/** The modules loaded when dist/index.js is imported: its static imports, followed (dynamic imports load later, on a call). */
function staticClosure(entry: string): { files: string[]; packages: string[] } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string) => {
    if (files.has(file)) return;
    files.add(file);
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/^\s*(?:import|export)\s[^'";]*?from\s*['"]([^'"]+)['"]|^\s*import\s*['"]([^'"]+)['"]/gm)) {
      const spec = m[1] ?? m[2];
      if (spec.startsWith('.')) visit(resolve(dirname(file), spec));
      else packages.add(spec);
    }
  };
  visit(entry);
  return { files: [...files].map((f) => f.slice(ROOT.length + 1)).sort(), packages: [...packages].sort() };
}

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'port-db-api-'));
  cpSync(join(FIXTURES, 'nova'), join(tmp, 'nova'), { recursive: true });
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("import ... from 'port-db'", () => {
  it('resolves to dist/index.js with its types (the package exports it), beside the equiv and rome-memory subpaths', () => {
    const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    expect(manifest.exports['.']).toEqual({ types: './dist/index.d.ts', default: './dist/index.js' });
    expect(Object.keys(manifest.exports)).toEqual(expect.arrayContaining(['./equiv', './rome-memory']));
    expect(readFileSync(join(ROOT, 'dist', 'index.d.ts'), 'utf8')).toMatch(/export declare function port\(options: PortOptions\): Promise<PortResult>/);
  });

  it('loads neither the CLI (commander) nor the compiler, the formatter or a command when imported', () => {
    const { files, packages } = staticClosure(INDEX);
    expect(files).toEqual(['dist/errors.js', 'dist/index.js', 'dist/version.js']);
    expect(packages.filter((p) => !p.startsWith('node:'))).toEqual([]);
  });

  it('starts nothing when imported: no thread, timer or process, and node exits at once', () => {
    // by its package name, as a user imports it; what stays active is stdout (a pipe here) and the
    // closing of the files node read to load the modules: no timer, thread (MessagePort), child or socket (a package may import itself through its exports)
    const script = `const api = await import('port-db'); process.stdout.write(JSON.stringify({ exports: Object.keys(api).sort(), resources: process.getActiveResourcesInfo().filter((r) => !['PipeWrap', 'TTYWrap', 'CloseReq'].includes(r)) }));`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8', timeout: 20_000 });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      exports: ['ConfigError', 'OutputError', 'PortDbError', 'SourceError', 'UsageError', 'VERSION', 'check', 'equiv', 'exitCodeFor', 'port'],
      resources: [],
    });
  });

  it('port(): the exit code the command gives, with its reasons; bad input is thrown with exit code 2', async () => {
    const { port } = (await import(INDEX)) as typeof import('../src/index.js');
    const loose = await port({ roots: ['nova'], cwd: tmp, dryRun: true, verify: false });
    expect(loose).toMatchObject({ written: false, exitCode: 0, reasons: [] });
    // the api module and the models module, each already on disk (--no-verify drops the report's verify: updated)
    expect(loose.merges.map((m) => m.module)).toEqual(['nova/db/discovery/api.ts', 'nova/db/discovery/models.ts']);
    const strict = await port({ roots: ['nova'], cwd: tmp, dryRun: true, verify: false, strict: true });
    expect(strict.exitCode).toBe(1);
    expect(strict.reasons).toEqual([expect.stringMatching(/^strict: nova\/db\/sqlalchemy\/api\.ts: \d+ manual items$/)]);
    const cli = spawnSync(process.execPath, [join(ROOT, 'bin', 'port-db'), 'port', 'nova', '--dry-run', '--no-verify', '--strict', '--format', 'json'], { cwd: tmp, encoding: 'utf8' });
    expect(cli.status).toBe(1);
    expect(JSON.parse(cli.stdout)).toEqual(strict.reports);
    // the command says the same reasons
    expect(cli.stderr).toContain(`port-db: --strict: exit 1: ${strict.reasons[0].slice('strict: '.length)}\n`);
    await expect(port({ roots: ['nova/nova/db/discovery'], cwd: tmp, dryRun: true })).rejects.toMatchObject({ name: 'UsageError', exitCode: 2 });
    await expect(port({ roots: ['nova'], cwd: tmp, dryRun: true, equiv: true })).rejects.toMatchObject({ exitCode: 2 });
  });

  it('check(): what `check --format json` prints, the exit code, and the rules of port-db.config.json like port', async () => {
    const { check } = (await import(INDEX)) as typeof import('../src/index.js');
    const result = await check({ paths: ['nova/nova/db/discovery'], cwd: tmp });
    expect(result.exitCode).toBe(1);
    expect(result.findings.length).toBeGreaterThan(0);
    expect(result.findings.every((f) => f.rule === 'manual-marker')).toBe(true);
    await expect(check({ paths: ['missing'], cwd: tmp })).rejects.toMatchObject({ exitCode: 2 });
    // the custom-pack sample names its pack in port-db.config.json: no rules given is that pack
    const custom = join(FIXTURES, 'custom-pack');
    const configured = await check({ paths: ['svc'], cwd: custom });
    expect(configured).toEqual(await check({ paths: ['svc'], cwd: custom, rules: 'acme.rules.json' }));
    expect(configured.summary.findings).not.toBe((await check({ paths: ['svc'], cwd: custom, rules: 'default' })).summary.findings);
  });
});
