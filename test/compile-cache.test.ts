import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * The code cache of the compiler (src/ts.cjs): kept in the temporary folder, never needed for a
 * correct run. Each test gives the CLI a temporary folder of its own (TMPDIR).
 */
const REPO = resolve(__dirname, '..');
const BIN = join(REPO, 'bin', 'port-db');
const made: string[] = [];
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

function freshTmp(): string {
  const dir = mkdtempSync(join(tmpdir(), 'port-db-cc-test-'));
  made.push(dir);
  return dir;
}

function run(tmp: string, env: Record<string, string> = {}) {
  const out = spawnSync(process.execPath, [BIN, 'port', 'fixtures/nova', '--dry-run', '--no-verify', '--format', 'json'], {
    cwd: REPO,
    encoding: 'utf8',
    env: { ...process.env, TMPDIR: tmp, NODE_DISABLE_COMPILE_CACHE: '', PORT_DB_NO_COMPILE_CACHE: '', ...env },
  });
  return { code: out.status, stdout: out.stdout, stderr: out.stderr };
}

function cacheFiles(tmp: string): string[] {
  const dirs = readdirSync(tmp).filter((d) => d.startsWith('port-db-compile-cache'));
  return dirs.flatMap((d) => readdirSync(join(tmp, d)).map((f) => join(tmp, d, f)));
}

describe.skipIf(typeof (await import('node:module')).default.enableCompileCache === 'function')('compile cache (Node 20: kept by port-db)', () => {
  it('is written by the first run, read by the next, and changes nothing in the output', () => {
    const tmp = freshTmp();
    const first = run(tmp);
    expect(first.code).toBe(0);
    const files = cacheFiles(tmp);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/typescript-[0-9a-f]{24}\.bin$/);
    const written = readFileSync(files[0]);
    expect(written.length).toBeGreaterThan(100_000);
    // an accepted cache is not written again
    const second = run(tmp);
    expect(second.code).toBe(0);
    expect(second.stdout).toBe(first.stdout);
    expect(readFileSync(files[0]).equals(written)).toBe(true);
    expect(readdirSync(join(files[0], '..')).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('a damaged cache is rejected and written again; the run is the same', () => {
    const tmp = freshTmp();
    const clean = run(tmp);
    const [file] = cacheFiles(tmp);
    writeFileSync(file, Buffer.from('not a code cache'.repeat(100)));
    const damaged = run(tmp);
    expect(damaged.code).toBe(0);
    expect(damaged.stdout).toBe(clean.stdout);
    expect(readFileSync(file).length).toBeGreaterThan(100_000);
  });

  it('PORT_DB_NO_COMPILE_CACHE=1 and NODE_DISABLE_COMPILE_CACHE=1 turn it off', () => {
    for (const name of ['PORT_DB_NO_COMPILE_CACHE', 'NODE_DISABLE_COMPILE_CACHE']) {
      const tmp = freshTmp();
      expect(run(tmp, { [name]: '1' }).code).toBe(0);
      expect(cacheFiles(tmp)).toEqual([]);
    }
  });

  it('a temporary folder that cannot hold the cache (TMPDIR is a file) only costs the cache: the same output, no stack at exit', () => {
    const tmp = freshTmp();
    const file = join(tmp, 'not-a-folder');
    writeFileSync(file, '');
    const clean = run(freshTmp());
    const result = run(file);
    expect(result.stderr).toBe(clean.stderr); // the dry run's diff (--format json), and nothing else
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(clean.stdout);
  });

  it('a cache folder others can write to is not written to (and, by the same check, not read)', () => {
    const tmp = freshTmp();
    run(tmp);
    const [file] = cacheFiles(tmp);
    const dir = join(file, '..');
    chmodSync(dir, 0o777);
    writeFileSync(file, Buffer.from('planted'));
    const result = run(tmp);
    expect(result.code).toBe(0);
    // nothing is written to a folder others can write to (the same check guards reading it)
    expect(readFileSync(file, 'utf8')).toBe('planted');
    chmodSync(dir, 0o700);
    expect(run(tmp).code).toBe(0);
    expect(readFileSync(file).length).toBeGreaterThan(100_000);
  });

  it('a temporary folder that cannot be written to costs nothing but the cache', () => {
    const tmp = join(freshTmp(), 'missing', 'folder');
    writeFileSync(join(tmp, '..', '..', 'missing'), 'a file where the folder would be');
    const result = run(tmp);
    expect(result.code).toBe(0);
    expect(existsSync(tmp)).toBe(false);
  });
});
