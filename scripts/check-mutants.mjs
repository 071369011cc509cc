#!/usr/bin/env node
// Checks a Stryker run's surviving mutants again, one at a time, without a whole new run: each is
// written into the current source (found by its text, so lines may have moved since the run), the
// tests named by -t run under vitest.mutation.config.ts, and the source is restored.
//
//   node scripts/check-mutants.mjs <file> -t "<vitest -t filter>" [--report reports/mutation/mutation.json]
//        [--ids 12,40,41] [--status Survived,NoCoverage,Timeout]
//
// Prints one line per mutant: killed (with the number of failing tests), survived, or moved (its
// text is no longer in the file). Run it where the source is committed: it restores the file as it
// was read, also on Ctrl-C. docs/MUTATION.md says when to use it.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    t: { type: 'string' },
    report: { type: 'string', default: 'reports/mutation/mutation.json' },
    ids: { type: 'string' },
    status: { type: 'string', default: 'Survived,NoCoverage,Timeout' },
  },
});
const [file] = positionals;
if (!file || !values.t) {
  console.error('usage: node scripts/check-mutants.mjs <file> -t "<vitest -t filter>" [--report F] [--ids 1,2] [--status Survived,NoCoverage,Timeout]');
  process.exit(2);
}
const run = JSON.parse(readFileSync(values.report, 'utf8')).files[file];
if (!run) {
  console.error(`${values.report}: no mutants of ${file} (mutate it in a Stryker run first)`);
  process.exit(2);
}
const ids = values.ids ? new Set(values.ids.split(',')) : undefined;
const statuses = new Set(values.status.split(','));
const mutants = run.mutants.filter((m) => (ids ? ids.has(m.id) : statuses.has(m.status)));

const original = readFileSync(file, 'utf8');
const restore = () => writeFileSync(file, original);
process.on('SIGINT', () => {
  restore();
  process.exit(130);
});

const lines = run.source.split('\n');
const offset = (p) => lines.slice(0, p.line - 1).reduce((n, l) => n + l.length + 1, 0) + p.column - 1;

/** The mutated file, or undefined when the mutant's line (up to its end) is no longer in the source. */
function mutate(m) {
  const start = offset(m.location.start);
  const end = offset(m.location.end);
  const lineStart = start - (m.location.start.column - 1);
  const key = run.source.slice(lineStart, end);
  let at = -1;
  for (let i = original.indexOf(key); i >= 0; i = original.indexOf(key, i + 1)) {
    if (at < 0 || Math.abs(i - lineStart) < Math.abs(at - lineStart)) at = i;
  }
  if (at < 0) return undefined;
  return original.slice(0, at + (start - lineStart)) + m.replacement + original.slice(at + key.length);
}

let killed = 0;
try {
  for (const m of mutants) {
    const text = mutate(m);
    const label = `#${m.id} L${m.location.start.line} ${m.mutatorName} (${m.status})`;
    if (text === undefined) {
      console.log(`${label}: moved`);
      continue;
    }
    writeFileSync(file, text);
    let out = '';
    let ok = true;
    try {
      out = execFileSync('npx', ['vitest', 'run', '-c', 'vitest.mutation.config.ts', '-t', values.t], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (e) {
      ok = false;
      out = `${e.stdout ?? ''}${e.stderr ?? ''}`;
    } finally {
      restore();
    }
    const failed = /(\d+) failed/.exec(out.replace(/\x1b\[[0-9;]*m/g, ''));
    if (!ok) killed++;
    console.log(`${label}: ${ok ? 'survived' : `killed${failed ? ` (${failed[1]} failed)` : ''}`}`);
  }
} finally {
  restore();
}
console.log(`${killed} of ${mutants.length} killed`);
