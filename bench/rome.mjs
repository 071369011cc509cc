#!/usr/bin/env node
// The ROME benchmark (`npm run bench:rome`, also run by `npm run bench`): the nova sample
// service's hot calls on four backends — the SQL module on SQLite (sql.js, the equiv reference),
// the port on the in-memory ROME, on one Redis node and on a Redis Cluster — and how the port's
// lock-wrapped create holds up when creators contend for one key. Prints Markdown tables. Never
// a test: nothing here asserts a time.
//
// Each backend runs in a process of its own (bench/rome-calls.mjs), RUNS times, the backends
// round-robin (a load that drifts hits them alike); each number is the median of its runs. This
// script starts the redis-server and the 3-master cluster it measures (Debian's redis-server and
// redis-cli, on PATH; scripts/redis-servers.mjs: free loopback ports) and stops them.
// Runs the service through dist/: run `npm run build` first.
//
// Environment:
//   BENCH_QUICK=1             100 calls, 20 warm-up calls, 64 contended creates, 1 run
//   BENCH_ROME_RUNS=N         runs of every backend, round-robin; the tables show medians (default 3)
//   BENCH_ROME_OPS=N          measured calls of each kind per backend (default 1000)
//   BENCH_ROME_WARMUP=N       calls of each kind before measuring, not measured (default 100)
//   BENCH_ROME_ROWS=N         services and key pairs in the tables before the calls (default 200)
//   BENCH_ROME_CREATES=N      creates per contention cell, split over the creators (default 320)
//   BENCH_ROME_CREATORS=a,b   concurrent creators (default 1,4,16)
//   BENCH_ROME_BACKENDS=...   which of sql,memory,redis,cluster (default all)
//   BENCH_ROME_CLUSTER=URL    a running cluster to measure instead of starting one
//                             (redis+cluster://host:port,...); the bench works under the prefix
//                             `bench:` there and removes only its keys

import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startRedis, startRedisCluster } from '../scripts/redis-servers.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = join(HERE, '..');
const QUICK = process.env.BENCH_QUICK === '1';
const num = (name, dflt) => Number(process.env[name] ?? dflt);
const cfg = {
  ops: num('BENCH_ROME_OPS', QUICK ? 100 : 1000),
  warmup: num('BENCH_ROME_WARMUP', QUICK ? 20 : 100),
  rows: num('BENCH_ROME_ROWS', 200),
  creates: num('BENCH_ROME_CREATES', QUICK ? 64 : 320),
  creators: (process.env.BENCH_ROME_CREATORS ?? '1,4,16').split(',').map(Number),
};
const RUNS = num('BENCH_ROME_RUNS', QUICK ? 1 : 3);
const BACKENDS = (process.env.BENCH_ROME_BACKENDS ?? 'sql,memory,redis,cluster').split(',');
const LABEL = { sql: 'SQL module on SQLite (sql.js)', memory: 'port on in-memory ROME', redis: 'port on Redis, 1 node', cluster: 'port on Redis Cluster, 3 masters' };

if (!existsSync(join(REPO, 'dist', 'equiv', 'load', 'hooks.js'))) {
  process.stderr.write('bench:rome: dist/ is missing; run `npm run build` first\n');
  process.exit(2);
}

/** Runs one backend's process: its JSON answer, or why it failed. */
function runBackend(backend, url) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(HERE, 'rome-calls.mjs'), JSON.stringify({ backend, url, ...cfg })], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err = (err + d).slice(-4000)));
    child.on('close', (code) => {
      if (code === 0) resolve(JSON.parse(out));
      else resolve({ backend, failed: `exit ${code}: ${err.split('\n').find((l) => /^\w*Error\b/.test(l)) ?? err.trim().split('\n').at(-1)}` });
    });
  });
}

const ms = (x) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
const load = () => loadavg().map((l) => l.toFixed(2)).join(' / ');

const median = (xs) => {
  const v = [...xs].sort((a, b) => a - b);
  return v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
};

