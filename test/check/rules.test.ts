import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { brief, defaultPack, rulesOf, scan } from './helpers.js';

const SQL_API = '/repo/nova/db/sqlalchemy/api.ts';
const PORT_API = '/repo/nova/db/discovery/api.ts';

describe('sql-import', () => {
  it('reports imports of the SQL library and its submodules in any file', () => {
    const findings = scan(
      [
        "import { or_, func } from 'sqlalchemy';",
        "import { NoResultFound } from 'sqlalchemy/orm';",
        "import * as db_exc from 'oslo.db/exception';",
        "import type { Session } from 'sqlalchemy/orm/session';",
        "export { and_ } from 'sqlalchemy/sql/expression';",
        "import sa = require('sqlalchemy');",
        "const lazy = await import('sqlalchemy');",
        "const req = require('oslo.db');",
      ].join('\n'),
    );
    expect(brief(findings)).toEqual(['1:1 sql-import', '2:1 sql-import', '3:1 sql-import', '4:1 sql-import', '5:1 sql-import', '6:1 sql-import', '7:20 sql-import', '8:13 sql-import']);
    expect(findings[0].message).toBe("import of SQL library 'sqlalchemy' (or_, func)");
    expect(findings[3].message).toBe("import of SQL library 'sqlalchemy/orm/session' (type Session)");
    expect(findings[4].message).toBe("re-export of SQL library 'sqlalchemy/sql/expression' (and_)");
    expect(findings[6].message).toBe("dynamic import of SQL library 'sqlalchemy'");
  });

  it('does not report look-alike or mapped modules', () => {
    const findings = scan(
      [
        "import { or_ } from 'rome-orm';",
        "import * as db_exc from 'oslo_db/exception';",
        "import { x } from 'sqlalchemy-utils';",
        "import { y } from './sqlalchemy';",
        "import { z } from 'my-sqlalchemy/orm';",
      ].join('\n'),
    );
    expect(findings).toEqual([]);
  });

  it('reports a db/sqlalchemy module only when a discovery module imports it', () => {
    const text = "import * as models from '../sqlalchemy/models';\nimport { get_session } from '../../db/sqlalchemy/session';\n";
    expect(brief(scan(text, PORT_API))).toEqual(['1:1 sql-import', '2:1 sql-import']);
    expect(scan(text, PORT_API)[0].message).toBe("import of db/sqlalchemy module '../sqlalchemy/models' from a discovery module (* as models)");
    expect(rulesOf(scan("import * as models from './models';", SQL_API))).toEqual([]);
    expect(rulesOf(scan("import * as models from '../db/sqlalchemy/models';", '/repo/nova/compute/manager.ts'))).toEqual([]);
    expect(rulesOf(scan("import * as models from './models';", PORT_API))).toEqual([]);
    expect(rulesOf(scan("import * as api from 'nova/db/sqlalchemy/api';", PORT_API))).toEqual(['sql-import']);
  });

  it('follows the sqlModules globs of the pack', () => {
    const pack = { ...defaultPack, sqlModules: ['knex', '@prisma/*', 'pg-*'] };
    const text = "import k from 'knex';\nimport { P } from '@prisma/client';\nimport pg from 'pg-promise';\nimport s from 'sqlalchemy';\n";
    expect(brief(scan(text, '/repo/a.ts', pack))).toEqual(['1:1 sql-import', '2:1 sql-import', '3:1 sql-import']);
  });
});

