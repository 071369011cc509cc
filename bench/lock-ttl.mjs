#!/usr/bin/env node
// How much store latency each lock of the sample ports stands (issue 17 §5): the ports take their
// locks with a TTL of 100 ms (the rule pack's `ttlMs`); when a unit of work under a lock takes
// longer, the TTL passes, another request clears the lock and takes it, and the port no longer
// gives what SQL's unique keys or row locks gave. For each concurrent scenario of the samples,
// `port-db equiv` runs at increasing virtual latencies per store operation; the table shows the
// largest latency at which the scenario is still equivalent (every schedule to 2 preemptions),
// the first at which it diverges, and the lock that expired there. Prints a Markdown table.
// Runs dist/: `npm run build` first. `npm run bench:ttl`.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { equiv } from '../dist/equiv/run.js';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..');
const LATENCIES = [0, 1, 2, 5, 10, 15, 20, 30, 50, 100];

const rows = [];
for (const sample of ['nova', 'glance']) {
  const state = new Map(); // scenario → { ok, fails, expired }
  for (const latencyMs of LATENCIES) {
    const open = [...state.values()].filter((s) => s.fails === undefined);
    if (state.size > 0 && open.length === 0) break;
    const result = await equiv({ roots: [join(REPO, 'fixtures', sample)], only: 'at once', concurrency: { latencyMs, teeth: false } });
    for (const s of result.modules[0].scenarios) {
      if (!s.concurrency) continue;
      const known = state.get(s.name) ?? { sample, name: s.name, ok: undefined, fails: undefined, expired: [] };
      state.set(s.name, known);
      if (known.fails !== undefined) continue;
      if (s.verdict === 'equivalent') known.ok = latencyMs;
      else {
        known.fails = latencyMs;
        known.expired = [...new Set((s.divergences ?? []).flatMap((d) => d.expiredLocks ?? []))];
      }
    }
    process.stderr.write(`${sample}: ${latencyMs} ms done\n`);
  }
  rows.push(...state.values());
}

const ms = (v) => (v === undefined ? '—' : `${v} ms`);
console.log('| sample | concurrent scenario | equivalent up to | diverges at | lock whose TTL passed |');
console.log('| --- | --- | --- | --- | --- |');
for (const r of rows) console.log(`| ${r.sample} | ${r.name} | ${ms(r.ok)} | ${r.fails === undefined ? `not up to ${LATENCIES.at(-1)} ms` : ms(r.fails)} | ${r.expired.map((l) => `\`${l}\``).join(', ') || '—'} |`);
