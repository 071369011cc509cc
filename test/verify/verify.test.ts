import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { verifyModule as verifyWith, verifyModules as verifyModulesWith, type CheckerKind, type VerifyOptions, type VerifyAlso, type VerifyResult } from '../../src/verify/index.js';
import { FIXTURES, ROOT } from '../helpers.js';
import { lineOf } from './snippets.js';

const TARGET = 'rome-orm';

/** The default checker (native); the blocks that matter for the verdicts run on both (describe.each). */
const verifyModule = (opts: VerifyOptions) => verifyWith(opts);
const verifyModules = (opts: VerifyOptions, also: VerifyAlso[]) => verifyModulesWith(opts, also);

/** The committed port of a bundled sample, and its SQL module. */
function sample(service: 'nova' | 'glance') {
  const sourcePath = join(FIXTURES, service, service, 'db', 'sqlalchemy', 'api.ts');
  const outputPath = join(FIXTURES, service, service, 'db', 'discovery', 'api.ts');
  return { sourcePath, sourceText: readFileSync(sourcePath, 'utf8'), outputPath, outputText: readFileSync(outputPath, 'utf8'), targetModule: TARGET };
}

/** The new diagnostics port-db is to blame for (not those of manual items). */
const unexplained = (result: VerifyResult) => result.items.filter((i) => !i.manual);

const temps: string[] = [];
afterAll(() => {
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});

/** A throw-away tree: `files` maps relative paths to contents. */
function tree(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'port-db-verify-'));
  temps.push(dir);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

const LOOSE_TSCONFIG = JSON.stringify({
  compilerOptions: { target: 'ES2022', lib: ['ES2022'], module: 'ESNext', moduleResolution: 'Bundler', strict: false, noEmit: true, types: [] },
  include: ['svc/**/*.ts', 'types/**/*.d.ts'],
});

describe('verifyModule on the bundled samples', () => {
  for (const service of ['nova', 'glance'] as const) {
    it(`the committed ${service} port has no new diagnostics outside manual items`, () => {
      const result = verifyModule(sample(service));
      expect(result.checked).toBe(true);
      expect(result.tsconfig).toBe('../../../tsconfig.json');
      expect(unexplained(result)).toEqual([]);
      expect(result.newDiagnostics).toBe(0);
      expect(result.manualDiagnostics).toBe(result.items.length);
      // every manual item's diagnostic is among the output's
      expect(result.items.length).toBeLessThanOrEqual(result.diagnostics);
    });
  }

  it('flags what ROME lacks in manual code as manual, on the right line', () => {
    const input = sample('nova');
    const result = verifyModule(input);
    const line = lineOf(input.outputText, 'query = query.limit(limit);');
    expect(result.items).toContainEqual({ line, code: 2339, message: "Property 'limit' does not exist on type 'RomeQuery<any>'.", manual: true });
  });

  it('reports a break in ported code as new, with its line', () => {
    const input = sample('nova');
    const before = verifyModule(input);
    // the first query helper call of the module, made to call a method ROME lacks
    const lines = input.outputText.split('\n');
    const index = lines.findIndex((l) => /^\s+\.filter_by\(\{ id: service_id \}\)$/.test(l));
    expect(index).toBeGreaterThan(0);
    lines[index] = lines[index].replace('.filter_by(', '.with_lockmode(').replace('{ id: service_id }', "'update'");
    const result = verifyModule({ ...input, outputText: lines.join('\n') });
    expect(result.newDiagnostics).toBe(before.newDiagnostics + 1);
    expect(unexplained(result)).toContainEqual({
      line: index + 1,
      code: 2339,
      message: "Property 'with_lockmode' does not exist on type 'RomeQuery<any>'.",
      manual: false,
    });
  });

  it('answers the same result twice (sorted, deterministic) and never absolute paths', () => {
    const input = sample('glance');
    const text = input.outputText + '\nexport const not_a_number: number = models;\n';
    const first = verifyModule({ ...input, outputText: text });
    const second = verifyModule({ ...input, outputText: text });
    expect(second).toEqual(first);
    const sorted = [...first.items].sort((a, b) => a.line - b.line || a.code - b.code || (a.message < b.message ? -1 : 1));
    expect(first.items).toEqual(sorted);
    const item = first.items.find((i) => i.line === text.split('\n').length - 1);
    expect(item?.message).toContain('import("glance/db/discovery/models")');
    expect(JSON.stringify(first)).not.toContain(ROOT);
  });
});

