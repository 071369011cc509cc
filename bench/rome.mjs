#!/usr/bin/env node
// The ROME benchmark (`npm run bench:rome`, also run by `npm run bench`): the nova sample
// service's hot calls on four backends — the SQL module on SQLite (sql.js, the equiv reference),
// the port on the in-memory ROME, on one Redis node and on a Redis Cluster — and how the port's
// lock-wrapped create holds up when creators contend for one key. Prints Markdown tables. Never
// a test: nothing here asserts a time.
//
// Each backend runs in a process of its own (bench/rome-calls.mjs). This script starts the
// redis-server it measures (Debian's package, on PATH) on a free loopback port and stops it.
// Runs the service through dist/: run `npm run build` first.
//
// Environment:
//   BENCH_QUICK=1             100 calls, 20 warm-up calls, 64 contended creates
//   BENCH_ROME_OPS=N          measured calls of each kind per backend (default 1000)
//   BENCH_ROME_WARMUP=N       calls of each kind before measuring, not measured (default 100)
//   BENCH_ROME_ROWS=N         services and key pairs in the tables before the calls (default 200)
//   BENCH_ROME_CREATES=N      creates per contention cell, split over the creators (default 320)
//   BENCH_ROME_CREATORS=a,b   concurrent creators (default 1,4,16)
//   BENCH_ROME_BACKENDS=...   which of sql,memory,redis,cluster (default all)
//   BENCH_ROME_CLUSTER=URL    a running cluster to measure (redis+cluster://host:port,...); the
//                             bench uses a prefix of its own there and removes only its keys

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';

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
const BACKENDS = (process.env.BENCH_ROME_BACKENDS ?? 'sql,memory,redis,cluster').split(',');
const LABEL = { sql: 'SQL module on SQLite (sql.js)', memory: 'port on in-memory ROME', redis: 'port on Redis, 1 node', cluster: 'port on Redis Cluster' };

if (!existsSync(join(REPO, 'dist', 'equiv', 'load', 'hooks.js'))) {
  process.stderr.write('bench:rome: dist/ is missing; run `npm run build` first\n');
  process.exit(2);
}

async function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** One redis-server of the bench's own: a free loopback port, a temp dir, no persistence. */
async function startRedis() {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'port-db-bench-redis-'));
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', '--logfile', join(dir, 'log')], { stdio: 'ignore' });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };
  const url = `redis://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    probe.on('error', () => {}); // refused until it listens
    try {
      await probe.connect();
      if ((await probe.ping()) === 'PONG') return { url, stop };
    } catch (e) {
      if (i >= 100 || child.exitCode !== null) {
        await stop();
        throw new Error(`redis-server did not start on port ${port}: ${String(e)}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    } finally {
      probe.disconnect();
    }
  }
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
      else resolve({ backend, failed: `exit ${code}: ${err.trim().split('\n').find((l) => /Error|bench:/.test(l)) ?? err.trim().split('\n').at(-1)}` });
    });
  });
}

const ms = (x) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
const load = () => loadavg().map((l) => l.toFixed(2)).join(' / ');

