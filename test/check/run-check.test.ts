import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CheckInputError, checkExitCode, runCheck } from '../../src/check/index.js';
import { collectFiles, inputError } from '../../src/check/walk.js';
import { defaultPack } from './helpers.js';

let root: string;

function write(rel: string, text: string): void {
  const file = path.join(root, rel);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
}

async function relFiles(paths: string[], cwd = root): Promise<string[]> {
  return (await collectFiles(paths, cwd)).map((f) => path.relative(cwd, f).split(path.sep).join('/'));
}

const SQL = "import { or_ } from 'sqlalchemy';\n";

beforeEach(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'port-db-check-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('walking', () => {
  it('finds TypeScript sources, skipping node_modules, .git and declaration files', async () => {
    write('src/a.ts', SQL);
    write('src/b.tsx', SQL);
    write('src/c.mts', SQL);
    write('src/d.d.ts', SQL);
    write('src/e.js', SQL);
    write('node_modules/pkg/index.ts', SQL);
    write('src/nested/node_modules/x.ts', SQL);
    write('.git/hooks/x.ts', SQL);
    expect(await relFiles(['.'])).toEqual(['src/a.ts', 'src/b.tsx', 'src/c.mts']);
  });

  it('respects .gitignore files at every level, with negation, like git', async () => {
    mkdirSync(path.join(root, '.git'));
    write('.gitignore', 'generated/\n*.gen.ts\n');
    write('pkg/.gitignore', 'local.ts\n!keep.gen.ts\n');
    write('generated/x.ts', SQL);
    write('a.gen.ts', SQL);
    write('pkg/local.ts', SQL);
    write('pkg/keep.gen.ts', SQL);
    write('pkg/drop.gen.ts', SQL);
    write('pkg/sub/local.ts', SQL);
    write('pkg/ok.ts', SQL);
    write('local.ts', SQL);
    expect(await relFiles(['.'])).toEqual(['local.ts', 'pkg/keep.gen.ts', 'pkg/ok.ts']);
  });

  it('applies the .gitignore of the repository above the walked directory', async () => {
    mkdirSync(path.join(root, '.git'));
    write('.gitignore', 'src/legacy/\n');
    write('.git/info/exclude', 'scratch.ts\n');
    write('src/legacy/a.ts', SQL);
    write('src/scratch.ts', SQL);
    write('src/b.ts', SQL);
    expect(await relFiles(['src'])).toEqual(['src/b.ts']);
  });

  it('walks a directory the user names even when .gitignore excludes it', async () => {
    mkdirSync(path.join(root, '.git'));
    write('.gitignore', 'vendor/\n');
    write('vendor/a.ts', SQL);
    expect(await relFiles(['vendor'])).toEqual(['vendor/a.ts']);
    expect(await relFiles(['.'])).toEqual([]);
  });

  it('always checks files named on the command line, ignored or not', async () => {
    mkdirSync(path.join(root, '.git'));
    write('.gitignore', '*.ts\n');
    write('node_modules/x/a.ts', SQL);
    write('b.js', SQL);
    const result = await runCheck({ paths: ['node_modules/x/a.ts', 'b.js'], cwd: root, rules: defaultPack });
    expect(result.findings.map((f) => `${f.file} ${f.rule}`)).toEqual(['b.js sql-import', 'node_modules/x/a.ts sql-import']);
  });

  it('lists a file once when it is named twice or also found by a walk', async () => {
    write('src/a.ts', SQL);
    const result = await runCheck({ paths: ['src', 'src/a.ts', './src/a.ts'], cwd: root, rules: defaultPack });
    expect(result.summary.files).toBe(1);
    expect(result.findings).toHaveLength(1);
  });
});