describe('sql-session', () => {
  it('reports a factory imported from a db/sqlalchemy module', () => {
    const findings = scan("import { get_session } from './session';\nexport function f() {\n  const session = get_session();\n}\n", SQL_API);
    expect(brief(findings)).toEqual(['3:19 sql-session']);
    expect(findings[0].message).toBe("SQL session factory get_session() imported from './session' (a db/sqlalchemy module)");
  });

  it('reports camelCase factories and calls through a namespace import', () => {
    const text = "import * as session from './session';\nimport { getSession } from './session';\nsession.get_session();\ngetSession();\n";
    expect(brief(scan(text, SQL_API))).toEqual(['3:1 sql-session', '4:1 sql-session']);
  });

  it('does not report a get_session the module defines to return a RomeSession', () => {
    const text = [
      "import { RomeSession } from 'rome-orm';",
      "import { text } from 'sqlalchemy';",
      'export function get_session(): RomeSession {',
      '  return new RomeSession();',
      '}',
      'export const getSession = () => new RomeSession();',
      'export function f() {',
      '  const a = get_session();',
      '  const b = getSession();',
      '}',
    ].join('\n');
    expect(rulesOf(scan(text, PORT_API))).toEqual(['sql-import']);
  });

  it('does not report a factory imported from the target module', () => {
    expect(scan("import { get_session } from 'rome-orm';\nimport { text } from 'sqlalchemy';\nget_session();\n")).toHaveLength(1);
  });

  it('reports a local factory that is not ROME in a module that imports SQL', () => {
    const text = [
      "import { sessionmaker } from 'sqlalchemy/orm';",
      'const maker = sessionmaker();',
      'export function get_session() {',
      '  return maker();',
      '}',
      'get_session();',
    ].join('\n');
    const findings = scan(text);
    expect(brief(findings)).toEqual(['1:1 sql-import', '2:15 sql-session', '6:1 sql-session']);
    expect(findings[1].message).toBe("SQL engine factory sessionmaker() imported from 'sqlalchemy/orm'");
    expect(findings[2].message).toBe('SQL session factory get_session() defined in a module that imports SQL');
  });

  it('reports a local factory built on an engine factory even without SQL imports', () => {
    const text = 'function get_session() {\n  return new EngineFacade(url).get_session();\n}\nget_session();\n';
    // EngineFacade itself is unresolved in a module without SQL imports; the factory built on it is SQL.
    expect(brief(scan(text))).toEqual(['4:1 sql-session']);
    expect(scan(text)[0].message).toBe('SQL session factory get_session() defined here on the SQL engine factory EngineFacade');
  });

  it('reports an unresolved factory only in a module that imports SQL', () => {
    expect(rulesOf(scan("import { or_ } from 'sqlalchemy';\nget_session();\n"))).toEqual(['sql-import', 'sql-session']);
    expect(scan("import { x } from './x';\nget_session();\n")).toEqual([]);
  });

  it('reports engine factories: create_engine, new EngineFacade, get_engine', () => {
    const text = [
      "import { create_engine } from 'sqlalchemy';",
      "import { EngineFacade } from 'oslo.db/sqlalchemy/enginefacade';",
      'const engine = create_engine(url);',
      'const facade = new EngineFacade(url);',
      'function get_engine() { return engine; }',
      'get_engine();',
    ].join('\n');
    expect(brief(scan(text)).filter((b) => b.endsWith('sql-session'))).toEqual(['3:16 sql-session', '4:16 sql-session', '6:1 sql-session']);
    expect(scan(text).find((f) => f.line === 4)!.message).toBe("SQL engine factory new EngineFacade() imported from 'oslo.db/sqlalchemy/enginefacade'");
  });

  it('respects shadowing: a parameter or inner declaration is not the SQL factory', () => {
    const text = [
      "import { get_session } from './session';",
      'export function a(get_session: () => RomeSession) {',
      '  return get_session();',
      '}',
      'export function b() {',
      '  const get_session = () => new RomeSession();',
      '  return get_session();',
      '}',
      'export function c() {',
      '  return get_session();',
      '}',
    ].join('\n');
    expect(brief(scan(text, SQL_API))).toEqual(['10:10 sql-session']);
  });

  describe('across modules', () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'port-db-check-resolve-'));
    afterAll(() => rmSync(root, { recursive: true, force: true }));
    mkdirSync(path.join(root, 'db/discovery'), { recursive: true });
    mkdirSync(path.join(root, 'lib'), { recursive: true });
    writeFileSync(path.join(root, 'db/discovery/session.ts'), "import { RomeSession } from 'rome-orm';\nexport function get_session(): RomeSession { return new RomeSession(); }\n");
    writeFileSync(path.join(root, 'db/discovery/index.ts'), "export * from './session';\nexport { get_session as getSession } from './session';\n");
    writeFileSync(path.join(root, 'lib/legacy.ts'), "import { sessionmaker } from 'sqlalchemy/orm';\nconst maker = sessionmaker();\nexport const get_session = () => maker();\n");
    writeFileSync(path.join(root, 'lib/plain.ts'), 'export function get_session() { return {}; }\n');

    it('follows a relative import to a definition that returns a RomeSession', () => {
      const file = path.join(root, 'db/discovery/api.ts');
      const text = "import { text } from 'sqlalchemy';\nimport { get_session } from './session';\nget_session();\n";
      expect(rulesOf(scan(text, file))).toEqual(['sql-import']);
    });

    it('follows re-exports (export *, export { a as b }) and .js specifiers', () => {
      const file = path.join(root, 'db/discovery/api.ts');
      const text = "import { text } from 'sqlalchemy';\nimport { get_session, getSession } from './index.js';\nget_session();\ngetSession();\n";
      expect(rulesOf(scan(text, file))).toEqual(['sql-import']);
    });

    it('reports a factory whose definition lives in a module that imports SQL', () => {
      const file = path.join(root, 'app/service.ts');
      const findings = scan("import { get_session } from '../lib/legacy';\nget_session();\n", file);
      expect(brief(findings)).toEqual(['2:1 sql-session']);
      expect(findings[0].message).toBe("SQL session factory get_session() imported from '../lib/legacy'");
    });

    it('does not report a plain factory from a module without SQL', () => {
      expect(scan("import { get_session } from '../lib/plain';\nget_session();\n", path.join(root, 'app/service.ts'))).toEqual([]);
    });
  });
});

