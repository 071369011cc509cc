// `port-db equiv --rome redis://…` (issue 19 item 4) on a redis-server and a 3-master cluster the
// test starts: the samples' scenarios give the verdicts they give on the in-memory ROME (their
// golden reports), concurrent groups run from node processes and a lock-removal mutant diverges
// there too, the run touches no key outside its prefix and leaves none (a timeout included), and
// a bad or unreachable URL is bad input.
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ScenarioResult } from '../../src/report/equivalence-model.js';
import { FIXTURES, ROOT } from '../helpers.js';
import { startRedis, startRedisCluster, type TestRedis, type TestRedisCluster } from '../../scripts/redis-servers.mjs';

let redis: TestRedis;
let cluster: TestRedisCluster;
let client: Redis;
/** A client of each of the cluster's masters. */
let masters: Redis[] = [];
let tmp: string;

beforeAll(async () => {
  [redis, cluster] = await Promise.all([startRedis(), startRedisCluster({ masters: 3 })]);
  client = new Redis(redis.url);
  masters = cluster.nodes.map((n) => new Redis(n.port, n.host));
  // keys that are not the run's, on the node and on the cluster (a slot each, on whichever master)
  await client.set('not-the-run', 'kept');
  await client.hset('nova:services', 'services:id:1', '{}');
  const other = new Cluster(cluster.nodes);
  for (const tag of ['a', 'b', 'c', 'd', 'e']) await other.set(`{${tag}}:not-the-run`, 'kept');
  await other.quit();
  tmp = mkdtempSync(join(tmpdir(), 'port-db-equiv-rome-'));
});

afterAll(async () => {
  await client?.quit();
  for (const m of masters) await m.quit();
  await Promise.all([redis?.stop(), cluster?.stop()]);
  rmSync(tmp, { recursive: true, force: true });
});

const env = { ...process.env, NO_COLOR: '1', FORCE_COLOR: '' };

function cli(cwd: string, ...args: string[]) {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'port-db'), ...args], { cwd, encoding: 'utf8', env });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The keys a run may not touch are there, as before, and the run left none. */
async function onlyOthersKeys(): Promise<void> {
  expect((await client.keys('*')).sort()).toEqual(['not-the-run', 'nova:services']);
  expect(await client.get('not-the-run')).toBe('kept');
  expect(await client.hgetall('nova:services')).toEqual({ 'services:id:1': '{}' });
}

/** The same on the cluster: its masters hold only the keys set before the runs. */
async function onlyOthersKeysOnTheCluster(): Promise<void> {
  const keys = (await Promise.all(masters.map((m) => m.keys('*')))).flat().sort();
  expect(keys).toEqual(['{a}:not-the-run', '{b}:not-the-run', '{c}:not-the-run', '{d}:not-the-run', '{e}:not-the-run']);
}

/** What must not change between the stores: each scenario's verdict, reason, accepted reasons and where it differed. */
const verdictOf = (s: ScenarioResult) => ({ name: s.name, verdict: s.verdict, reason: s.reason, accepted: s.accepted?.map((a) => a.reason), at: s.divergences?.map((d) => [d.kind, d.call]) });