describe('the per-rewriter expected outputs', () => {
  // Each case is ported as the Nova sample's api.ts (its models), so it is checked there.
  const cases = readdirSync(FIXTURES, { withFileTypes: true })
    .filter((d) => d.isDirectory() && !['nova', 'glance', 'check'].includes(d.name))
    .flatMap((d) =>
      readdirSync(join(FIXTURES, d.name))
        .filter((f) => f.endsWith('.output.ts'))
        .map((f) => join(d.name, f)),
    )
    .sort();
  it.each(cases)('%s has no new diagnostics outside manual items', (file) => {
    const nova = sample('nova');
    const input = join(FIXTURES, file.replace(/\.output\.ts$/, '.input.ts'));
    const result = verifyModule({
      ...nova,
      sourceText: readFileSync(input, 'utf8'),
      outputText: readFileSync(join(FIXTURES, file), 'utf8'),
    });
    expect(result.checked).toBe(true);
    expect(unexplained(result)).toEqual([]);
  });
});

describe.each(['native', 'js'] as CheckerKind[])('verifyModule: what is new (%s)', (checker) => {
  const verifyModule = (opts: VerifyOptions) => verifyWith(opts, checker);
  // the two compilers elaborate one assignability error differently (the code differs, not the verdict)
  const argumentCode = checker === 'native' ? 2741 : 2345;
  const MODELS = `export class Service {
  static host: any;
  host: string;
  save(session?: { rollback(): void }): Promise<void> { return Promise.resolve(); }
}
`;

  it('does not count a diagnostic the source module has too (same code and message, any line)', () => {
    const dir = tree({ 'tsconfig.json': LOOSE_TSCONFIG, 'svc/db/sqlalchemy/models.ts': MODELS });
    const sourceText = `import * as models from './models';\nexport const a: number = 'x';\nexport const m: models.Service = null;\n`;
    const outputText = `import * as models from '../sqlalchemy/models';\n\n\nexport const a: number = 'x';\nexport const b: number = 'y';\nexport const m: models.Service = null;\n`;
    const result = verifyModule({
      sourcePath: join(dir, 'svc/db/sqlalchemy/api.ts'),
      sourceText,
      outputPath: join(dir, 'svc/db/discovery/api.ts'),
      outputText,
      targetModule: TARGET,
    });
    expect(result).toEqual({
      checked: true,
      diagnostics: 2,
      newDiagnostics: 1,
      manualDiagnostics: 0,
      items: [{ line: 5, code: 2322, message: "Type 'string' is not assignable to type 'number'.", manual: false }],
      tsconfig: '../../../tsconfig.json',
    });
  });

  it('matches a missing module imported from the two folders by the file it names', () => {
    const dir = tree({ 'tsconfig.json': LOOSE_TSCONFIG });
    const result = verifyModule({
      sourcePath: join(dir, 'svc/db/sqlalchemy/api.ts'),
      sourceText: `import { x } from './gone';\nexport const y = x;\n`,
      outputPath: join(dir, 'svc/db/discovery/api.ts'),
      outputText: `import { x } from '../sqlalchemy/gone';\nexport const y = x;\n`,
      targetModule: TARGET,
    });
    expect(result).toMatchObject({ checked: true, diagnostics: 1, newDiagnostics: 0, items: [] });
  });

  it('marks as manual what sits in a manual-marked statement or comes from a manual-marked import', () => {
    const dir = tree({ 'tsconfig.json': LOOSE_TSCONFIG, 'svc/db/sqlalchemy/models.ts': MODELS });
    const outputText = `// port-db: manual imports the SQL models module
import * as models from '../sqlalchemy/models';
import { RomeSession } from 'rome-orm';

export async function f() {
  const session = new RomeSession();
  // port-db: manual \`limit()\`: ROME ignores limit()
  const rows = await session.query(models.Service).limit(1).all();
  const s = new models.Service();
  await s.save(session);
  session.rollback();
  return rows;
}
`;
    const result = verifyModule({
      sourcePath: join(dir, 'svc/db/sqlalchemy/api.ts'),
      sourceText: `export const nothing = 1;\n`,
      outputPath: join(dir, 'svc/db/discovery/api.ts'),
      outputText,
      targetModule: TARGET,
    });
    expect(result.items.map((i) => [i.line, i.code, i.manual])).toEqual([
      [8, 2339, true], // limit(): in the marked statement
      [10, argumentCode, true], // a RomeSession given to a model of the SQL models module (manual import)
      [11, 2339, false], // rollback(): ported code calling what ROME lacks
    ]);
    expect(result).toMatchObject({ diagnostics: 3, newDiagnostics: 1, manualDiagnostics: 2 });
  });

  it('declares the contract under the rule pack target module', () => {
    const dir = tree({ 'tsconfig.json': LOOSE_TSCONFIG });
    const result = verifyModule({
      sourcePath: join(dir, 'svc/db/sqlalchemy/api.ts'),
      sourceText: `export const nothing = 1;\n`,
      outputPath: join(dir, 'svc/db/discovery/api.ts'),
      outputText: `import { RomeSession } from '@acme/rome';\nexport const q = new RomeSession().query(Object).filter_by({ a: 1 }).all();\n`,
      targetModule: '@acme/rome',
    });
    expect(result).toMatchObject({ checked: true, diagnostics: 0, newDiagnostics: 0, items: [] });
  });

  it('sees changes to the files of the tree between two checks', () => {
    const dir = tree({ 'tsconfig.json': LOOSE_TSCONFIG, 'svc/db/sqlalchemy/models.ts': MODELS });
    const input = {
      sourcePath: join(dir, 'svc/db/sqlalchemy/api.ts'),
      sourceText: `export const nothing = 1;\n`,
      outputPath: join(dir, 'svc/db/discovery/api.ts'),
      outputText: `import { Service } from '../sqlalchemy/models';\nexport const h: string = new Service().host;\n`,
      targetModule: TARGET,
    };
    expect(verifyModule(input).diagnostics).toBe(0);
    writeFileSync(join(dir, 'svc/db/sqlalchemy/models.ts'), MODELS.replace('host: string;', 'host: number;'));
    expect(verifyModule(input)).toMatchObject({ diagnostics: 1, newDiagnostics: 1 });
  });
});

