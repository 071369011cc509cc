import { chmodSync, cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { port } from '../../src/port/run.js';
import { verifyAll, verifyModule, type CheckerKind, type VerifyResult } from '../../src/verify/index.js';
import { PIN_MARK } from '../../src/verify/pins.js';
import { FIXTURES, ROOT } from '../helpers.js';

// The native compiler (TypeScript 7's tsc) and the JS checker (TypeScript 6) give the same
// verdicts: which lines have new diagnostics, which are manual, which are pinned. Their wording
// of a diagnostic may differ (TypeScript 7 elaborates some assignability errors differently).

const TARGET = 'rome-orm';
const temps: string[] = [];
afterAll(() => {
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});

function tree(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'port-db-checkers-'));
  temps.push(dir);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

/** A verdict: what the report and the pins depend on, not the compiler's wording. */
const verdict = (r: VerifyResult | undefined) =>
  r && { checked: r.checked, newDiagnostics: r.newDiagnostics, manualDiagnostics: r.manualDiagnostics, pinned: r.pinned, items: r.items.map((i) => [i.line, i.manual, i.pinned ?? false]), note: r.note };

describe('both checkers give the same verdicts on the samples', () => {
  for (const sample of ['nova', 'glance', 'cinder', 'manila', 'custom-pack']) {
    it(sample, () => {
      const verdicts = (['native', 'js'] as CheckerKind[]).map((checker) =>
        port({ roots: [join(FIXTURES, sample)], dryRun: true, checker }).modules.map((m) => ({
          api: verdict(m.report.verify),
          models: verdict(m.report.models?.verify),
          // the pinned port is what the verdicts write
          output: m.files[0].content,
        })),
      );
      expect(verdicts[0].length).toBeGreaterThan(0);
      expect(verdicts[0][0].api?.checked).toBe(true);
      expect(verdicts[0]).toEqual(verdicts[1]);
    });
  }
});

describe('both checkers give the same verdicts on a tree in one strict project', () => {
  it('the fuzz corpus and the create-lock inputs, each a service beside the Nova models', () => {
    const nova = join(FIXTURES, 'nova');
    const dir = tree({});
    const tsconfig = JSON.parse(readFileSync(join(nova, 'tsconfig.json'), 'utf8'));
    tsconfig.compilerOptions.strict = true;
    tsconfig.include = ['services/**/*.ts', 'types/**/*.d.ts'];
    tsconfig.exclude = ['services/**/db/discovery/**'];
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify(tsconfig));
    cpSync(join(nova, 'types'), join(dir, 'types'), { recursive: true });
    const inputs = [
      ...readdirSync(join(ROOT, 'fuzz', 'corpus')).map((f) => join(ROOT, 'fuzz', 'corpus', f)),
      ...readdirSync(join(FIXTURES, 'create-lock')).filter((f) => f.endsWith('.input.ts')).map((f) => join(FIXTURES, 'create-lock', f)),
    ];
    for (const [i, input] of inputs.entries()) {
      const svc = join(dir, 'services', `s${i}`);
      mkdirSync(join(svc, 'db', 'sqlalchemy'), { recursive: true });
      cpSync(input, join(svc, 'db', 'sqlalchemy', 'api.ts'));
      for (const f of ['models.ts', 'session.ts']) cpSync(join(nova, 'nova', 'db', 'sqlalchemy', f), join(svc, 'db', 'sqlalchemy', f));
      for (const f of ['context.ts', 'exception.ts', 'utils.ts']) cpSync(join(nova, 'nova', f), join(svc, f));
    }
    const verdicts = (['native', 'js'] as CheckerKind[]).map((checker) =>
      port({ roots: [dir], dryRun: true, checker }).modules.map((m) => [m.sourceDisplay, verdict(m.report.verify), verdict(m.report.models?.verify)]),
    );
    expect(verdicts[0]).toHaveLength(inputs.length);
    expect(verdicts[0].every(([, v]) => (v as { checked: boolean }).checked)).toBe(true);
    expect(verdicts[0]).toEqual(verdicts[1]);
  }, 240_000);
});

