import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ts } from 'ts-morph';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chooseThreadCount } from '../../src/check/engine.js';
import { runCheck } from '../../src/check/index.js';
import { defaultPack, repoRoot } from './helpers.js';

/**
 * Worker threads load the compiled worker, so this test compiles the check engine to plain
 * JavaScript (inside the repository, so its node_modules resolve) and runs it in a child node
 * process, as the installed CLI would.
 */
const FILES = 240;
let build: string;
let tree: string;

function compile(): void {
  const sources = [
    ...readdirSync(path.join(repoRoot, 'src/check')).map((f) => `src/check/${f}`),
    ...readdirSync(path.join(repoRoot, 'src/report')).filter((f) => f.startsWith('check-')).map((f) => `src/report/${f}`),
    // the check's vocabulary, in the lowest layer (test/meta-layers.test.ts)
    ...['specifiers', 'sql-classifier', 'directives', 'check-rules', 'check-types'].map((f) => `src/analyzer/${f}.ts`),
    'src/errors.ts',
  ].filter((f) => f.endsWith('.ts'));
  for (const rel of sources) {
    const out = ts.transpileModule(readFileSync(path.join(repoRoot, rel), 'utf8'), {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
      fileName: rel,
    });
    const target = path.join(build, rel.replace(/^src\//, '').replace(/\.ts$/, '.js'));
    mkdirSync(path.dirname(target), { recursive: true });
    writeFileSync(target, out.outputText);
  }
  // the compiler API module the engine imports (CommonJS, copied as the build does)
  copyFileSync(path.join(repoRoot, 'src/ts.cjs'), path.join(build, 'ts.cjs'));
}

function runCompiled(jobs: number | undefined): { findings: unknown[]; threads: number; scanned: number } {
  const script = `
    import { collectFiles } from ${JSON.stringify(path.join(build, 'check/walk.js'))};
    import { scanFiles } from ${JSON.stringify(path.join(build, 'check/engine.js'))};
    import { toScanConfig } from ${JSON.stringify(path.join(build, 'analyzer/check-types.js'))};
    import { compareFindings } from ${JSON.stringify(path.join(build, 'check/index.js'))};
    const pack = ${JSON.stringify(defaultPack)};
    const files = await collectFiles(['.'], process.cwd());
    const out = await scanFiles(files, process.cwd(), toScanConfig(pack), ${jobs === undefined ? 'undefined' : jobs});
    const findings = out.results.flatMap((r) => r.findings).sort(compareFindings);
    console.log(JSON.stringify({ findings, threads: out.threads, scanned: out.scanned }));
  `;
  const file = path.join(build, `run-${jobs ?? 'auto'}.mjs`);
  writeFileSync(file, script);
  const stdout = execFileSync(process.execPath, [file], { cwd: tree, encoding: 'utf8' });
  return JSON.parse(stdout);
}

beforeAll(() => {
  build = mkdtempSync(path.join(repoRoot, '.port-db-tmp-check-build-'));
  tree = mkdtempSync(path.join(os.tmpdir(), 'port-db-check-tree-'));
  compile();
  for (let i = 0; i < FILES; i++) {
    const dir = path.join(tree, `pkg${i % 7}`);
    mkdirSync(dir, { recursive: true });
    const body =
      i % 3 === 0
        ? `import { or_ } from 'sqlalchemy';\nexport const q${i} = \`SELECT * FROM t${i} WHERE id = \${id}\`;\nq.with_for_update();\n`
        : i % 3 === 1
          ? `// port-db: manual item ${i}\nexport const s${i} = get_session();\n`
          : `export const x${i} = ${i};\n`;
    writeFileSync(path.join(dir, `m${i}.ts`), body);
  }
}, 60_000);

afterAll(() => {
  rmSync(build, { recursive: true, force: true });
  rmSync(tree, { recursive: true, force: true });
});

describe('worker threads', () => {
  it('give the same findings as scanning on this thread alone', async () => {
    const inThread = await runCheck({ paths: ['.'], cwd: tree, rules: defaultPack });
    const forced = runCompiled(3);
    expect(forced.threads).toBe(3);
    expect(forced.findings).toEqual(inThread.findings);
    expect(forced.scanned).toBe(inThread.summary.scanned);
    expect(inThread.findings.length).toBe((FILES / 3) * 4);
  });

  it('jobs: 1 parses on one thread with the same result', () => {
    const one = runCompiled(1);
    expect(one.threads).toBe(1);
    expect(one.findings).toEqual(runCompiled(2).findings);
  });
});

describe('chooseThreadCount', () => {
  it('stays on one thread for small trees and adds one per 16 MB to parse', () => {
    expect(chooseThreadCount(300, 1_000_000, 8)).toBe(1);
    expect(chooseThreadCount(2000, 15_000_000, 8)).toBe(1);
    expect(chooseThreadCount(2000, 16_000_000, 8)).toBe(2);
    expect(chooseThreadCount(2000, 50_000_000, 8)).toBe(4);
    expect(chooseThreadCount(2000, 500_000_000, 4)).toBe(4);
    expect(chooseThreadCount(2000, 500_000_000, 64)).toBe(8);
    expect(chooseThreadCount(1, 500_000_000, 8)).toBe(1);
  });

  it('follows an explicit jobs count, capped by the files', () => {
    expect(chooseThreadCount(10, 100, 8, 3)).toBe(3);
    expect(chooseThreadCount(2, 100, 8, 3)).toBe(2);
    expect(chooseThreadCount(10, 100, 8, 0)).toBe(1);
  });
});
