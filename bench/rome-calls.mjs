#!/usr/bin/env node
// One backend of `npm run bench:rome` (bench/rome.mjs starts this once per backend, so that each
// has a process, a heap and a CPU count of its own). It loads the nova sample as a service does:
// the SQL module (db/sqlalchemy/api.ts) on the equiv reference (sql.js), or the port
// (db/discovery/api.ts) with `rome-orm` resolved to `port-db/rome-memory` or `port-db/rome-redis`,
// through the equiv loader's module hooks (dist/equiv/load/hooks.js: TypeScript transpiled as it
// loads, bare SQL names to the reference's runtime). Prints one JSON object on stdout.
//
// argv[2]: JSON { backend: 'sql' | 'memory' | 'redis' | 'cluster', url?, rows, ops, warmup, creates, creators: number[] }
import { AsyncLocalStorage } from 'node:async_hooks';
import { register } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..');
const DIST = pathToFileURL(join(REPO, 'dist', 'equiv')).href;
const NOVA = join(REPO, 'fixtures', 'nova', 'nova');
const cfg = JSON.parse(process.argv[2]);
const rome = cfg.backend !== 'sql';

const { SQL_MODULES, aliasesFor } = await import(`${DIST}/load/aliases.js`);
// the port keeps two SQL names for its manual code (func, text): they load the reference's, as under equiv
const romeOrm = import.meta.resolve(cfg.backend === 'memory' ? 'port-db/rome-memory' : 'port-db/rome-redis');
register(`${DIST}/load/hooks.js`, import.meta.url, { data: { aliases: rome ? { ...SQL_MODULES, 'rome-orm': romeOrm } : aliasesFor('sql') } });

const dir = join(NOVA, 'db', rome ? 'discovery' : 'sqlalchemy');
const modelsPath = join(dir, 'models.ts');
// `?graph=0`: the module graph of the service; a creator's own instance of the port adds `&node=k`
// (hooks.ts: its relative imports stay on the graph's shared modules, its ClusterLock is its own)
const apiUrl = `${pathToFileURL(join(dir, 'api.ts')).href}?graph=0`;
const models = await import(`${pathToFileURL(modelsPath).href}?graph=0`);
const { get_admin_context } = await import(`${pathToFileURL(join(NOVA, 'context.ts')).href}?graph=0`);
const admin = get_admin_context();
const runtime = rome ? await import(romeOrm) : undefined;
// the same module instance the runtime uses (one file URL)
const runtimeStore = rome ? await import(`${DIST}/rome-memory/store.js`) : undefined;

// -- the store: one per backend; under contention, one connection per creator ------------------

const creatorStore = new AsyncLocalStorage();
let shared;
const ownStores = [];

/**
 * The store the runtime is given: each operation runs on the calling creator's own store (its
 * connection) when it has one, else on the shared one. An owner-token release that finds its lock
 * no longer held is counted: the lock's TTL ran out while its holder still worked.
 */
let lateReleases = 0;
function routingStore() {
  const { STORE_OPERATIONS } = runtimeStore;
  const routed = { get locks() { return shared.locks; } };
  for (const op of STORE_OPERATIONS) routed[op] = (...args) => { const s = creatorStore.getStore() ?? shared; return s[op](...args); };
  const release = routed.lockRelease;
  routed.lockRelease = async (...args) => {
    const released = await release(...args);
    if (!released) lateReleases++;
    return released;
  };
  return routed;
}

const newStore = () => (cfg.backend === 'memory' ? runtime.createMemoryStore() : new runtime.RedisStore({ url: cfg.url, prefix: 'bench:' }));

/** A fresh, empty database or store (the schema made again on SQL). */
async function reset() {
  if (!rome) {
    const { openReference } = await import(`${DIST}/sql/reference.js`);
    await openReference(modelsPath, models);
    return;
  }
  if (cfg.backend === 'memory') shared = newStore();
  else {
    shared ??= newStore();
    await shared.clear();
  }
  runtime.useStore(routingStore());
}

// -- the redis-servers' own CPU and command count (INFO), to put beside the client's ----------

const servers = [];
if (cfg.url && !rome) throw new Error('a URL is for the ROME backends');
if (cfg.url) {
  const { Redis } = await import('ioredis');
  const [host, port] = cfg.url.replace(/^redis(\+cluster)?:\/\/([^@]*@)?/, '').split(/[,/]/)[0].split(':');
  const first = new Redis(Number(port), host, { maxRetriesPerRequest: 1 });
  servers.push(first);
  // a cluster: every master (CLUSTER NODES: `<id> <host>:<port>@<bus> <flags> ...`)
  if (cfg.url.startsWith('redis+cluster:')) {
    servers.pop();
    for (const line of (await first.cluster('NODES')).trim().split('\n')) {
      const [, address, flags] = line.split(' ');
      if (!flags.split(',').includes('master')) continue;
      const [h, p] = address.split('@')[0].split(':');
      servers.push(new Redis(Number(p), h || host, { maxRetriesPerRequest: 1 }));
    }
    first.disconnect();
  }
}

/** The servers' CPU (ms) and the commands they processed so far (each INFO call is one more). */
async function serverStats() {
  const total = { cpu: 0, commands: 0 };
  for (const c of servers) {
    const info = await c.info();
    total.cpu += (Number(/used_cpu_user:([\d.]+)/.exec(info)[1]) + Number(/used_cpu_sys:([\d.]+)/.exec(info)[1])) * 1000;
    total.commands += Number(/total_commands_processed:(\d+)/.exec(info)[1]);
  }
  return total;
}

// -- measuring --------------------------------------------------------------------------------

const now = () => Number(process.hrtime.bigint()) / 1e6;
const cpuMs = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];

