import { cpSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES, ROOT } from './helpers.js';
import { run } from './npm-user.js';
import { startRedis, type TestRedis } from '../scripts/redis-servers.mjs';
import { scratchDir } from './scratch.js';

// A ported service as its team runs it (issue 19): the packed `port-db` and `rome-orm` tarballs
// installed in a project of its own (nothing else: their dependencies come from the npm cache,
// --prefer-offline, as in test/pack.test.ts), the ported nova sample copied in unchanged,
// type-checked against the installed `rome-orm` and compiled with the installed tsc, then run by
// plain node on a redis-server this file starts, importing `rome-orm` by that name: no alias.

let redis: TestRedis;
let client: Redis;
let tmp: string;
let project: string;
const tarballs: Record<string, string> = {};
let install: { code: number | null; stdout: string; stderr: string };

function pack(dir: string): string {
  // dist/ and packages/rome-orm/index.d.ts are what test/global-setup.ts just built
  const r = run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', tmp, dir], ROOT);
  expect(r.code, r.stderr).toBe(0);
  return join(tmp, JSON.parse(r.stdout)[0].filename);
}

/** The files of the nova sample the ported module needs: the port and the modules it imports. */
const SAMPLE = ['nova/db/discovery/api.ts', 'nova/db/discovery/models.ts', 'nova/context.ts', 'nova/exception.ts', 'nova/utils.ts', 'types/sqlalchemy.d.ts', 'types/globals.d.ts'];

/**
 * Node's own ESM resolver wants file extensions; the sample imports extensionless, as a bundler
 * resolves. And the port keeps `import { func, text } from 'sqlalchemy'` for code it marks manual
 * (none of it runs here): the service's SQL library, which this project stands in for.
 */
function forNode(file: string): void {
  const shim = relative(dirname(file), join(project, 'out', 'sqlalchemy.js')).replaceAll('\\', '/');
  const js = readFileSync(file, 'utf8')
    .replace(/from '(\.\.?\/[^']+)'/g, "from '$1.js'")
    .replace(/from 'sqlalchemy'/g, `from '${shim.startsWith('.') ? shim : `./${shim}`}'`);
  writeFileSync(file, js);
}

function jsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.js'))
    .map((e) => join(e.parentPath, e.name));
}

beforeAll(async () => {
  redis = await startRedis();
  client = new Redis(redis.url);
  tmp = scratchDir('rome-orm-installed-');
  tarballs['port-db'] = pack('.');
  tarballs['rome-orm'] = pack('./packages/rome-orm');
  project = join(tmp, 'svc');
  mkdirSync(project);
  writeFileSync(join(project, 'package.json'), `${JSON.stringify({ name: 'svc', version: '1.0.0', private: true, type: 'module' }, null, 2)}\n`);
  install = run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', tarballs['port-db'], tarballs['rome-orm']], project);
  for (const f of SAMPLE) cpSync(join(FIXTURES, 'nova', f), join(project, f));
  writeFileSync(
    join(project, 'tsconfig.json'),
    JSON.stringify({
      // the sample is not strict (fixtures/nova/tsconfig.json); ioredis' own types want @types/node, which this project lacks
      compilerOptions: { target: 'ES2022', lib: ['ES2022'], module: 'ES2022', moduleResolution: 'Bundler', strict: false, skipLibCheck: true, types: [], outDir: 'out', rootDir: '.' },
      include: ['nova/**/*.ts', 'types/*.d.ts'],
    }),
  );
}, 300_000);

afterAll(async () => {
  await client?.quit();
  await redis?.stop();
});

