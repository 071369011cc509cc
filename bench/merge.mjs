#!/usr/bin/env node
// The three-way merge of a hand-edited port (`npm run bench:merge`): what `port` costs when
// db/discovery/api.ts was edited by hand and the port changed upstream, at the sizes issue 18
// measured (2.8k, 6.4k, 11.7k and 50k lines of port). Each size runs in its own process, stopped
// after MERGE_TIMEOUT_S. Never a test.
//
// base = the port of a generated module (bench/generate.mjs), ours = base with two hand edits (a
// comment added near the top, a line changed at one third), theirs = base with an upstream change
// at two thirds: a clean merge that must keep both. Times mergeThreeWay alone (dist/port/merge.js),
// and, for comparison, the unified diff of base and theirs (dist/report/diff.js), the dry run's.
// Runs dist/: run `npm run build` first.
//
// Environment:
//   MERGE_FUNCTIONS=a,b,..  generated functions per size (default 104,237,433,1945: ports of about
//                           2.8k, 6.4k, 11.7k and 50k lines)
//   MERGE_RUNS=N            runs per size (default 3; the median is shown)
//   MERGE_TIMEOUT_S=T       a size still merging after T seconds is stopped (default 120)

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { writeModuleTree } from './generate.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = join(HERE, '..');
const DIST = join(REPO, 'dist');

/** base, ours (hand edits) and theirs (an upstream change) of the port of `functions` generated functions. */
export async function mergeInputs(functions) {
  const { port } = await import(pathToFileURL(join(DIST, 'port', 'run.js')).href);
  const root = mkdtempSync(join(tmpdir(), 'port-db-merge-'));
  try {
    writeModuleTree(root, functions);
    const base = port({ roots: [root], verify: false, dryRun: true }).modules[0].files[0].content;
    const lines = base.split('\n');
    const at = (f) => {
      // a line with code on it near the fraction f of the module (edits on blank lines prove little)
      for (let i = Math.floor(lines.length * f); i < lines.length; i++) if (/\w/.test(lines[i]) && !lines[i].trim().startsWith('//')) return i;
      throw new Error('no line to edit');
    };
    const ours = [...lines];
    ours[at(1 / 3)] += ' // checked by hand';
    ours.splice(at(0.05), 0, '// port-db: hand edit: reviewed 2026-12-07');
    const theirs = [...lines];
    theirs[at(2 / 3)] = theirs[at(2 / 3)].replace(/\S/, (c) => `/* upstream */ ${c}`);
    return { base, ours: ours.join('\n'), theirs: theirs.join('\n'), lines: lines.length - 1 };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

async function one(functions, runs) {
  const { mergeThreeWay } = await import(pathToFileURL(join(DIST, 'port', 'merge.js')).href);
  const { diffHunks } = await import(pathToFileURL(join(DIST, 'report', 'diff.js')).href);
  const { base, ours, theirs, lines } = await mergeInputs(functions);
  const labels = { ours: 'ours', base: 'base', theirs: 'theirs' };
  const merge = [];
  const diff = [];
  let outcome;
  for (let r = 0; r < runs; r++) {
    let t = process.hrtime.bigint();
    outcome = mergeThreeWay(base, ours, theirs, labels);
    merge.push(Number(process.hrtime.bigint() - t) / 1e6);
    t = process.hrtime.bigint();
    diffHunks(base, theirs);
    diff.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  const kept = outcome.text.includes('// checked by hand') && outcome.text.includes('hand edit: reviewed') && outcome.text.includes('/* upstream */');
  process.stdout.write(JSON.stringify({ functions, lines, merge, diff, conflicts: outcome.conflicts.length, kept }) + '\n');
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function main() {
  if (!existsSync(join(DIST, 'port', 'merge.js'))) {
    process.stderr.write('bench/merge: dist/ is missing; run `npm run build` first\n');
    process.exit(2);
  }
  const sizes = (process.env.MERGE_FUNCTIONS ?? '104,237,433,1945').split(',').map(Number);
  const runs = Number(process.env.MERGE_RUNS ?? 3);
  const timeout = Number(process.env.MERGE_TIMEOUT_S ?? 120);
  const out = [`three-way merge of a hand-edited port, ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC (median of ${runs} runs; stopped after ${timeout} s)`, ''];
  out.push('| functions | port lines | merge s | min–max s | diff s (dry run) | merge / diff | conflicts | hand edits and upstream change kept |');
  out.push('| ---: | ---: | ---: | --- | ---: | ---: | ---: | --- |');
  for (const n of sizes) {
    process.stderr.write(`bench/merge: ${n} functions\n`);
    const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--one', String(n), String(runs)], { encoding: 'utf8', timeout: timeout * 1000 });
    if (r.error || r.status !== 0) {
      const why = r.error?.code === 'ETIMEDOUT' ? `> ${timeout} (stopped)` : `failed: ${r.stderr.trim().split('\n').pop()}`;
      out.push(`| ${n} | | ${why} | | | | | |`);
      continue;
    }
    const x = JSON.parse(r.stdout.trim().split('\n').pop());
    const s = (ms) => (ms / 1000).toFixed(3);
    out.push(`| ${n} | ${x.lines.toLocaleString('en-US')} | ${s(median(x.merge))} | ${s(Math.min(...x.merge))}–${s(Math.max(...x.merge))} | ${s(median(x.diff))} | ${(median(x.merge) / median(x.diff)).toFixed(2)} | ${x.conflicts} | ${x.kept ? 'yes' : '**no**'} |`);
  }
  process.stdout.write(out.join('\n') + '\n');
}

if (process.argv[2] === '--one') await one(Number(process.argv[3]), Number(process.argv[4]));
else if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
