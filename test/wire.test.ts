import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { discoveryPath, findBackendMapping, iniSettings, switchSetting } from '../src/analyzer/backend.js';
import { applyEdits } from '../src/analyzer/edits.js';
import { port } from '../src/port/run.js';
import { planWiring } from '../src/port/wire.js';
import { expectFile, FIXTURES, ROOT } from './helpers.js';
import { scratchDir } from './scratch.js';

/** A copy of a sample tree without its expected outputs. */
function sampleTree(tree: string): string {
  const dir = scratchDir('port-db-wire-');
  cpSync(join(FIXTURES, tree), dir, { recursive: true, filter: (src) => !src.includes(join('db', 'discovery')) });
  return dir;
}

const read = (...p: string[]) => readFileSync(join(...p), 'utf8');
const snapshot = (dir: string) =>
  Object.fromEntries(
    readdirSync(dir, { recursive: true })
      .map(String)
      .sort()
      .flatMap((f) => {
        try {
          return [[f, read(dir, f)]];
        } catch {
          return [];
        }
      }),
  );

/** Adds the discovery entry the way `--wire` does, or returns undefined when no mapping is found. */
function wireMapping(text: string): string | undefined {
  const m = findBackendMapping('db/api.ts', text);
  if (!m?.edit) return undefined;
  return applyEdits(text, [...(m.importEdit ? [m.importEdit] : []), m.edit]).output;
}

describe('backend mapping (db/api.ts)', () => {
  it('adds a discovery entry beside an entry that loads the SQL module lazily', () => {
    const text = "const _BACKEND_MAPPING = {\n  sqlalchemy: () => import('./sqlalchemy/api'),\n};\nexport const impl = _BACKEND_MAPPING[CONF.database.backend];\n";
    expect(wireMapping(text)).toBe(
      "const _BACKEND_MAPPING = {\n  sqlalchemy: () => import('./sqlalchemy/api'),\n  discovery: () => import('./discovery/api'),\n};\nexport const impl = _BACKEND_MAPPING[CONF.database.backend];\n",
    );
    expect(findBackendMapping('db/api.ts', text)).toMatchObject({ name: '_BACKEND_MAPPING', line: 2, sqlKey: 'sqlalchemy', wired: false, setting: { section: 'database', key: 'backend' } });
  });

  it('keeps the spelling of a module path string (dotted, quoted key, no trailing comma)', () => {
    const text = "const backends = {\n  'sqlalchemy': \"nova.db.sqlalchemy.api\"\n};\nload(backends[CONF.backend]);\n";
    expect(wireMapping(text)).toBe("const backends = {\n  'sqlalchemy': \"nova.db.sqlalchemy.api\",\n  discovery: \"nova.db.discovery.api\"\n};\nload(backends[CONF.backend]);\n");
    expect(findBackendMapping('db/api.ts', text)?.setting).toEqual({ key: 'backend' });
  });

  it('imports the discovery module beside a namespace import of the SQL module', () => {
    const text = "import * as sqlalchemy_api from './sqlalchemy/api.js';\n\nexport const BACKENDS = { sqlalchemy: sqlalchemy_api };\n";
    expect(wireMapping(text)).toBe(
      "import * as sqlalchemy_api from './sqlalchemy/api.js';\nimport * as discovery_api from './discovery/api.js';\n\nexport const BACKENDS = { sqlalchemy: sqlalchemy_api, discovery: discovery_api };\n",
    );
  });

  it('finds nothing to add when the mapping already has a discovery entry', () => {
    const text = "const m = {\n  sqlalchemy: () => import('./sqlalchemy/api'),\n  discovery: () => import('./discovery/api'),\n};\n";
    const m = findBackendMapping('db/api.ts', text);
    expect(m?.wired).toBe(true);
    expect(m?.edit).toBeUndefined();
  });

  it('ignores objects whose sqlalchemy entry is not the SQL module, and entries it cannot rewrite', () => {
    expect(findBackendMapping('x.ts', "const opts = { sqlalchemy: true, pool: 5 };\n")).toBeUndefined();
    // a namespace that is not imported from the SQL module: not a backend entry
    expect(findBackendMapping('x.ts', "import * as impl from './impl';\nconst m = { sqlalchemy: impl };\n")).toBeUndefined();
  });

  it('maps SQL module paths to their discovery twins, and nothing else', () => {
    expect(discoveryPath('./sqlalchemy/api')).toBe('./discovery/api');
    expect(discoveryPath('../db/sqlalchemy/api.js')).toBe('../db/discovery/api.js');
    expect(discoveryPath('glance.db.sqlalchemy.api')).toBe('glance.db.discovery.api');
    expect(discoveryPath('sqlalchemy')).toBeUndefined();
    expect(discoveryPath('./sqlalchemy/models')).toBeUndefined();
    expect(discoveryPath('./mysqlalchemy/api')).toBeUndefined();
  });
});