describe('verifyModule: checks in a row share parsed files, never configuration', () => {
  // skipped, visibly, when the temp folder itself has a tsconfig.json above the trees
  it.skipIf(existsSync(join(tmpdir(), 'tsconfig.json')))('a project without the DOM lib, one with it, and the first again: each as if checked alone', () => {
    // A: lib ES2022 (no DOM) and a declaration file declaring a global; B: no tsconfig (defaults: the DOM)
    const a = tree({
      'tsconfig.json': JSON.stringify({ compilerOptions: { target: 'ES2022', lib: ['ES2022'], module: 'ESNext', moduleResolution: 'Bundler', strict: true, types: [] }, include: ['**/*.ts'] }),
      'types/globals.d.ts': 'declare const SERVICE_NAME: string;\n',
    });
    const b = mkdtempSync(join(tmpdir(), 'port-db-verify-'));
    temps.push(b);
    const input = (dir: string) => ({
      sourcePath: join(dir, 'svc/db/sqlalchemy/api.ts'),
      sourceText: 'export const nothing = 1;\n',
      outputPath: join(dir, 'svc/db/discovery/api.ts'),
      outputText: 'export const title: string = document.title;\nexport const name: string = SERVICE_NAME;\n',
      targetModule: TARGET,
    });
    const codes = (r: VerifyResult) => r.items.map((i) => [i.line, i.code]);
    const first = verifyModule(input(a));
    // A: no DOM (document unknown), its global declared
    expect(codes(first)).toEqual([[1, 2584]]);
    // B: the DOM (document known), A's global not declared
    const other = verifyModule(input(b));
    expect(codes(other)).toEqual([[2, 2304]]);
    expect(verifyModule(input(a))).toEqual(first);
  });
});