const STRICT = JSON.stringify({
  compilerOptions: { target: 'ES2022', lib: ['ES2022'], module: 'ESNext', moduleResolution: 'Bundler', strict: true, noEmit: true, types: [] },
  include: ['svc/**/*.ts'],
});
const MODELS = `export class Service {
  host: string = '';
  save(session?: { rollback(): void }): Promise<void> { return Promise.resolve(); }
}
`;
const SOURCE = `import * as models from './models';
export const old: number = 'x';
export const s = new models.Service();
`;
// line 5: one the source also has; 8: a manual one (marked statement); 9: a manual one (a name
// declared from a manual import); 11: pinned; 12: a new error in code port-db wrote
const OUTPUT = `// port-db: manual imports the SQL models module
import * as models from '../sqlalchemy/models';
import { RomeSession } from 'rome-orm';

export const old: number = 'x';
export async function f() {
  const session = new RomeSession();
  // port-db: manual \`limit()\`: ROME ignores limit()
  const rows = await session.query(models.Service).limit(1).all();
  const s = new models.Service();
  ${PIN_MARK} a model of the SQL models
  await s.save(session);
  session.rollback();
  return rows;
}
`;

describe('both checkers give the same verdicts on targeted cases', () => {
  const dir = tree({ 'tsconfig.json': STRICT, 'svc/db/sqlalchemy/models.ts': MODELS });
  const input = { sourcePath: join(dir, 'svc/db/sqlalchemy/api.ts'), sourceText: SOURCE, outputPath: join(dir, 'svc/db/discovery/api.ts'), outputText: OUTPUT, targetModule: TARGET };

  it('a new error, a manual one (marked, and through a manual import), one the source also has, a pinned one', () => {
    const [native, js] = (['native', 'js'] as CheckerKind[]).map((c) => verifyModule(input, c));
    // the source's own error (line 5) is not new; the pinned line (12) is still seen and counted
    expect(native.items.map((i) => [i.line, i.manual])).toEqual([
      [9, true],
      [12, true],
      [13, false],
    ]);
    expect(verdict(native)).toEqual(verdict(js));
    expect(native).toMatchObject({ checked: true, newDiagnostics: 1, manualDiagnostics: 2 });
    expect(native.note).toBeUndefined();
  });

  it('a name of a manual import counts where the code uses it or a type in the message names it, not as a member name', () => {
    const outputText = `// port-db: manual kept for manual code
import { Service } from '../sqlalchemy/models';
import { RomeSession } from 'rome-orm';

export function f(session: RomeSession) {
  const a = session.Service;
  const b: number = new Service();
  const copy = new Service();
  const c: number = copy;
  return [a, b, c];
}
`;
    for (const checker of ['native', 'js'] as CheckerKind[]) {
      const result = verifyModule({ ...input, sourceText: 'export {};\n', outputText }, checker);
      // line 6: ROME's session lacks a member of that name: code port-db wrote (new); 7 and 9:
      // the SQL model used directly and through a variable declared from it (manual)
      expect(result.items.map((i) => [i.line, i.manual])).toEqual([
        [6, false],
        [7, true],
        [9, true],
      ]);
    }
  });

  it('a tree of services under one tsconfig.json: one program, each module as if checked alone', () => {
    const other = { ...input, sourcePath: join(dir, 'svc2/db/sqlalchemy/api.ts'), outputPath: join(dir, 'svc2/db/discovery/api.ts') };
    mkdirSync(join(dir, 'svc2/db/sqlalchemy'), { recursive: true });
    writeFileSync(join(dir, 'svc2/db/sqlalchemy/models.ts'), MODELS.replace("host: string = '';", 'host = 0;'));
    const broken = { ...other, outputText: OUTPUT.replace('session.rollback();', 'session.rollback();\n  const h: string = s.host;') };
    for (const checker of ['native', 'js'] as CheckerKind[]) {
      const together = verifyAll([{ opts: input }, { opts: broken }], checker).map((r) => r[0]);
      expect(together).toEqual([verifyModule(input, checker), verifyModule(broken, checker)]);
      // svc2's models type host as a number: its port has one more error, in a statement using a
      // name declared from the manual import (manual)
      expect(together[1].items.length).toBe(together[0].items.length + 1);
    }
  });
});