describe('raw-sql', () => {
  it('reports string literals, template literals and template expressions that are SQL', () => {
    const text = [
      'const a = "DELETE FROM fixed_ips WHERE host = :host";',
      "const b = 'SELECT id FROM instances';",
      'const c = `SELECT * FROM instances WHERE id = ${id}`;',
      'const d = `UPDATE instances SET host = ${host} WHERE id = ${id}`;',
    ].join('\n');
    const findings = scan(text);
    expect(brief(findings)).toEqual(['1:11 raw-sql', '2:11 raw-sql', '3:11 raw-sql', '4:11 raw-sql']);
    expect(findings[2].message).toBe('raw SQL SELECT statement: SELECT * FROM instances WHERE id = ${…}');
  });

  it('does not report prose', () => {
    const text = [
      "const help = 'select an option from the list, then update the form';",
      "throw new Error('Update failed: instance not found');",
      "log.info(`Deleting from ${host}: select the next one`);",
      "q.with_lockmode('update');",
    ].join('\n');
    expect(rulesOf(scan(text))).toEqual(['row-lock']);
  });

  it('reports tagged templates, and trusts an sql tag for short statements', () => {
    const text = ['const a = sql`SELECT * FROM instances WHERE id = ${id}`;', 'const b = sql`SELECT 1`;', 'const c = html`SELECT 1`;', 'const d = db.rawSql`select id from instances`;'].join('\n');
    expect(brief(scan(text))).toEqual(['1:11 raw-sql', '2:11 raw-sql', '4:11 raw-sql']);
  });

  it('trusts text(...) and execute(...) arguments for short statements', () => {
    const text = ["session.execute(text('SELECT 1'));", "conn.execute('select now()');", "log('SELECT 1');"].join('\n');
    expect(brief(scan(text))).toEqual(['1:22 raw-sql', '2:14 raw-sql']);
  });

  it('reports a concatenation once, at its start', () => {
    const text = "const q = 'SELECT id, host ' + 'FROM instances ' + 'WHERE id = ' + id;\nconst r = 'hello ' + name;\n";
    const findings = scan(text);
    expect(brief(findings)).toEqual(['1:11 raw-sql']);
    expect(findings[0].message).toBe('raw SQL SELECT statement: SELECT id, host FROM instances WHERE id = ${…}');
  });

  it('reports a statement nested in a substitution once', () => {
    const text = 'const q = `${prefix} ${"SELECT * FROM instances"}`;\n';
    expect(brief(scan(text))).toEqual(['1:24 raw-sql']);
  });

  it('ignores module specifiers and string literal types', () => {
    expect(scan("type Q = 'SELECT * FROM instances';\nimport x from 'select * from y';\n")).toEqual([]);
  });

  it('shortens long statements in the message', () => {
    const findings = scan(`const q = 'SELECT ${'column_name, '.repeat(20)}id FROM instances';`);
    expect(findings[0].message.length).toBeLessThan(100);
    expect(findings[0].message.endsWith('…')).toBe(true);
  });
});