describe('INI settings', () => {
  const conf = '[DEFAULT]\n# data_api = commented.out\ndata_api = glance.db.sqlalchemy.api\n\n[database]\nbackend: sqlalchemy\r\nconnection = mysql://x\n';

  it('reads sections, keys and values, skipping comments', () => {
    expect(iniSettings(conf).map(({ section, key, value, line }) => ({ section, key, value, line }))).toEqual([
      { section: 'DEFAULT', key: 'data_api', value: 'glance.db.sqlalchemy.api', line: 3 },
      { section: 'database', key: 'backend', value: 'sqlalchemy', line: 6 },
      { section: 'database', key: 'connection', value: 'mysql://x', line: 7 },
    ]);
  });

  it('switches a setting and keeps the old line as a comment, in the file’s own separator', () => {
    const backend = iniSettings(conf)[1];
    expect(applyEdits(conf, [switchSetting(backend, 'discovery', conf)]).output).toBe(
      conf.replace('backend: sqlalchemy\r\n', '# backend: sqlalchemy  (the SQL backend: restore this line to switch back)\nbackend: discovery\r\n'),
    );
  });
});

describe('planWiring on the sample trees', () => {
  it('Nova: adds the discovery entry to the mapping and selects it in nova.conf', () => {
    const root = join(FIXTURES, 'nova');
    const { report, files } = planWiring(root, join(root, 'nova', 'db', 'sqlalchemy', 'api.ts'), false);
    expect(report.status).toBe('proposed');
    expect(report.dispatcher).toEqual({ kind: 'mapping', file: 'nova/db/api.ts', line: 17, name: '_BACKEND_MAPPING' });
    expect(files.map((f) => f.rel)).toEqual(['etc/nova/nova.conf', 'nova/db/api.ts']);
    for (const f of files) expect(f.previous).toBe(read(root, f.rel));
    const [conf, api] = files;
    expect(expectFile(join(FIXTURES, 'wire', 'nova.conf.expected'), conf.content).actual).toBe(read(FIXTURES, 'wire', 'nova.conf.expected'));
    expect(expectFile(join(FIXTURES, 'wire', 'nova-db-api.ts.expected'), api.content).actual).toBe(read(FIXTURES, 'wire', 'nova-db-api.ts.expected'));
    expect(report.switchBack).toContain('`[database] backend = sqlalchemy` in etc/nova/nova.conf');
    expect(report.todo).toBeUndefined();
  });

  it('Glance: switches the data_api setting to the discovery module', () => {
    const root = join(FIXTURES, 'glance');
    const { report, files } = planWiring(root, join(root, 'glance', 'db', 'sqlalchemy', 'api.ts'), true);
    expect(report.status).toBe('applied');
    expect(report.dispatcher).toEqual({ kind: 'setting', file: 'etc/glance/glance-api.conf', line: 4, name: '[DEFAULT] data_api' });
    expect(files.map((f) => f.rel)).toEqual(['etc/glance/glance-api.conf']);
    expect(expectFile(join(FIXTURES, 'wire', 'glance-api.conf.expected'), files[0].content).actual).toBe(read(FIXTURES, 'wire', 'glance-api.conf.expected'));
  });

  it('no dispatcher: says exactly what to change, and changes nothing', () => {
    const root = scratchDir('port-db-wire-');
    mkdirSync(join(root, 'svc', 'db', 'sqlalchemy'), { recursive: true });
    writeFileSync(join(root, 'svc', 'db', 'sqlalchemy', 'api.ts'), 'export const x = 1;\n');
    writeFileSync(join(root, 'svc.conf'), '[DEFAULT]\nbackend = sqlalchemy\n');
    const { report, files } = planWiring(root, join(root, 'svc', 'db', 'sqlalchemy', 'api.ts'), true);
    expect(files).toEqual([]);
    expect(report.status).toBe('not-found');
    expect(report.todo).toContain("discovery: () => import('./discovery/api')");
    expect(report.todo).toContain('svc/db/discovery/api');
  });

  it('a dispatcher that is not UTF-8 is never edited, and the todo says why it was not looked into', () => {
    const root = sampleTree('nova');
    const dispatcher = join(root, 'nova', 'db', 'api.ts');
    const latin1 = Buffer.concat([Buffer.from('// r\xe9sum\xe9 in Latin-1\n', 'latin1'), readFileSync(dispatcher)]);
    writeFileSync(dispatcher, latin1);
    const { report, files } = planWiring(root, join(root, 'nova', 'db', 'sqlalchemy', 'api.ts'), true);
    expect(files.map((f) => f.rel)).not.toContain('nova/db/api.ts');
    expect(report.status).toBe('not-found');
    expect(report.todo).toMatch(/^nova\/db\/api\.ts is not UTF-8 text, so port-db did not look into it; no backend dispatcher found/);
    expect(readFileSync(dispatcher).equals(latin1)).toBe(true);
  });

  it('a mapping and no config that sets the backend: adds the entry and says how to switch', () => {
    const root = sampleTree('nova');
    writeFileSync(join(root, 'etc', 'nova', 'nova.conf'), '[DEFAULT]\ndebug = true\n');
    const { report, files } = planWiring(root, join(root, 'nova', 'db', 'sqlalchemy', 'api.ts'), false);
    expect(files.map((f) => f.rel)).toEqual(['nova/db/api.ts']);
    expect(report.status).toBe('proposed');
    expect(report.todo).toBe("set `[database] backend = discovery` in the service's configuration to switch (no config file under the root sets it)");
  });
});

