import { cpSync, mkdirSync, mkdtempSync as makeTemp, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { spawnSync } from 'node:child_process';
import { join, relative } from 'node:path';
import { ts } from 'ts-morph';
import { afterAll, describe, expect, it } from 'vitest';
import { runCheck } from '../src/check/index.js';
import { defaultPack } from './check/helpers.js';
import { port } from '../src/port/run.js';
import { expectFile, FIXTURES, NATIVE_TSC } from './helpers.js';

// the temporary trees of this file, removed when it is done
const temps: string[] = [];
const mkdtempSync = (prefix: string): string => {
  const dir = makeTemp(prefix);
  temps.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});

/**
 * Whole-tree golden tests: the sample trees' db/discovery/* files are what
 * `port-db port fixtures/<tree>` writes. UPDATE_FIXTURES=1 regenerates them.
 */

for (const tree of ['nova', 'glance', 'cinder', 'manila']) {
  describe(`fixtures/${tree}`, () => {
    const root = join(FIXTURES, tree);
    const result = port({ roots: [root], dryRun: true, force: true });

    it('finds the one SQL module of the tree', () => {
      expect(result.modules.map((m) => m.sourceDisplay)).toEqual([`${tree}/db/sqlalchemy/api.ts`]);
    });

    for (const name of ['api.ts', 'PORT-REPORT.md', 'port-report.json', 'models.ts']) {
      it(`emits ${name} as expected`, () => {
        const file = result.modules[0].files.find((f) => f.path.endsWith(`/${name}`))!;
        const { expected, actual } = expectFile(file.path, file.content);
        expect(actual).toBe(expected);
      });
    }

    it('is deterministic: a second port is byte-identical', () => {
      const again = port({ roots: [root], dryRun: true, force: true });
      expect(again.modules[0].files.map((f) => f.content)).toEqual(result.modules[0].files.map((f) => f.content));
    });

    it('is idempotent: porting the port changes nothing', () => {
      const tmp = mkdtempSync(join(tmpdir(), 'port-db-idem-'));
      mkdirSync(join(tmp, 'db', 'sqlalchemy'), { recursive: true });
      writeFileSync(join(tmp, 'db', 'sqlalchemy', 'api.ts'), result.modules[0].files[0].content);
      cpSync(join(root, tree, 'db', 'sqlalchemy', 'models.ts'), join(tmp, 'db', 'sqlalchemy', 'models.ts'));
      const twice = port({ roots: [tmp], dryRun: true });
      expect(twice.modules[0].files[0].content).toBe(result.modules[0].files[0].content);
    });

    it('is idempotent on the models: porting the ported models changes nothing', () => {
      const models = result.modules[0].files.find((f) => f.path.endsWith('/models.ts'))!;
      const tmp = mkdtempSync(join(tmpdir(), 'port-db-idem-models-'));
      mkdirSync(join(tmp, 'db', 'sqlalchemy'), { recursive: true });
      writeFileSync(join(tmp, 'db', 'sqlalchemy', 'api.ts'), result.modules[0].files[0].content);
      writeFileSync(join(tmp, 'db', 'sqlalchemy', 'models.ts'), models.content);
      const twice = port({ roots: [tmp], dryRun: true });
      expect(twice.modules[0].files.find((f) => f.path.endsWith('/models.ts'))!.content).toBe(models.content);
      expect(twice.modules[0].report.models!.summary.ported).toBe(0);
      expect(twice.modules[0].files[0].content).toBe(result.modules[0].files[0].content);
    });

    it('ports the models: ROME entities, no SQL import, no table arguments, and api.ts imports them', () => {
      const models = result.modules[0].files.find((f) => f.path.endsWith('/models.ts'))!.content;
      expect(models).toMatch(/extends Entity \{/);
      // an SQL import may stay only for code kept for a human, and then it is marked
      for (const [i, line] of models.split('\n').entries()) {
        if (/from '(sqlalchemy|oslo\.db)/.test(line)) expect(models.split('\n')[i - 1]).toMatch(/^\/\/ port-db: manual SQL import kept for manual code/);
      }
      expect(models).not.toMatch(/__table_args__|UniqueConstraint|Index\(/);
      const api = result.modules[0].files[0].content;
      expect(api).toMatch(/import \* as models from '\.\/models';/);
      expect(api).not.toMatch(/sqlalchemy\/models/);
      const report = result.modules[0].report;
      expect(report.models!.output).toBe(`${tree}/db/discovery/models.ts`);
      expect(report.models!.verify!.newDiagnostics).toBe(0);
      expect(report.verify!.newDiagnostics).toBe(0);
    });

    it('reports every function of the source, and only those', () => {
      const report = result.modules[0].report;
      expect(report.summary.functions).toBe(report.functions.length);
      expect(report.summary.unchanged + report.summary.ported + report.summary.manual).toBe(report.functions.length);
      const source = readFileSync(join(root, tree, 'db', 'sqlalchemy', 'api.ts'), 'utf8');
      for (const f of report.functions) expect(source).toContain(f.name.split('.').pop()!);
    });

    it('marks every manual item in the output, at the line the report names', () => {
      const [api] = result.modules[0].files;
      const lines = api.content.split('\n');
      const report = result.modules[0].report;
      const items = [...report.module.manual, ...report.functions.flatMap((f) => f.manual)];
      expect(items.length).toBe(report.summary.manualItems);
      expect(lines.filter((l) => l.trim().startsWith('// port-db: manual')).length).toBe(items.length);
      for (const m of items) expect(lines[m.outputLine - 1]).toContain('// port-db: manual');
    });

    it('a function reported unchanged is byte for byte the source function (every change is recorded)', () => {
      const texts = (text: string) => {
        const sf = ts.createSourceFile('x.ts', text, ts.ScriptTarget.Latest, true);
        const byName = new Map<string, string>();
        for (const st of sf.statements) {
          if (ts.isFunctionDeclaration(st) && st.name) byName.set(st.name.text, st.getText(sf));
          if (ts.isVariableStatement(st)) for (const d of st.declarationList.declarations) if (ts.isIdentifier(d.name)) byName.set(d.name.text, st.getText(sf));
        }
        return byName;
      };
      const source = texts(readFileSync(join(root, tree, 'db', 'sqlalchemy', 'api.ts'), 'utf8'));
      const output = texts(result.modules[0].files[0].content);
      const unchanged = result.modules[0].report.functions.filter((f) => f.status === 'unchanged' && source.has(f.name));
      expect(unchanged.length).toBeGreaterThan(0);
      for (const f of unchanged) expect(output.get(f.name), f.name).toBe(source.get(f.name));
    });

    it('leaves no save() floating: ROME saves asynchronously (a lock would end before the write)', () => {
      const [api] = result.modules[0].files;
      expect(api.content.split('\n').filter((l) => /^\s*[\w.]+\.save\([^)]*\);/.test(l))).toEqual([]);
    });

    // the sample with its port written, as a user's tree is after `port-db port`
    let writtenTree: string | undefined;
    const written = (): string => {
      if (writtenTree) return writtenTree;
      const tmp = mkdtempSync(join(tmpdir(), 'port-db-written-'));
      cpSync(root, tmp, { recursive: true });
      for (const f of result.modules[0].files.filter((f) => f.path.endsWith('.ts'))) writeFileSync(join(tmp, relative(root, f.path)), f.content);
      return (writtenTree = tmp);
    };

    it('check on the written port finds exactly its manual items, where the report puts them', async () => {
      const tmp = written();
      const report = result.modules[0].report;
      const found = await runCheck({ paths: [join(tree, 'db', 'discovery')], cwd: tmp, rules: defaultPack });
      expect(found.findings.filter((f) => f.rule !== 'manual-marker')).toEqual([]);
      const at = (file: string, items: { outputLine: number }[]) => items.map((m) => `${file}:${m.outputLine}`);
      const items = [
        ...at('api.ts', [...report.module.manual, ...report.functions.flatMap((f) => f.manual)]),
        ...at('models.ts', [...report.models!.module.manual, ...report.models!.classes.flatMap((c) => c.manual)]),
      ];
      expect(found.findings.map((f) => `${f.file.split('/').pop()}:${f.line}`).sort()).toEqual(items.sort());
    });

    it('compiles: tsc over the written port and the ROME contract, with the sample\'s own tsconfig, reports nothing', () => {
      // an independent check (the native compiler's CLI, not verify's own count): pins included
      const tmp = written();
      const contract = join(tmp, 'rome-orm.d.ts');
      cpSync(join(FIXTURES, '..', 'rules', 'rome-orm.d.ts'), contract);
      // the scenarios beside the port (db/equiv) are checked too, against port-db's scenario API
      const paths = { 'port-db/equiv': [join(FIXTURES, '..', 'src', 'equiv', 'scenario.ts')] };
      writeFileSync(join(tmp, 'tsconfig.port.json'), JSON.stringify({ extends: './tsconfig.json', compilerOptions: { paths }, include: [`${tree}/**/*.ts`, 'types/**/*.d.ts', 'rome-orm.d.ts'], exclude: [] }));
      const run = spawnSync(process.execPath, [NATIVE_TSC, '-p', join(tmp, 'tsconfig.port.json'), '--pretty', 'false'], { encoding: 'utf8' });
      expect(run.stdout + run.stderr).toBe('');
      expect(run.status).toBe(0);
      // every manual diagnostic is pinned, so the check above saw them silenced
      const report = result.modules[0].report;
      expect(report.verify!.pinned ?? 0).toBe(report.verify!.manualDiagnostics);
    });

    it('points each change at the line of the output it made', () => {
      const [api] = result.modules[0].files;
      const lines = api.content.split('\n');
      for (const f of result.modules[0].report.functions) {
        for (const c of f.changes.filter((c) => c.kind === 'session-add')) expect(lines[c.outputLine - 1]).toMatch(/session\.add\(/);
      }
    });
  });
}

describe('the Nova-like port', () => {
  const result = port({ roots: [join(FIXTURES, 'nova')], dryRun: true, force: true });
  const report = result.modules[0].report;
  const fn = (name: string) => report.functions.find((f) => f.name === name)!;
  const output = result.modules[0].files[0].content;

  it('adds session.add after in-session updates, and only where nothing persisted the object', () => {
    for (const name of ['service_update', 'compute_node_update', 'instance_update', 'instance_destroy', 'migration_update', 'quota_reserve', 'floatingIpDeallocateAllByHost']) {
      expect(fn(name).changes.map((c) => c.kind), name).toContain('session-add');
    }
    for (const name of ['aggregateUpdate', 'fixed_ip_disassociate']) expect(fn(name).changes.map((c) => c.kind), name).not.toContain('session-add');
  });

  it('keeps the SQL session factory and query helper out of the imports', () => {
    expect(output).not.toMatch(/from '\.\/session'/);
    expect(output).toMatch(/function get_session\(_options\?: unknown\): RomeSession/);
    expect(output).toMatch(/read_deleted === 'only'/);
    expect(output).toMatch(/project_only === 'allow_none'/);
  });

  it('splits creates into a lock wrapper and a body that checks every unique key', () => {
    expect(fn('service_create').changes.map((c) => c.kind)).toContain('create-lock');
    expect(output).toMatch(/export async function service_create\(context: RequestContext, values: Values\) \{\n  const lock_name = `services:create:\$\{values.host\}`;/);
    expect(output).toMatch(/async function service_create_\(/);
    expect(output).toContain("throw new db_exc.DBDuplicateEntry(['host', 'topic', 'deleted'])");
    expect(output).toContain("throw new db_exc.DBDuplicateEntry(['host', 'binary', 'deleted'])");
    expect(fn('migration_create').changes[0].detail).toMatch(/no unique key/);
    expect(fn('quota_create').changes.map((c) => c.detail).join()).toMatch(/now async/);
  });

  it('turns row locks into distributed locks released in finally', () => {
    expect(fn('fixed_ip_associate').changes.map((c) => c.kind)).toContain('row-lock');
    expect(output).not.toMatch(/with_lockmode|with_for_update/);
    expect(output).toContain('const lock_name = `fixed_ips:${address}`;');
    expect(output).toContain('const lock_name = `quota_usages:${project_id}`;');
  });
});