describe('row-lock', () => {
  it('reports every row-lock method of the pack, at the method name', () => {
    const text = [
      "q.with_lockmode('update').first();",
      'q.with_for_update().first();',
      "q.withLockmode('update');",
      'q.withForUpdate({ nowait: true });',
    ].join('\n');
    const findings = scan(text);
    expect(brief(findings)).toEqual(['1:3 row-lock', '2:3 row-lock', '3:3 row-lock', '4:3 row-lock']);
    expect(findings[1].message).toBe('row lock with_for_update(): a key/value store has no SELECT ... FOR UPDATE; take a DLM lock instead');
  });

  it('does not report look-alike names or mere mentions', () => {
    expect(scan("q.with_lock('update');\nconst name = 'with_lockmode';\nq.lockmode;\nq.with_lockmode;\n")).toEqual([]);
  });
});

describe('manual-marker', () => {
  it('reports each marker with its reason and folds findings of the statement it marks', () => {
    const text = [
      "import { RomeSession } from 'rome-orm';",
      '// port-db: manual SQL import kept for manual code: text, func',
      "import { text, func } from 'sqlalchemy';",
      'export function get_session(): RomeSession {',
      '  return new RomeSession();',
      '}',
      'export async function instance_get_raw(id: number) {',
      '  const session = get_session();',
      '  // port-db: manual raw SQL (text(...)) has no ROME equivalent',
      '  const rows = await session.execute(',
      "    text('SELECT * FROM instances WHERE id = :id'),",
      '    { id },',
      '  );',
      '  return rows;',
      '}',
    ].join('\n');
    const findings = scan(text, PORT_API);
    expect(brief(findings)).toEqual(['2:1 manual-marker', '9:3 manual-marker']);
    expect(findings.map((f) => f.message)).toEqual(['SQL import kept for manual code: text, func', 'raw SQL (text(...)) has no ROME equivalent']);
  });

  it('marks the whole next declaration, and nothing after it', () => {
    const text = [
      "import { or_ } from 'sqlalchemy';",
      '// port-db: manual locking needs review',
      'export async function f() {',
      "  await q.with_lockmode('update').first();",
      "  return 'SELECT * FROM instances';",
      '}',
      "export const g = () => q.with_for_update();",
    ].join('\n');
    expect(brief(scan(text))).toEqual(['1:1 sql-import', '2:1 manual-marker', '7:26 row-lock']);
  });

  it('accepts block comments, and a marker with no statement after it marks nothing', () => {
    const text = ['function f() {', '  /* port-db: manual check this */', "  q.with_for_update();", '  // port-db: manual dangling', '}', "q.with_for_update();"].join('\n');
    expect(brief(scan(text))).toEqual(['2:3 manual-marker', '4:3 manual-marker', '6:3 row-lock']);
    expect(scan(text)[0].message).toBe('check this');
  });

  it('a marker after code governs its own line', () => {
    const text = "q.with_for_update(); // port-db: manual lock\nq.with_for_update();\n";
    expect(brief(scan(text))).toEqual(['1:22 manual-marker', '2:3 row-lock']);
  });

  it('ignores marker text in strings and comments that only mention markers', () => {
    const text = "const s = '// port-db: manual not a comment';\n// see the port-db: manual markers in the report\n/** Markers look like `port-db: manual <reason>`. */\nconst x = 1;\n";
    expect(scan(text)).toEqual([]);
  });

  it('gives a reason-less marker a message', () => {
    expect(scan('// port-db: manual\nconst x = 1;\n')[0].message).toBe('manual item');
  });
});