async function main() {
  const started = new Date();
  const loadStart = load();
  const results = [];
  const hasRedis = spawnSync('redis-server', ['--version']).status === 0;
  let redis;
  try {
    for (const backend of BACKENDS) {
      let url;
      if (backend === 'redis') {
        if (!hasRedis) {
          results.push({ backend, skipped: 'redis-server is not on PATH (Debian: apt-get install redis-server)' });
          continue;
        }
        redis = await startRedis();
        url = redis.url;
      }
      if (backend === 'cluster') {
        url = process.env.BENCH_ROME_CLUSTER;
        if (!url) {
          results.push({ backend, skipped: 'no cluster: give one with BENCH_ROME_CLUSTER=redis+cluster://host:port,…' });
          continue;
        }
      }
      process.stderr.write(`bench:rome: ${LABEL[backend]}…\n`);
      const loadAt = loadavg()[0];
      const r = await runBackend(backend, url);
      results.push({ ...r, load: [loadAt, loadavg()[0]] });
      if (redis) {
        await redis.stop();
        redis = undefined;
      }
    }
  } finally {
    await redis?.stop();
  }

  const out = [];
  const cpu = cpus();
  out.push(`port-db ROME benchmark, ${started.toISOString().slice(0, 16).replace('T', ' ')} UTC`);
  out.push('');
  out.push(`Machine: ${cpu.length} cores (${cpu[0]?.model?.trim() ?? 'unknown'}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}; load average (1 / 5 / 15 min) ${loadStart} at start, ${load()} at end.`);
  out.push(
    `The nova sample (fixtures/nova): tables of ${cfg.rows} services and ${cfg.rows} key pairs (10 per user) before the calls; ${cfg.ops} calls of each kind after ${cfg.warmup} warm-up calls (not measured), ` +
      'one caller, one call at a time. create: service_create of a new host (the port takes its create lock and checks both unique keys by reading the table); ' +
      'get: service_get by id; update: service_update of report_count (a session flush); list: key_pair_get_all_by_user (10 rows of the table, by name). ' +
      'CPU: the node process running the service; redis-server: its own CPU (INFO cpu), per call.',
  );
  out.push('');
  out.push('| call | backend | calls/s | p50 ms | p99 ms | wall s | CPU ms/call (node) | CPU ms/call (redis-server) | load (1 min) |');
  out.push('| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const call of ['create', 'get', 'update', 'list']) {
    for (const r of results) {
      const label = LABEL[r.backend];
      if (r.skipped || r.failed) {
        out.push(`| ${call} | ${label} | ${r.skipped ? `not run: ${r.skipped}` : `**failed**: ${r.failed}`} | | | | | | |`);
        continue;
      }
      const c = r.calls[call];
      out.push(
        `| ${call} | ${label} | ${(c.n / (c.wall / 1000)).toFixed(0)} | ${ms(c.p50)} | ${ms(c.p99)} | ${(c.wall / 1000).toFixed(2)} | ${ms(c.cpu / c.n)} | ${c.server === null ? '' : ms(c.server / c.n)} | ${r.load[0].toFixed(2)} |`,
      );
    }
  }
  const created = results.find((r) => r.calls)?.calls.create.tableRows;
  if (created) out.push('', `(create: the services table grows from ${created[0]} to ${created[1]} rows while it is measured.)`);

  out.push('');
  out.push(
    `Create-lock contention: the port's service_create (acquire_lock on \`services:create:<host>\`, the uniqueness reads, the save, the release) by 1, 4 and 16 concurrent creators, ${cfg.creates} creates a cell ` +
      `split evenly, after one warm-up create each; table of ${cfg.rows} services at the start of each cell. Same key: every creator creates services of one host (one lock name; each create a new topic and binary, so each succeeds once in); ` +
      'different keys: a host per creator. Each creator is a node of its own: its own instance of the port (its own ClusterLock) and, on Redis, its own connection; all in one node process (one event loop). ' +
      'The in-memory ROME takes ROME\'s DLM (the hash `lock`), Redis owner-token locks (SET NX PX). The SQL module takes no lock (its unique index refuses a duplicate): no row.',
  );
  out.push('');
  out.push('| backend | creators | key | creates/s | p50 ms | p99 ms | wall s | CPU s (node) | CPU s (redis-server) | failed creates |');
  out.push('| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |');
  for (const r of results) {
    if (r.backend === 'sql' || r.skipped || r.failed) continue;
    for (const c of r.contention) {
      const failed = Object.entries(c.errors).map(([name, n]) => `${n} ${name}`).join(', ') || '0';
      out.push(
        `| ${LABEL[r.backend]} | ${c.creators} | ${c.key} | ${(c.n / (c.wall / 1000)).toFixed(0)} | ${ms(c.p50)} | ${ms(c.p99)} | ${(c.wall / 1000).toFixed(2)} | ${(c.cpu / 1000).toFixed(2)} | ${c.server === null ? '' : (c.server / 1000).toFixed(2)} | ${failed} |`,
      );
    }
  }
  process.stdout.write(out.join('\n') + '\n');
  if (results.some((r) => r.failed)) process.exitCode = 1;
}

main().catch((e) => {
  process.stderr.write(`bench:rome: ${e?.stack ?? e}\n`);
  process.exit(1);
});