describe('the packed rome-orm, installed with port-db in a service project', () => {
  it('installs from the two tarballs without a warning; rome-orm ships its code and types, and depends on this port-db', () => {
    expect(install.code, install.stderr).toBe(0);
    expect(install.stderr).not.toMatch(/warn/i);
    const listed = run('tar', ['-tzf', tarballs['rome-orm']], tmp).stdout.trim().split('\n').sort();
    expect(listed).toEqual(['package/index.d.ts', 'package/index.js', 'package/package.json']);
    const manifest = JSON.parse(readFileSync(join(project, 'node_modules', 'rome-orm', 'package.json'), 'utf8'));
    const portDb = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    expect(manifest.version).toBe(portDb.version);
    expect(manifest.dependencies).toEqual({ 'port-db': portDb.version });
    // one port-db, so that useStore from either name sets the store rome-orm's sessions use
    expect(run('find', ['node_modules', '-name', 'package.json', '-path', '*/port-db/package.json'], project).stdout.trim()).toBe('node_modules/port-db/package.json');
  });

  it("types: rome-orm's declare exactly its runtime's exports, the contract's among them (rules/rome-orm.d.ts)", () => {
    const names = run(process.execPath, ['--input-type=module', '-e', "process.stdout.write(JSON.stringify(Object.keys(await import('rome-orm'))))"], project);
    expect(names.stderr).toBe('');
    const exported: string[] = JSON.parse(names.stdout);
    expect(exported).toEqual(expect.arrayContaining(['RomeSession', 'RomeQuery', 'Entity', 'ClusterLock', 'Column', 'DBDuplicateEntry', 'RedisStore', 'useStore']));
    writeFileSync(
      join(project, 'agree.ts'),
      `import * as orm from 'rome-orm';
import { RomeSession, RedisStore, useStore, type Store } from 'rome-orm';
// a missing name and an extra one both fail: the types declare what the package exports at run time
export const names: Record<keyof typeof orm, true> = { ${exported.map((n) => `${n}: true`).join(', ')} };
class Service extends orm.Entity {
  static __tablename__ = 'services';
}
const store: Store = new RedisStore({ prefix: 'svc:' });
useStore(store);
// @ts-expect-error: the contract's types, not the runtime's: ROME has no limit()
new RomeSession().query(Service).limit(1);
// @ts-expect-error: the runtime's own options are typed
new RedisStore({ prefix: 1 });
`,
    );
    writeFileSync(
      join(project, 'tsconfig.agree.json'),
      JSON.stringify({ compilerOptions: { target: 'ES2022', lib: ['ES2022'], module: 'ES2022', moduleResolution: 'Bundler', strict: true, skipLibCheck: true, types: [], noEmit: true }, files: ['agree.ts'] }),
    );
    const alone = run(process.execPath, [join(project, 'node_modules', 'typescript-native', 'bin', 'tsc'), '-p', 'tsconfig.agree.json'], project);
    expect(alone.stdout + alone.stderr).toBe('');
    expect(alone.code).toBe(0);
  });

  it('the ported nova sample, type-checked against rome-orm and compiled by the installed tsc, runs on Redis with plain node: create, get, update, a duplicate refused, soft delete', async () => {
    const tsc = run(process.execPath, [join(project, 'node_modules', 'typescript-native', 'bin', 'tsc'), '-p', 'tsconfig.json'], project);
    expect(tsc.stdout + tsc.stderr).toBe('');
    expect(tsc.code).toBe(0);
    writeFileSync(join(project, 'out', 'sqlalchemy.js'), 'export const func = {};\nexport function text() {}\n');
    for (const f of jsFiles(join(project, 'out', 'nova'))) forNode(f);
    writeFileSync(
      join(project, 'service.mjs'),
      `import { RedisStore, useStore } from 'rome-orm';
import * as api from './out/nova/db/discovery/api.js';
import { get_admin_context } from './out/nova/context.js';

const store = new RedisStore({ url: process.argv[2], prefix: 'svc:' });
useStore(store);
const admin = get_admin_context();
const failure = async (call) => call.then(() => 'none', (e) => e.constructor.name);
const out = {};
try {
  const created = await api.service_create(admin, { host: 'h1', binary: 'nova-compute', topic: 'compute' });
  const read = await api.service_get(admin, created.id);
  out.read = [read.id, read.host, read.binary, read.disabled];
  const updated = await api.service_update(admin, created.id, { disabled: true, disabled_reason: 'maintenance' });
  out.updated = [updated.disabled, updated.disabled_reason];
  out.duplicate = await failure(api.service_create(admin, { host: 'h1', binary: 'nova-compute', topic: 'other' }));
  const racing = await Promise.allSettled([1, 2, 3, 4].map((i) => api.service_create(admin, { host: 'h2', binary: 'nova-compute', topic: 't' + i })));
  out.racing = racing.map((r) => r.status === 'fulfilled' ? 'created' : r.reason.constructor.name).sort();
  await api.service_destroy(admin, created.id);
  out.afterDestroy = await failure(api.service_get(admin, created.id));
} finally {
  await store.close();
}
process.stdout.write(JSON.stringify(out));
`,
    );
    await client.set('not-the-service', 'kept');
    const r = run(process.execPath, ['service.mjs', redis.url], project);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      read: [1, 'h1', 'nova-compute', false],
      updated: [true, 'maintenance'],
      duplicate: 'ServiceBinaryExists',
      racing: ['ServiceBinaryExists', 'ServiceBinaryExists', 'ServiceBinaryExists', 'created'],
      afterDestroy: 'ServiceNotFound',
    });
    // what the store holds: ROME's layout under the prefix, the first service soft-deleted, no lock left
    expect((await client.keys('*')).sort()).toEqual(['not-the-service', 'svc:nextkey:{services}', 'svc:{services}']);
    const rows = Object.values(await client.hgetall('svc:{services}')).map((json) => JSON.parse(json));
    expect(rows.map((row) => [row.host, row.deleted, row.disabled]).sort()).toEqual([
      ['h1', 1, true],
      ['h2', 0, false],
    ]);
  });
});
