// `npm run bench:rome` runs and prints its tables (a few calls: a smoke test, no timing asserted):
// the nova sample's calls on every backend (the SQL reference, the in-memory ROME, a redis-server
// and a 3-master cluster of its own), and the contention rows. The servers it starts leave
// nothing in this file's TMPDIR (test/setup.ts checks).
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const REPO = join(import.meta.dirname, '..');

describe('bench/rome.mjs', () => {
  it('prints a row per call and backend and the contention rows, with a tiny iteration count', () => {
    const env = { ...process.env, BENCH_ROME_RUNS: '1', BENCH_ROME_OPS: '5', BENCH_ROME_WARMUP: '2', BENCH_ROME_ROWS: '12', BENCH_ROME_CREATES: '8', BENCH_ROME_CREATORS: '1,4' };
    delete env.BENCH_ROME_CLUSTER;
    delete env.BENCH_ROME_BACKENDS;
    const run = spawnSync(process.execPath, [join(REPO, 'bench', 'rome.mjs')], { cwd: REPO, env, encoding: 'utf8', timeout: 120_000 });
    expect(run.stdout).not.toMatch(/failed\*\*/);
    expect(run.status).toBe(0);
    const lines = run.stdout.split('\n');
    const number = String.raw`\d+(\.\d+)?`;
    const load = String.raw`[\d.]+–[\d.]+`;
    for (const call of ['create', 'get', 'update', 'list']) {
      for (const backend of ['SQL module on SQLite \\(sql.js\\)', 'port on in-memory ROME']) {
        expect(lines.filter((l) => new RegExp(`^\\| ${call} \\| ${backend} \\| ${number} \\| ${number} \\| ${number} \\| ${number} \\| ${number} \\|  \\|  \\|  \\| ${load} \\|$`).test(l))).toHaveLength(1);
      }
      // on Redis, the servers' own CPU and commands beside the client's CPU
      for (const backend of ['port on Redis, 1 node', 'port on Redis Cluster, 3 masters']) {
        expect(lines.filter((l) => new RegExp(`^\\| ${call} \\| ${backend} \\|( ${number} \\|){7} \\d+ \\| ${load} \\|$`).test(l))).toHaveLength(1);
      }
    }
    // the port's lock-wrapped create: one and four creators, one key and a key each, on every ROME store; no SQL row
    for (const backend of ['port on in-memory ROME', 'port on Redis, 1 node', 'port on Redis Cluster, 3 masters']) {
      for (const creators of [1, 4]) {
        for (const key of ['same', 'different']) {
          expect(lines.filter((l) => l.startsWith(`| ${backend} | ${creators} | ${key} | `))).toHaveLength(1);
        }
      }
    }
    expect(lines.filter((l) => /^\| SQL module on SQLite \(sql.js\) \| \d/.test(l))).toEqual([]);
    expect(run.stdout).toMatch(/load average \(1 \/ 5 \/ 15 min\) [\d.]+ \/ [\d.]+ \/ [\d.]+ at start/);
  });
});