describe('port --wire', () => {
  it('writes the wired dispatcher and config with the port; the source module and the SQL backend stay', () => {
    const root = sampleTree('nova');
    const before = snapshot(root);
    const first = port({ roots: [root], wire: true, verify: false });
    expect(first.modules[0].report.wiring?.status).toBe('applied');
    expect(read(root, 'nova', 'db', 'api.ts')).toBe(read(FIXTURES, 'wire', 'nova-db-api.ts.expected'));
    expect(read(root, 'etc', 'nova', 'nova.conf')).toBe(read(FIXTURES, 'wire', 'nova.conf.expected'));
    expect(read(root, 'nova', 'db', 'api.ts')).toContain("sqlalchemy: () => import('./sqlalchemy/api'),");
    expect(read(root, 'nova', 'db', 'sqlalchemy', 'api.ts')).toBe(before['nova/db/sqlalchemy/api.ts']);
    const report = JSON.parse(read(root, 'nova', 'db', 'discovery', 'port-report.json'));
    expect(report.wiring.status).toBe('applied');

    // a second run finds the service wired and changes nothing but the status in the reports
    const wired = snapshot(root);
    const again = port({ roots: [root], wire: true, verify: false });
    expect(again.modules[0].report.wiring).toMatchObject({ status: 'wired', changes: [] });
    expect(again.modules[0].wiring).toEqual([]);
    const after = snapshot(root);
    for (const f of Object.keys(wired)) if (!f.endsWith('port-report.json') && !f.endsWith('PORT-REPORT.md')) expect(after[f], f).toBe(wired[f]);
  });

  it('without --wire (and with --dry-run) leaves the service’s files as they are', () => {
    const root = sampleTree('glance');
    port({ roots: [root], verify: false });
    expect(read(root, 'etc', 'glance', 'glance-api.conf')).toBe(read(FIXTURES, 'glance', 'etc', 'glance', 'glance-api.conf'));
    const r = port({ roots: [root], wire: true, dryRun: true, verify: false });
    expect(r.modules[0].report.wiring?.status).toBe('proposed');
    expect(read(root, 'etc', 'glance', 'glance-api.conf')).toBe(read(FIXTURES, 'glance', 'etc', 'glance', 'glance-api.conf'));
  });

  it('with --out writes the wired files under DIR, never in place', () => {
    const root = sampleTree('nova');
    const out = scratchDir('port-db-wire-out-');
    const before = snapshot(root);
    port({ roots: [root], wire: true, out, verify: false });
    expect(snapshot(root)).toEqual(before);
    expect(read(out, 'nova', 'db', 'api.ts')).toBe(read(FIXTURES, 'wire', 'nova-db-api.ts.expected'));
    expect(read(out, 'etc', 'nova', 'nova.conf')).toBe(read(FIXTURES, 'wire', 'nova.conf.expected'));
  });

  it('the wired service type-checks against the port and the ROME contract', () => {
    const root = sampleTree('nova');
    port({ roots: [root], wire: true, verify: false });
    const config = ts.getParsedCommandLineOfConfigFile(join(root, 'tsconfig.json'), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} })!;
    const options = { ...config.options, paths: { 'rome-orm': [join(ROOT, 'rules', 'rome-orm.d.ts')] } };
    const program = ts.createProgram([...config.fileNames, join(root, 'nova', 'db', 'api.ts')], options);
    const wired = program.getSourceFile(join(root, 'nova', 'db', 'api.ts'))!;
    expect(program.getSourceFile(join(root, 'nova', 'db', 'discovery', 'api.ts')), 'the dispatcher loads the port').toBeDefined();
    const messages = ts.getPreEmitDiagnostics(program, wired).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    expect(messages).toEqual([]);
  });

  it('the CLI: --dry-run --wire prints the changes to the service’s files and writes nothing', () => {
    const root = sampleTree('nova');
    const before = snapshot(root);
    const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'port-db'), 'port', root, '--dry-run', '--wire', '--no-verify'], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("--- a/nova/db/api.ts\n+++ b/nova/db/api.ts\n");
    expect(r.stdout).toContain("+  discovery: () => import('./discovery/api'),\n");
    expect(r.stdout).toContain('-backend = sqlalchemy\n+# backend = sqlalchemy');
    expect(r.stderr).toContain('backend: would wire the discovery backend (etc/nova/nova.conf:7, nova/db/api.ts:17)');
    expect(snapshot(root)).toEqual(before);
  });
});