describe('port-db equiv --rome redis://…', () => {
  for (const [sample, store] of [['nova', 'node'], ['glance', 'node'], ['nova', 'cluster'], ['glance', 'cluster']] as const) {
    it(`gives the ${sample} sample's in-memory verdicts on a Redis ${store}, concurrent groups from node processes, and leaves no key`, async () => {
      const r = cli(FIXTURES, 'equiv', sample, '--rome', store === 'node' ? redis.url : cluster.url, '--repeat', '2', '--format', 'json');
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const scenarios = (JSON.parse(r.stdout) as { equivalence: { modules: Array<{ scenarios: ScenarioResult[] }> } }).equivalence.modules[0].scenarios;
      const expected = (JSON.parse(readFileSync(join(FIXTURES, sample, sample, 'db', 'equiv', 'equivalence.expected.json'), 'utf8')) as { modules: Array<{ scenarios: ScenarioResult[] }> }).modules[0].scenarios;
      expect(scenarios.map(verdictOf)).toEqual(expected.map(verdictOf));
      // every concurrent scenario ran twice on the real store, not under the in-memory scheduler
      const concurrent = scenarios.filter((s) => s.concurrency);
      expect(concurrent.length).toBeGreaterThan(1);
      for (const s of concurrent) expect(s.concurrency).toMatchObject({ repetitions: 2, schedules: 2, exhaustive: false, locks: 'not-checked' });
      await onlyOthersKeys();
      await onlyOthersKeysOnTheCluster();
    }, 300_000);
  }

  it('a port without its create lock diverges on Redis too (two node processes create the same host/topic)', async () => {
    const root = join(tmp, 'mutant');
    cpSync(join(FIXTURES, 'nova'), root, { recursive: true });
    const api = join(root, 'nova', 'db', 'discovery', 'api.ts');
    const original = readFileSync(api, 'utf8');
    const acquire = 'const lock_name = `services:create:${values.host}`;\n  await acquire_lock(lock_name);\n';
    expect(original.split(acquire).length - 1).toBe(1);
    writeFileSync(api, original.replace(acquire, 'const lock_name = `services:create:${values.host}`;\n'));
    const r = cli(tmp, 'equiv', 'mutant', '--rome', redis.url, '--repeat', '10', '--only', 'service_create: the same host/topic twice at once');
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('✗ service_create: the same host/topic twice at once — diverged');
    expect(r.stdout).toMatch(/2 calls at once: 2 SQL orders; 10 runs on the real store, each call from a process of its own; \d+ distinct outcomes, \d+ runs not allowed/);
    // a run on a real store is not replayed: the command runs it again there
    expect(r.stdout).toContain(`replay: port-db equiv mutant --only 'service_create: the same host/topic twice at once' --rome ${redis.url}\n`);
    await onlyOthersKeys();
  }, 120_000);

  it('a run stopped by --timeout removes its keys too, and leaves no node process running', async () => {
    const root = join(tmp, 'hang');
    cpSync(join(FIXTURES, 'nova'), root, { recursive: true });
    const db = join(root, 'nova', 'db');
    writeFileSync(join(db, 'sqlalchemy', 'api.ts'), readFileSync(join(db, 'sqlalchemy', 'api.ts'), 'utf8') + '\nexport async function wait_for_ever(): Promise<number> {\n  return 1;\n}\n');
    writeFileSync(join(db, 'discovery', 'api.ts'), readFileSync(join(db, 'discovery', 'api.ts'), 'utf8') + '\nexport async function wait_for_ever(): Promise<number> {\n  return new Promise<number>(() => {});\n}\n');
    for (const f of readdirSync(join(db, 'equiv'))) rmSync(join(db, 'equiv', f));
    writeFileSync(
      join(db, 'equiv', 'hang.equiv.ts'),
      `import { concurrently, scenario } from 'port-db/equiv';
export default scenario('two requests that never answer', {
  seed: { services: [{ host: 'h1', topic: 'compute', binary: 'nova-compute' }] },
  async run({ api }) { await concurrently(() => api.wait_for_ever(), () => api.wait_for_ever()); },
});
`,
    );
    const child = spawn(process.execPath, [join(ROOT, 'bin', 'port-db'), 'equiv', 'hang', '--rome', redis.url, '--timeout', '8'], { cwd: tmp, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.resume();
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    // while the two node processes wait, the seeded row is in the store under the run's prefix
    let seen: string[] = [];
    let nodes: number[] = [];
    for (let i = 0; i < 300 && (seen.length === 0 || nodes.length < 2); i++) {
      seen = (await client.keys('port-db-equiv:*')).filter((k) => /\d+-\d+:\{?services\}?$/.test(k));
      nodes = nodeProcessesOf(redis.url);
      await new Promise((r) => setTimeout(r, 50));
    }
    // (a table's hash may be hash-tagged: `{services}`)
    expect(seen[0]).toMatch(/^port-db-equiv:[0-9a-f]{12}:\d+-\d+:\{?services\}?$/);
    expect(nodes).toHaveLength(2);
    expect(await exited).toBe(2);
    expect(stderr).toContain('no progress within 8 s on the rome side');
    await onlyOthersKeys();
    // the node processes (their environment names this server) end with the run: their channel to
    // the stopped worker closes, and they exit (a moment after the CLI itself)
    for (let i = 0; i < 100 && nodeProcessesOf(redis.url).length > 0; i++) await new Promise((r) => setTimeout(r, 50));
    expect(nodeProcessesOf(redis.url)).toEqual([]);
  }, 120_000);

  it('a node whose process ends (the port exits) makes the run bad input, with what the node said; no key is left', () => {
    const root = join(tmp, 'exits');
    cpSync(join(FIXTURES, 'nova'), root, { recursive: true });
    const db = join(root, 'nova', 'db');
    writeFileSync(join(db, 'sqlalchemy', 'api.ts'), readFileSync(join(db, 'sqlalchemy', 'api.ts'), 'utf8') + '\nexport async function stop_here(): Promise<number> {\n  return 1;\n}\n');
    writeFileSync(join(db, 'discovery', 'api.ts'), readFileSync(join(db, 'discovery', 'api.ts'), 'utf8') + '\nexport async function stop_here(): Promise<number> {\n  console.error("stopping the process");\n  process.exit(3);\n}\n');
    for (const f of readdirSync(join(db, 'equiv'))) rmSync(join(db, 'equiv', f));
    writeFileSync(join(db, 'equiv', 'exits.equiv.ts'), `import { concurrently, scenario } from 'port-db/equiv';\nexport default scenario('exits', { async run({ api }) { await concurrently(() => api.stop_here(), () => api.stop_here()); } });\n`);
    const r = cli(tmp, 'equiv', 'exits', '--rome', redis.url, '--repeat', '1');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`concurrent group 1 on ${redis.url}: a node of the concurrent group exited (code 3):\nstopping the process`);
    return onlyOthersKeys();
  }, 120_000);

  it('the library takes rome and repeat as the CLI takes --rome and --repeat, and refuses repeat alone', async () => {
    const { equiv } = await import('../../dist/index.js');
    const only = 'service_create: the same host/topic twice at once';
    const result = await equiv({ roots: ['nova'], cwd: FIXTURES, only, rome: redis.url, repeat: 1 });
    expect(result.exitCode).toBe(0);
    const [scenario] = result.equivalence.modules[0].scenarios;
    expect([scenario.name, scenario.verdict, scenario.concurrency?.repetitions]).toEqual([only, 'equivalent', 1]);
    await expect(equiv({ roots: ['nova'], cwd: FIXTURES, only, repeat: 2 })).rejects.toMatchObject({ exitCode: 2, message: '--repeat counts the runs on a real store' });
    await expect(equiv({ roots: ['nova'], cwd: FIXTURES, only, rome: redis.url, selfCheck: true })).rejects.toMatchObject({ exitCode: 2 });
    await onlyOthersKeys();
  }, 120_000);

  it('a URL that is no Redis URL, or a server that does not answer, is bad input (exit 2)', async () => {
    const bad = cli(FIXTURES, 'equiv', 'nova', '--rome', 'http://127.0.0.1:6379', '--only', 'service_get');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--rome: 'http://127.0.0.1:6379' is no Redis URL");
    // a port nothing listens on: the test's own server's, once a second server there is stopped
    const gone = await startRedis();
    await gone.stop();
    const down = cli(FIXTURES, 'equiv', 'nova', '--rome', gone.url, '--only', 'service_get');
    expect(down.code).toBe(2);
    expect(down.stderr).toContain(`--rome: cannot reach ${gone.url}`);
    expect(cli(FIXTURES, 'equiv', 'nova', '--rome', redis.url, '--repeat', '0').stderr).toContain('--repeat must be a whole number ≥ 1');
    expect(cli(FIXTURES, 'equiv', 'nova', '--repeat', '3').stderr).toContain('--repeat counts the runs on a real store');
    expect(cli(FIXTURES, 'equiv', 'nova', '--rome', redis.url, '--only', 'service_get', '--replay', '0.1').stderr).toContain('--replay runs a schedule of the in-memory ROME');
  }, 120_000);
});

/** Processes whose environment carries PORT_DB_EQUIV_NODE for `url` (Linux /proc). */
function nodeProcessesOf(url: string): number[] {
  const out: number[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    let environ = '';
    try {
      environ = readFileSync(`/proc/${pid}/environ`, 'utf8');
    } catch {
      continue; // gone, or not ours to read
    }
    if (environ.split('\0').some((v) => v.startsWith('PORT_DB_EQUIV_NODE=') && v.includes(url))) out.push(Number(pid));
  }
  return out;
}