/**
 * Runs `tasks` (each an async loop that calls `timed` per operation) at once: wall, CPU, latencies
 * of the calls that answered. `tolerate`: a call that throws is counted by its error's class and
 * the loop goes on (under contention the port's acquire_lock may give up: DBDeadlock); otherwise
 * it fails the run.
 */
async function phase(tasks, tolerate = false) {
  const lat = [];
  const errors = {};
  const timed = async (call) => {
    const t = now();
    try {
      await call();
    } catch (e) {
      if (!tolerate) throw e;
      const name = e?.constructor?.name ?? 'Error';
      errors[name] = (errors[name] ?? 0) + 1;
      return;
    }
    lat.push(now() - t);
  };
  const late0 = lateReleases;
  const c0 = cpuMs();
  const s0 = await serverStats();
  const t0 = now();
  await Promise.all(tasks.map((task) => task(timed)));
  const wall = now() - t0;
  const cpu = cpuMs() - c0;
  const s1 = await serverStats();
  lat.sort((a, b) => a - b);
  // the INFO of s0 is counted in s1: one command per server
  const server = servers.length ? s1.cpu - s0.cpu : null;
  const commands = servers.length ? s1.commands - s0.commands - servers.length : null;
  const late = rome && shared.locks === 'owner' ? lateReleases - late0 : null;
  return { n: lat.length, wall, cpu, server, commands, late, p50: pct(lat, 50), p99: pct(lat, 99), errors };
}

/** Fails the run when a call answers something else than it should: the numbers would be of another thing. */
function expect(ok, what) {
  if (!ok) throw new Error(`bench: ${cfg.backend}: ${what}`);
}

const loadApi = (node) => import(node === undefined ? apiUrl : `${apiUrl}&node=${node}`);
const api = await loadApi();
const USERS = Math.max(1, Math.floor(cfg.rows / 10));
/** The key pairs seed() gives user u (10, unless fewer than 10 rows). */
const keyPairsOf = (u) => Math.floor(cfg.rows / USERS) + (u < cfg.rows % USERS ? 1 : 0);
let hosts = 0;
const service = (host, k = 0) => ({ host, binary: `nova-compute-${k}`, topic: `compute-${k}` });

/** The base tables: `rows` services and `rows` key pairs (10 per user), written through the service's own calls. */
async function seed() {
  for (let i = 0; i < cfg.rows; i++) await api.service_create(admin, service(`seed-${i}`));
  for (let i = 0; i < cfg.rows; i++) await api.key_pair_create(admin, { user_id: `user-${i % USERS}`, name: `key-${i}`, fingerprint: `fp-${i}`, public_key: `ssh-rsa AAAA${i}` });
}

const calls = {
  create: async (i) => expect((await api.service_create(admin, service(`host-${hosts++}`))).id > cfg.rows, 'service_create answered no new id'),
  get: async (i) => expect((await api.service_get(admin, 1 + (i % cfg.rows))).id === 1 + (i % cfg.rows), 'service_get answered another service'),
  update: async (i) => expect((await api.service_update(admin, 1 + (i % cfg.rows), { report_count: i + 1 })).report_count === i + 1, 'service_update did not answer the update'),
  list: async (i) => expect((await api.key_pair_get_all_by_user(admin, `user-${i % USERS}`)).length === keyPairsOf(i % USERS), 'key_pair_get_all_by_user answered another count'),
};

const out = { backend: cfg.backend, rows: cfg.rows, calls: {}, contention: [] };
await reset();
await seed();
for (const [name, call] of Object.entries(calls)) {
  // warm-up, not measured: the JIT, the connection, the statement caches
  for (let i = 0; i < cfg.warmup; i++) await call(i);
  out.calls[name] = await phase([async (timed) => { for (let i = 0; i < cfg.ops; i++) await timed(() => call(cfg.warmup + i)); }]);
}
out.calls.create.tableRows = [cfg.rows + cfg.warmup, cfg.rows + cfg.warmup + cfg.ops];

// -- create-lock contention: the port's service_create (a ClusterLock on `services:create:<host>`) --

if (rome) {
  // each creator is a node: its own instance of the port (its own ClusterLock owner) and, on Redis,
  // its own connection; the creators of one key share the host (the lock's name), each create a
  // new topic and binary, so every create succeeds once the lock lets it in
  const creators = Math.max(...cfg.creators);
  for (let k = 0; k < creators; k++) {
    ownStores.push({ api: await loadApi(k + 1), store: cfg.backend === 'memory' ? undefined : newStore() });
  }
  let cell = 0;
  for (const n of cfg.creators) {
    for (const same of [true, false]) {
      cell++;
      await reset();
      await seed();
      const host = (k) => (same ? `c${cell}` : `c${cell}-${k}`);
      const per = Math.ceil(cfg.creates / n);
      const loop = (k, from, count, timed) => creatorStore.run(ownStores[k].store ?? shared, async () => {
        for (let j = from; j < from + count; j++) await timed(() => ownStores[k].api.service_create(admin, service(host(k), `${k}-${j}`)));
      });
      // warm-up, not measured: one create per creator, all at once
      await phase(Array.from({ length: n }, (_, k) => (timed) => loop(k, 0, 1, timed)), true);
      const r = await phase(Array.from({ length: n }, (_, k) => (timed) => loop(k, 1, per, timed)), true);
      out.contention.push({ creators: n, key: same ? 'same' : 'different', attempted: n * per, ...r });
    }
  }
}

for (const s of ownStores) await s.store?.close?.();
await shared?.close?.();
for (const c of servers) c.disconnect();
process.stdout.write(JSON.stringify(out) + '\n');