describe('port --wire on a service with two databases sharing one config file', () => {
  /** nova/db (indexed by [database] backend) and nova/cells/db (by `section`), one nova.conf. */
  function twoDatabases(section: string): string {
    const root = scratchDir('port-db-wire-two-');
    for (const [db, conf] of [['nova/db', 'database'], ['nova/cells/db', section]]) {
      mkdirSync(join(root, db, 'sqlalchemy'), { recursive: true });
      writeFileSync(join(root, db, 'sqlalchemy', 'api.ts'), 'export async function ping() {\n  return 1;\n}\n');
      writeFileSync(join(root, db, 'api.ts'), `const MAPPING = {\n  sqlalchemy: () => import('./sqlalchemy/api'),\n};\nexport const load = () => MAPPING[CONF.${conf}.backend]();\n`);
    }
    mkdirSync(join(root, 'etc', 'nova'), { recursive: true });
    writeFileSync(join(root, 'etc', 'nova', 'nova.conf'), '[database]\nbackend = sqlalchemy\n\n[cells_database]\nbackend = sqlalchemy\n');
    return root;
  }

  it('applies the edits of both modules to the shared file, once', () => {
    const root = twoDatabases('cells_database');
    const result = port({ roots: [root], wire: true, verify: false });
    expect(result.modules.map((m) => m.report.wiring?.status)).toEqual(['applied', 'applied']);
    expect(read(root, 'etc', 'nova', 'nova.conf')).toBe(
      '[database]\n# backend = sqlalchemy  (the SQL backend: restore this line to switch back)\nbackend = discovery\n\n' +
        '[cells_database]\n# backend = sqlalchemy  (the SQL backend: restore this line to switch back)\nbackend = discovery\n',
    );
    for (const db of ['nova/db', 'nova/cells/db']) expect(read(root, db, 'api.ts')).toContain("  discovery: () => import('./discovery/api'),\n");
  });

  it('the same switch asked by both modules is made once', () => {
    const root = twoDatabases('database');
    port({ roots: [root], wire: true, verify: false });
    expect(read(root, 'etc', 'nova', 'nova.conf')).toBe(
      '[database]\n# backend = sqlalchemy  (the SQL backend: restore this line to switch back)\nbackend = discovery\n\n[cells_database]\nbackend = sqlalchemy\n',
    );
  });
});