describe('manual-marker syntax', () => {
  it('needs "manual" as a word of its own', () => {
    expect(scan('// port-db: manual-marker is a rule id\nconst x = 1;\n')).toEqual([]);
    expect(brief(scan('//port-db:manual   spaced   reason\nconst x = 1;\n'))).toEqual(['1:1 manual-marker']);
    expect(scan('/**\n * port-db: manual\n *   multi-line reason\n */\nconst x = 1;\n')[0].message).toBe('multi-line reason');
  });
});

describe('rome-unsupported', () => {
  const text = [
    "import { RomeQuery } from 'rome-orm';",
    'export async function page(query: RomeQuery<any>, limit: number) {',
    '  return await query.limit(limit).all();',
    '}',
    'export async function one(context: any) {',
    '  const q = model_query(context, models.Instance).filter_by({ host: "h" });',
    '  const rows = await model_query(context, models.Network).filter(models.Network.id.in_(q)).all();',
    '  const owner = q.session;',
    '  const cols = models.Instance.host.property.columns;',
    '  const mapper = models.Instance.__mapper__;',
    '  return [rows, owner, cols, mapper, await q.one()];',
    '}',
    'export async function fine(context: any, ids: number[], options: { session?: any }) {',
    '  const rows = await model_query(context, models.Network).filter(models.Network.id.in_(ids)).all();',
    '  const listed = await model_query(context, models.Network).all();',
    '  return [rows, listed, options.session, models.Network.id.in_(listed.map((r: any) => r.id))];',
    '}',
  ].join('\n');

  it('reports, in a discovery module, what ROME lacks or ignores, however the query is held', () => {
    expect(brief(scan(text, PORT_API)).filter((f) => f.endsWith('rome-unsupported'))).toEqual([
      '3:22 rome-unsupported',
      '7:84 rome-unsupported',
      '8:19 rome-unsupported',
      '9:37 rome-unsupported',
      '10:34 rome-unsupported',
      '11:46 rome-unsupported',
    ]);
  });

  it('says what each one is', () => {
    const messages = scan(text, PORT_API).map((f) => f.message);
    expect(messages).toEqual(
      expect.arrayContaining([
        '`limit()`: ROME lacks it or ignores it; the code runs on ROME without what SQL did',
        '`in_(<query>)`: an SQL subquery; ROME has none and tests membership in a list: pass the values',
        '`query.session`: a RomeQuery carries no session',
        '`.property.columns`: mapper introspection; ROME has no SQLAlchemy mapper',
        '`__mapper__`: mapper introspection; ROME has no SQLAlchemy mapper',
      ]),
    );
  });

  it('does not report them in the SQL module (it may use them) or under a marker (they fold into it)', () => {
    expect(rulesOf(scan(text, SQL_API))).not.toContain('rome-unsupported');
    const marked = ['export async function page(query: any, limit: number) {', '  // port-db: manual `limit()` on a stored query', '  return await query.limit(limit).all();', '}'].join('\n');
    expect(brief(scan(marked, PORT_API))).toEqual(['2:3 manual-marker']);
  });

  it('follows the pack: a target that has limit() does not get it reported', () => {
    const pack = { ...defaultPack, target: { ...defaultPack.target, lacks: ['one'] } };
    expect(brief(scan(text, PORT_API, pack)).filter((f) => f.endsWith('rome-unsupported'))).toEqual(['7:84 rome-unsupported', '8:19 rome-unsupported', '9:37 rome-unsupported', '11:46 rome-unsupported']);
  });
});