describe('verifyModule: configuration', () => {
  // skipped, visibly, when the temp folder itself has a tsconfig.json above the tree
  it.skipIf(existsSync(join(tmpdir(), 'tsconfig.json')))('uses default options (not strict) when no tsconfig.json is above the source module', () => {
    const dir = tree({});
    const result = verifyModule({
      sourcePath: join(dir, 'svc/db/sqlalchemy/api.ts'),
      sourceText: `export function f(x) { return x; }\n`,
      outputPath: join(dir, 'svc/db/discovery/api.ts'),
      outputText: `import { RomeSession } from 'rome-orm';\nexport function f(x) { return new RomeSession().query(x); }\n`,
      targetModule: TARGET,
    });
    expect(result).toEqual({ checked: true, diagnostics: 0, newDiagnostics: 0, manualDiagnostics: 0, items: [] });
  });

  it('answers checked: false with a reason when the tsconfig.json is not valid JSON', () => {
    const dir = tree({ 'tsconfig.json': '{ "compilerOptions": { "strict": tru' });
    const result = verifyModule({
      sourcePath: join(dir, 'svc/db/sqlalchemy/api.ts'),
      sourceText: '',
      outputPath: join(dir, 'svc/db/discovery/api.ts'),
      outputText: '',
      targetModule: TARGET,
    });
    expect(result).toMatchObject({ checked: false, diagnostics: 0, newDiagnostics: 0, items: [] });
    expect(result.reason).toMatch(/^\.\.\/\.\.\/\.\.\/tsconfig\.json cannot be read: /);
  });

  it('answers checked: false with a reason when the tsconfig.json extends a missing file', () => {
    const dir = tree({ 'tsconfig.json': JSON.stringify({ extends: './missing-base.json' }) });
    const result = verifyModule({
      sourcePath: join(dir, 'svc/db/sqlalchemy/api.ts'),
      sourceText: '',
      outputPath: join(dir, 'svc/db/discovery/api.ts'),
      outputText: '',
      targetModule: TARGET,
    });
    expect(result.checked).toBe(false);
    expect(result.reason).toContain('missing-base.json');
    expect(result.reason).not.toContain(dir);
  });
});

describe.each(['native', 'js'] as CheckerKind[])('verifyModules: the api port and the models port in one program (%s)', (checker) => {
  const verifyModule = (opts: VerifyOptions) => verifyWith(opts, checker);
  const verifyModules = (opts: VerifyOptions, also: VerifyAlso[]) => verifyModulesWith(opts, also, checker);
  const argumentCode = checker === 'native' ? 2741 : 2345;
  const SQL_MODELS = `export class Service {
  host: string;
  save(session?: { rollback(): void }): Promise<void> { return Promise.resolve(); }
}
export const legacy: { n: number } = { n: 1 };
`;
  // the ported models: a manual-marked import used in ported code, and a plain new error
  const MODELS_OUTPUT = `// port-db: manual kept for the manual items
import { legacy } from '../sqlalchemy/models';

export class Service {
  host: string;
}
export const n: string = legacy.n;
export const bad: number = 'x';
`;
  const API_OUTPUT = `// port-db: manual imports the SQL models module
import * as sql from '../sqlalchemy/models';
import { Service } from './models';
import { RomeSession } from 'rome-orm';

export async function f() {
  const session = new RomeSession();
  await new sql.Service().save(session);
  session.rollback();
  const s: Service = new Service();
  return s.host.length;
}
`;

  function inputs(dir: string, models = MODELS_OUTPUT) {
    const main = {
      sourcePath: join(dir, 'svc/db/sqlalchemy/api.ts'),
      sourceText: `import * as models from './models';\nexport const s = new models.Service();\n`,
      outputPath: join(dir, 'svc/db/discovery/api.ts'),
      outputText: API_OUTPUT,
      targetModule: TARGET,
      companions: [{ path: join(dir, 'svc/db/discovery/models.ts'), text: models }],
    };
    const also = { sourcePath: join(dir, 'svc/db/sqlalchemy/models.ts'), sourceText: SQL_MODELS, outputPath: join(dir, 'svc/db/discovery/models.ts') };
    const alone = { sourcePath: also.sourcePath, sourceText: also.sourceText, outputPath: also.outputPath, outputText: models, targetModule: TARGET };
    return { main, also, alone };
  }

  it('answers what verifyModule answers for each module alone', () => {
    const dir = tree({ 'tsconfig.json': LOOSE_TSCONFIG, 'svc/db/sqlalchemy/models.ts': SQL_MODELS });
    const { main, also, alone } = inputs(dir);
    const separate = [verifyModule(main), verifyModule(alone)];
    expect(separate[0].items.map((i) => [i.line, i.code, i.manual])).toEqual([
      [8, argumentCode, true],
      [9, 2339, false],
    ]);
    expect(separate[1].items.map((i) => [i.line, i.code, i.manual])).toEqual([
      [7, 2322, true],
      [8, 2322, false],
    ]);
    expect(verifyModules(main, [also])).toEqual(separate);
  });

  it('checks each module on its own when one of them is not a module (its globals)', () => {
    const dir = tree({ 'tsconfig.json': LOOSE_TSCONFIG, 'svc/db/sqlalchemy/models.ts': SQL_MODELS });
    const script = `const host: number = 'x';\n`;
    const { main, also, alone } = inputs(dir, script);
    expect(verifyModules(main, [also])).toEqual([verifyModule(main), verifyModule(alone)]);
  });
});