describe('runCheck', () => {
  it('returns sorted findings and a summary, and exit code 1', async () => {
    write('b.ts', "q.with_for_update();\nconst s = get_session();\n" + SQL);
    write('a.ts', "const s = 'SELECT * FROM instances';\n");
    write('clean.ts', 'export const x = 1;\n');
    const result = await runCheck({ paths: ['.'], cwd: root, rules: defaultPack });
    expect(result.findings.map((f) => `${f.file}:${f.line}:${f.column} ${f.rule}`)).toEqual([
      'a.ts:1:11 raw-sql',
      'b.ts:1:3 row-lock',
      'b.ts:2:11 sql-session',
      'b.ts:3:1 sql-import',
    ]);
    expect(result.summary).toEqual({
      files: 3,
      scanned: 2,
      findings: 4,
      byRule: { 'sql-import': 1, 'sql-session': 1, 'raw-sql': 1, 'row-lock': 1, 'rome-unsupported': 0, 'manual-marker': 0, 'unused-suppression': 0 },
      suppressed: 0,
      baselined: 0,
    });
    expect(checkExitCode(result)).toBe(1);
  });

  it('returns exit code 0 on a clean tree', async () => {
    write('a.ts', "const help = 'select an option from the list, then update the form';\n");
    const result = await runCheck({ paths: ['.'], cwd: root, rules: defaultPack });
    expect(result.findings).toEqual([]);
    expect(result.summary.scanned).toBe(1);
    expect(checkExitCode(result)).toBe(0);
  });

  it('throws CheckInputError with exit code 2 for a missing path, naming it', async () => {
    write('a.ts', SQL);
    const run = runCheck({ paths: ['a.ts', 'no/such/dir'], cwd: root, rules: defaultPack });
    await expect(run).rejects.toBeInstanceOf(CheckInputError);
    await expect(run).rejects.toMatchObject({ exitCode: 2, message: 'no/such/dir: no such file or directory' });
    await expect(run).rejects.toHaveProperty('hint', expect.stringContaining('Check the path'));
  });

  it('names an unreadable file and the reason (exit code 2)', () => {
    const error = inputError('src/a.ts', Object.assign(new Error('permission denied'), { code: 'EACCES' }));
    expect(error).toBeInstanceOf(CheckInputError);
    expect(error).toMatchObject({ exitCode: 2, message: 'src/a.ts: cannot read (EACCES)' });
    expect(error.hint).toMatch(/permissions/);
  });

  it('throws CheckInputError (exit 2) for a folder with no TypeScript file in it, naming it: zero files checked is no pass', async () => {
    write('src/a.ts', SQL);
    write('docs/readme.md', '# nothing to check\n');
    write('lib/x.js', SQL);
    const run = runCheck({ paths: ['src', 'docs', 'lib'], cwd: root, rules: defaultPack });
    await expect(run).rejects.toBeInstanceOf(CheckInputError);
    await expect(run).rejects.toMatchObject({ exitCode: 2, message: expect.stringMatching(/^no TypeScript files to check in 'docs', 'lib' /) });
    await expect(run).rejects.toHaveProperty('hint', expect.stringContaining('Check the path'));
    mkdirSync(path.join(root, 'empty'));
    await expect(runCheck({ paths: ['empty'], cwd: root, rules: defaultPack })).rejects.toMatchObject({ exitCode: 2 });
    // a file named on the command line is checked whatever its extension: not an empty check
    expect((await runCheck({ paths: ['lib/x.js'], cwd: root, rules: defaultPack })).summary.files).toBe(1);
  });

  it('throws CheckInputError for no paths at all', async () => {
    await expect(runCheck({ paths: [], cwd: root, rules: defaultPack })).rejects.toMatchObject({ exitCode: 2 });
  });

  it('reports paths relative to cwd with forward slashes', async () => {
    write('deep/er/a.ts', SQL);
    const result = await runCheck({ paths: [path.join(root, 'deep')], cwd: path.join(root, 'deep'), rules: defaultPack });
    expect(result.findings[0].file).toBe('er/a.ts');
  });
});

describe('baseline', () => {
  it('round-trips: written findings do not fail, new ones do', async () => {
    write('a.ts', SQL + "q.with_for_update();\nq.with_for_update();\n");
    const first = await runCheck({ paths: ['.'], cwd: root, rules: defaultPack, writeBaseline: '.port-db/baseline.json' });
    expect(first.findings).toEqual([]);
    expect(first.summary.baselined).toBe(3);
    const written = JSON.parse(readFileSync(path.join(root, '.port-db/baseline.json'), 'utf8'));
    expect(written).toEqual({
      tool: 'port-db',
      kind: 'check-baseline',
      version: 1,
      findings: [
        { file: 'a.ts', rule: 'row-lock', message: expect.stringContaining('with_for_update'), count: 2 },
        { file: 'a.ts', rule: 'sql-import', message: "import of SQL library 'sqlalchemy' (or_)", count: 1 },
      ],
    });

    const again = await runCheck({ paths: ['.'], cwd: root, rules: defaultPack, baseline: '.port-db/baseline.json' });
    expect(again.findings).toEqual([]);
    expect(again.summary.baselined).toBe(3);
    expect(checkExitCode(again)).toBe(0);

    // Lines shift and a third row lock appears: only the new one is reported.
    write('a.ts', '// moved\n' + SQL + "q.with_for_update();\nq.with_for_update();\nq.with_for_update();\n");
    write('b.ts', "const s = 'DELETE FROM fixed_ips WHERE id = 1';\n");
    const later = await runCheck({ paths: ['.'], cwd: root, rules: defaultPack, baseline: '.port-db/baseline.json' });
    expect(later.findings.map((f) => `${f.file}:${f.line} ${f.rule}`)).toEqual(['a.ts:5 row-lock', 'b.ts:1 raw-sql']);
    expect(later.summary).toMatchObject({ findings: 2, baselined: 3 });
    expect(checkExitCode(later)).toBe(1);
  });

  it('is written deterministically', async () => {
    write('b.ts', SQL);
    write('a.ts', SQL + 'q.with_for_update();\n');
    await runCheck({ paths: ['.'], cwd: root, rules: defaultPack, writeBaseline: 'one.json' });
    await runCheck({ paths: ['.'], cwd: root, rules: defaultPack, writeBaseline: 'two.json' });
    expect(readFileSync(path.join(root, 'one.json'), 'utf8')).toBe(readFileSync(path.join(root, 'two.json'), 'utf8'));
  });

  it('fails with exit code 2 on a missing or malformed baseline', async () => {
    write('a.ts', SQL);
    await expect(runCheck({ paths: ['.'], cwd: root, rules: defaultPack, baseline: 'nope.json' })).rejects.toMatchObject({
      exitCode: 2,
      message: 'nope.json: baseline file not found',
    });
    write('bad.json', '{ "tool": "eslint" }');
    await expect(runCheck({ paths: ['.'], cwd: root, rules: defaultPack, baseline: 'bad.json' })).rejects.toMatchObject({
      exitCode: 2,
      message: expect.stringContaining('bad.json: not a port-db check baseline'),
    });
    write('worse.json', '{');
    await expect(runCheck({ paths: ['.'], cwd: root, rules: defaultPack, baseline: 'worse.json' })).rejects.toBeInstanceOf(CheckInputError);
  });
});