describe('the native compiler', () => {
  const dir = tree({ 'tsconfig.json': STRICT, 'svc/db/sqlalchemy/models.ts': MODELS });
  const input = { sourcePath: join(dir, 'svc/db/sqlalchemy/api.ts'), sourceText: SOURCE, outputPath: join(dir, 'svc/db/discovery/api.ts'), outputText: OUTPUT, targetModule: TARGET };
  const saved = process.env.PORT_DB_NATIVE_TSC;
  afterEach(() => {
    if (saved === undefined) delete process.env.PORT_DB_NATIVE_TSC;
    else process.env.PORT_DB_NATIVE_TSC = saved;
  });

  it('runs once for a tree, in a temporary folder it removes, writing nothing in the tree', () => {
    const log = join(tree({}), 'calls');
    const wrapper = join(dirname(log), 'tsc');
    const real = join(dirname(require.resolve('typescript-native/package.json')), '..', '@typescript', `typescript-${process.platform}-${process.arch}`, 'lib', 'tsc');
    writeFileSync(wrapper, `#!/bin/sh\necho "$@" >> ${JSON.stringify(log)}\nexec ${JSON.stringify(real)} "$@"\n`);
    chmodSync(wrapper, 0o755);
    process.env.PORT_DB_NATIVE_TSC = wrapper;
    const before = readdirSync(dir, { recursive: true }).sort();
    const other = { ...input, sourcePath: join(dir, 'svc3/db/sqlalchemy/api.ts'), outputPath: join(dir, 'svc3/db/discovery/api.ts') };
    const results = verifyAll([{ opts: input }, { opts: other }], 'native');
    expect(results.map((r) => r[0].checked)).toEqual([true, true]);
    const calls = readFileSync(log, 'utf8').trim().split('\n');
    expect(calls).toHaveLength(1);
    const folder = calls[0].split(' ')[1].replace(/\/tsconfig\.json$/, '');
    expect(() => readdirSync(folder)).toThrow();
    expect(readdirSync(dir, { recursive: true }).sort()).toEqual(before);
  });

  it('missing: falls back to the JS checker and says so', () => {
    process.env.PORT_DB_NATIVE_TSC = join(dir, 'no-such-tsc');
    const result = verifyModule(input, 'native');
    expect(result.note).toBe("the native compiler (typescript-native) is not installed; checked with TypeScript 6's checker instead");
    expect({ ...result, note: undefined }).toEqual({ ...verifyModule(input, 'js'), note: undefined });
  });

  it('a tsconfig.json with an option TypeScript 7 removed: falls back to the JS checker and says why', () => {
    const old = tree({ 'tsconfig.json': JSON.stringify({ compilerOptions: { ...JSON.parse(STRICT).compilerOptions, baseUrl: '.' } }), 'svc/db/sqlalchemy/models.ts': MODELS });
    const result = verifyModule({ ...input, sourcePath: join(old, 'svc/db/sqlalchemy/api.ts'), outputPath: join(old, 'svc/db/discovery/api.ts') }, 'native');
    expect(result.checked).toBe(true);
    expect(result.note).toMatch(/^the native compiler rejected the configuration: TS5102: Option 'baseUrl' has been removed\..*; checked with TypeScript 6's checker instead$/);
    expect(result.note).not.toContain(old);
    expect(verdict({ ...result, note: undefined })).toEqual(verdict(verifyModule(input, 'js')));
  });
});