/** One measured phase over the runs: each figure the median of its runs; failed calls summed. */
function mergePhases(phases) {
  const m = (f) => median(phases.map(f));
  const errors = {};
  for (const p of phases) for (const [name, n] of Object.entries(p.errors)) errors[name] = (errors[name] ?? 0) + n;
  return {
    rate: m((p) => p.n / (p.wall / 1000)),
    p50: m((p) => p.p50),
    p99: m((p) => p.p99),
    wall: m((p) => p.wall),
    cpu: m((p) => p.cpu / p.n),
    server: phases[0].server === null ? null : m((p) => p.server / p.n),
    // over every call, failed ones included (their commands count too)
    commands: phases[0].commands === null ? null : m((p) => p.commands / (p.n + Object.values(p.errors).reduce((a, b) => a + b, 0))),
    // summed, as failures are: each one is a lock that expired under its holder
    late: phases[0].late === null ? null : phases.reduce((a, p) => a + p.late, 0),
    errors,
  };
}

async function main() {
  const started = new Date();
  const loadStart = load();
  const runs = new Map(BACKENDS.map((b) => [b, []]));
  const skipped = new Map();
  const has = (tool) => spawnSync(tool, ['--version']).status === 0;
  if (!has('redis-server')) skipped.set('redis', 'redis-server is not on PATH (Debian: apt-get install redis-server)');
  let clusterUrl = process.env.BENCH_ROME_CLUSTER;
  if (!clusterUrl && !(has('redis-server') && has('redis-cli'))) skipped.set('cluster', 'redis-server or redis-cli is not on PATH, and no BENCH_ROME_CLUSTER');
  const servers = [];
  try {
    const url = {};
    if (BACKENDS.includes('redis') && !skipped.has('redis')) {
      const redis = await startRedis();
      servers.push(redis);
      url.redis = redis.url;
    }
    if (BACKENDS.includes('cluster') && !skipped.has('cluster')) {
      if (!clusterUrl) {
        const cluster = await startRedisCluster({ masters: 3 });
        servers.push(cluster);
        clusterUrl = cluster.url;
      }
      url.cluster = clusterUrl;
    }
    for (let run = 1; run <= RUNS; run++) {
      for (const backend of BACKENDS.filter((b) => !skipped.has(b))) {
        process.stderr.write(`bench:rome: run ${run}/${RUNS}, ${LABEL[backend]}…\n`);
        const loadAt = loadavg()[0];
        const r = await runBackend(backend, url[backend]);
        runs.get(backend).push({ ...r, load: loadAt });
      }
    }
  } finally {
    for (const server of servers) await server.stop();
  }
  const results = BACKENDS.map((backend) => {
    const rs = runs.get(backend);
    if (skipped.has(backend)) return { backend, skipped: skipped.get(backend) };
    const failed = rs.find((r) => r.failed);
    if (failed) return { backend, failed: failed.failed };
    const loads = rs.map((r) => r.load);
    return {
      backend,
      load: `${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)}`,
      tableRows: rs[0].calls.create.tableRows,
      calls: Object.fromEntries(Object.keys(rs[0].calls).map((call) => [call, mergePhases(rs.map((r) => r.calls[call]))])),
      contention: rs[0].contention.map((c, i) => ({ creators: c.creators, key: c.key, ...mergePhases(rs.map((r) => r.contention[i])) })),
    };
  });

  const out = [];
  const cpu = cpus();
  out.push(`port-db ROME benchmark, ${started.toISOString().slice(0, 16).replace('T', ' ')} UTC`);
  out.push('');
  out.push(`Machine: ${cpu.length} cores (${cpu[0]?.model?.trim() ?? 'unknown'}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}; load average (1 / 5 / 15 min) ${loadStart} at start, ${load()} at end.`);
  out.push(
    `${RUNS} run(s) of every backend, round-robin; each figure is the median of its runs (failed creates: the sum). ` +
      `The nova sample (fixtures/nova): tables of ${cfg.rows} services and ${cfg.rows} key pairs (about 10 per user) before the calls; ${cfg.ops} calls of each kind after ${cfg.warmup} warm-up calls (not measured), ` +
      'one caller, one call at a time. create: service_create of a new host (the port takes its create lock and checks both unique keys by reading the table); ' +
      'get: service_get by id; update: service_update of report_count (a session flush); list: key_pair_get_all_by_user (10 rows of the table, by name). ' +
      'CPU: the node process running the service; redis-server: its own CPU and the commands it processed (INFO), per call. ' +
      'Locks released after their TTL (owner-token locks, summed over the runs): releases that found the lock no longer held — the create lock\'s or a flush\'s row lock outlived its TTL (the emitted helpers ask for 100 ms) while its holder still worked.',
  );
  out.push('');
  out.push('| call | backend | calls/s | p50 ms | p99 ms | wall s | CPU ms/call (node) | CPU ms/call (redis-server) | Redis commands/call | locks released after their TTL | load (1 min) over the runs |');
  out.push('| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const call of ['create', 'get', 'update', 'list']) {
    for (const r of results) {
      const label = LABEL[r.backend];
      if (r.skipped || r.failed) {
        out.push(`| ${call} | ${label} | ${r.skipped ? `not run: ${r.skipped}` : `**failed**: ${r.failed}`} | | | | | | | | |`);
        continue;
      }
      const c = r.calls[call];
      out.push(`| ${call} | ${label} | ${c.rate.toFixed(0)} | ${ms(c.p50)} | ${ms(c.p99)} | ${(c.wall / 1000).toFixed(2)} | ${ms(c.cpu)} | ${c.server === null ? '' : ms(c.server)} | ${c.commands === null ? '' : c.commands.toFixed(1)} | ${c.late ?? ''} | ${r.load} |`);
    }
  }
  const created = results.find((r) => r.calls)?.tableRows;
  if (created) out.push('', `(create: the services table grows from ${created[0]} to ${created[1]} rows while it is measured.)`);

  out.push('');
  out.push(
    `Create-lock contention: the port's service_create (acquire_lock on \`services:create:<host>\`, the uniqueness reads, the save, the release) by 1, 4 and 16 concurrent creators, ${cfg.creates} creates a cell ` +
      `split evenly, after one warm-up create each; table of ${cfg.rows} services at the start of each cell. Same key: every creator creates services of one host (one lock name; each create a new topic and binary, so each succeeds once in); ` +
      'different keys: a host per creator. Each creator is a node of its own: its own instance of the port (its own ClusterLock) and, on Redis, its own connection; all in one node process (one event loop). ' +
      'The in-memory ROME takes ROME\'s DLM (the hash `lock`), Redis owner-token locks (SET NX PX). The SQL module takes no lock (its unique index refuses a duplicate): no row.',
  );
  out.push('');
  out.push('| backend | creators | key | creates/s | p50 ms | p99 ms | wall s | CPU ms/create (node) | CPU ms/create (redis-server) | Redis commands/create | locks released after their TTL | failed creates |');
  out.push('| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |');
  for (const r of results) {
    if (r.backend === 'sql' || r.skipped || r.failed) continue;
    for (const c of r.contention) {
      const failed = Object.entries(c.errors).map(([name, n]) => `${n} ${name}`).join(', ') || '0';
      out.push(`| ${LABEL[r.backend]} | ${c.creators} | ${c.key} | ${c.rate.toFixed(0)} | ${ms(c.p50)} | ${ms(c.p99)} | ${(c.wall / 1000).toFixed(2)} | ${ms(c.cpu)} | ${c.server === null ? '' : ms(c.server)} | ${c.commands === null ? '' : c.commands.toFixed(1)} | ${c.late ?? ''} | ${failed} |`);
    }
  }
  process.stdout.write(out.join('\n') + '\n');
  if (results.some((r) => r.failed)) process.exitCode = 1;
}

main().catch((e) => {
  process.stderr.write(`bench:rome: ${e?.stack ?? e}\n`);
  process.exit(1);
});
