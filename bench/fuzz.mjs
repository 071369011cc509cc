#!/usr/bin/env node
// Fuzzing port-db (`npm run fuzz`): thousands of random mutations of the seed corpus (fuzz/corpus:
// deleted, duplicated, swapped and replaced tokens, lines, a few bytes) are ported in worker threads.
// Every run must end as the CLI would exit 0, 1 or 2 (bad input): never 3 (a bug), never a hang.
// Also checked: a port that succeeds parses (and, with FUZZ_VERIFY=1, its type check ran: a failure
// inside it is a bug); a fraction of runs port again over their own output
// (must change nothing) and after a hand edit (must keep it).
//
// Each failure is minimized (smaller input, same failure) and saved under fuzz/crashes/<id>/:
// api.ts (minimal), input.ts (the mutant), info.json (signature, stack, seed, case). Never a test;
// the quick, fixed-seed version runs in CI (test/safety/fuzz-quick.test.ts).
// Runs dist/: run `npm run build` first.
//
// Environment:
//   FUZZ_RUNS=N         mutants to run (default 2000)
//   FUZZ_SEED=S         seed (default: the time; printed, so a run can be repeated)
//   FUZZ_JOBS=J         worker threads (default: CPUs, at most 4)
//   FUZZ_TIMEOUT_MS=T   a case running longer is a hang (default 30000)
//   FUZZ_RERUN=P        fraction of runs that also port again and after a hand edit (default 0.2)
//   FUZZ_VERIFY=1       also type-check each port (slow)
//   FUZZ_MINIMIZE=0     save failures without minimizing them
//   FUZZ_REPLAY=DIR     run the api.ts of each DIR/*/ (e.g. fuzz/crashes) and print how each ends
//   FUZZ_LARGE=N        the first N runs mutate a generated module of FUZZ_LARGE_FUNCTIONS functions
//                       (default 433: about 10,000 lines, an 11,300-line port) with mutants that parse,
//                       and all take the rerun path: a hand edit plus an upstream change, the
//                       three-way merge at size (default 2)

import { loadCorpus } from '../fuzz/corpus.mjs';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { fuzzCase, tokens } from '../fuzz/mutate.mjs';
import { generateModule } from './generate.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = join(HERE, '..');
const DIST = join(REPO, 'dist');
const CRASHES = join(REPO, 'fuzz', 'crashes');
const WORKER = join(REPO, 'fuzz', 'worker.mjs');

const RUNS = Number(process.env.FUZZ_RUNS ?? 2000);
const SEED = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31);
const JOBS = Number(process.env.FUZZ_JOBS ?? Math.min(4, cpus().length));
const TIMEOUT = Number(process.env.FUZZ_TIMEOUT_MS ?? 30000);
const RERUN = Number(process.env.FUZZ_RERUN ?? 0.2);
const VERIFY = process.env.FUZZ_VERIFY === '1';
const MINIMIZE = process.env.FUZZ_MINIMIZE !== '0';
const REPLAY = process.env.FUZZ_REPLAY;
const LARGE = REPLAY ? 0 : Number(process.env.FUZZ_LARGE ?? 2);
const LARGE_FUNCTIONS = Number(process.env.FUZZ_LARGE_FUNCTIONS ?? 433);

if (!existsSync(join(DIST, 'port', 'run.js'))) {
  process.stderr.write('fuzz: dist/ is missing; run `npm run build` first\n');
  process.exit(2);
}
const newest = (dir) => readdirSync(dir, { recursive: true }).map((f) => join(dir, String(f))).filter((f) => f.endsWith('.ts') || f.endsWith('.js')).reduce((t, f) => Math.max(t, statSync(f).mtimeMs), 0);
if (newest(join(REPO, 'src')) > newest(DIST)) process.stderr.write('fuzz: warning: dist/ is older than src/; run `npm run build` to fuzz the current code\n');

const corpus = REPLAY ? replayCorpus(REPLAY) : loadCorpus(REPO);
// the large seed goes last, out of the weighted draw: only the first LARGE runs use it
const largeEntry = LARGE > 0 ? corpus.push({ name: `generated-${LARGE_FUNCTIONS}`, api: generateModule(LARGE_FUNCTIONS), models: corpus.find((e) => e.name === 'nova').models }) - 1 : -1;
const work = mkdtempSync(join(tmpdir(), 'port-db-fuzz-'));

function replayCorpus(dir) {
  const seeds = loadCorpus(REPO);
  const fallback = seeds.find((e) => e.name === 'nova').models;
  return readdirSync(dir)
    .filter((d) => existsSync(join(dir, d, 'api.ts')))
    .sort()
    .map((d) => {
      const info = existsSync(join(dir, d, 'info.json')) ? JSON.parse(readFileSync(join(dir, d, 'info.json'), 'utf8')) : {};
      const models = seeds.find((e) => e.name === info.corpus)?.models ?? fallback;
      return { name: d, bytes: readFileSync(join(dir, d, 'api.ts')), models, api: '' };
    });
}

let workerCount = 0;
/** A worker with a promise-based call; `kill` for hangs. */
function startWorker() {
  const root = join(work, `w${workerCount++}`);
  mkdirSync(root);
  const w = new Worker(WORKER, { workerData: { dist: DIST, corpus: corpus.map(({ api, models }) => ({ api, models })), seed: SEED, verify: VERIFY, rerun: RERUN, root } });
  let waiting;
  const ready = new Promise((res) => (waiting = res));
  w.on('message', (m) => waiting?.(m));
  w.on('error', (e) => waiting?.({ type: 'result', code: 3, stack: e.stack, signature: `worker error: ${e.message}` }));
  return {
    ready,
    call(msg) {
      return new Promise((res) => {
        const timer = setTimeout(() => res({ code: 'hang', signature: 'hang' }), TIMEOUT);
        waiting = (m) => {
          clearTimeout(timer);
          res(m);
        };
        w.postMessage(msg);
      });
    },
    kill: () => w.terminate(),
  };
}

const hist = { 0: 0, 1: 0, 2: 0, 3: 0, hang: 0 };
const problems = { 'bad-output': 0, 'not-idempotent': 0, 'hand-edit-lost': 0, 'verify-failed': 0 };
const failures = new Map(); // signature → first failing case
let largeMerged = 0;

async function main() {
  const t0 = Date.now();
  let pool = await Promise.all(Array.from({ length: Math.max(1, JOBS) }, async () => {
    const w = startWorker();
    await w.ready;
    return w;
  }));
  const total = REPLAY ? corpus.length : RUNS;
  let next = 0;
  let done = 0;
  let lastPrint = 0;
  const weights = corpus.map((e, k) => (k === largeEntry ? 0 : 1 / Math.sqrt(1 + e.api.length / 2000))); // small modules run faster: more of them
  const sum = weights.reduce((a, b) => a + b, 0);
  const entryOf = (i) => {
    let x = ((Math.imul(i + 1, 0x9e3779b1) ^ SEED) >>> 0) / 2 ** 32 * sum;
    for (let k = 0; k < weights.length; k++) if ((x -= weights[k]) < 0) return k;
    return weights.length - 1;
  };
  async function lane(slot) {
    while (next < total) {
      const index = next++;
      const large = index < LARGE;
      const entry = REPLAY ? index : large ? largeEntry : entryOf(index);
      const msg = REPLAY ? { type: 'try', entry, bytes: corpus[index].bytes, rerun: false } : { type: 'case', index, entry, large };
      let r = await pool[slot].call(msg);
      if (r.code === 'hang') {
        await pool[slot].kill();
        pool[slot] = startWorker();
        await pool[slot].ready;
        r = { ...r, bytes: REPLAY ? corpus[index].bytes : undefined };
      }
      done++;
      hist[r.code] = (hist[r.code] ?? 0) + 1;
      if (!REPLAY && index < LARGE && r.merged) largeMerged++;
      if (REPLAY) {
        const what = r.problem ? `  ${r.problem.kind}: ${r.problem.signature}` : r.signature ? `  ${r.signature}` : r.message ? `  ${r.message}` : '';
        process.stdout.write(`${corpus[index].name}: exit ${r.code}${what}\n`);
        if (r.code === 3 || r.code === 'hang' || r.problem) failures.set(corpus[index].name, { signature: r.problem?.signature ?? r.signature, count: 1, dir: join(relative(REPO, REPLAY), corpus[index].name) });
      }
      else if (r.code === 3 || r.code === 'hang' || r.problem) await record(index, entry, r, slot);
      if (r.problem) problems[r.problem.kind]++;
      if (!REPLAY && Date.now() - lastPrint > 5000) {
        lastPrint = Date.now();
        process.stderr.write(`fuzz: ${done}/${total} (${((done / (Date.now() - t0)) * 1000).toFixed(1)}/s) ${JSON.stringify(hist)}\n`);
      }
    }
  }
  /** Minimizes and saves a failure once per signature. */
  async function record(index, entry, r, slot) {
    const signature = r.problem?.signature ?? r.signature;
    if (failures.has(signature)) return failures.get(signature).count++;
    const failure = { signature, count: 1, index, entry, code: r.code, problem: r.problem?.kind, stack: r.stack, mutations: r.mutations };
    failures.set(signature, failure);
    // a hang returns nothing: the mutant is rebuilt from the seed and the case, as the worker built it
    const bytes = r.bytes ? Buffer.from(r.bytes) : fuzzCase(corpus[entry].api, SEED, index, RERUN, index < LARGE).bytes;
    let minimal = bytes;
    // the large seed's failures are saved as they are: minimizing 10,000 lines takes hours
    if (MINIMIZE && r.code !== 'hang' && index >= LARGE) minimal = await minimize(bytes, entry, signature, !!r.problem, slot);
    save(failure, bytes, minimal);
  }
  async function minimize(bytes, entry, signature, rerun, slot) {
    const same = async (b) => {
      const r = await pool[slot].call({ type: 'try', entry, bytes: b, rerun });
      if (r.code === 'hang') {
        await pool[slot].kill();
        pool[slot] = startWorker();
        await pool[slot].ready;
        return false;
      }
      return (r.problem?.signature ?? r.signature) === signature;
    };
    let text = bytes.toString('latin1');
    let budget = 400;
    // lines, then tokens: drop chunks (halving) as long as the failure stays the same
    for (const unit of ['line', 'token']) {
      const split = (t) => (unit === 'line' ? t.split(/(?<=\n)/) : splitTokens(t));
      let parts = split(text);
      for (let size = Math.max(1, Math.floor(parts.length / 2)); size >= 1 && budget > 0; size = Math.floor(size / 2)) {
        for (let i = 0; i < parts.length && budget > 0; ) {
          const candidate = [...parts.slice(0, i), ...parts.slice(i + size)];
          budget--;
          if (candidate.length && (await same(Buffer.from(candidate.join(''), 'latin1')))) parts = candidate;
          else i += size;
        }
      }
      text = parts.join('');
    }
    return Buffer.from(text, 'latin1');
  }
  function save(failure, input, minimal) {
    const id = createHash('sha256').update(failure.signature).digest('hex').slice(0, 10);
    const dir = join(CRASHES, `${failure.problem ?? (failure.code === 'hang' ? 'hang' : 'crash')}-${id}`);
    // a failure already saved by an earlier run keeps its smallest input
    if (existsSync(join(dir, 'api.ts')) && statSync(join(dir, 'api.ts')).size <= minimal.length) {
      failure.dir = relative(REPO, dir);
      return;
    }
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'api.ts'), minimal);
    writeFileSync(join(dir, 'input.ts'), input);
    const info = { signature: failure.signature, exit: failure.code, problem: failure.problem, corpus: corpus[failure.entry].name, seed: SEED, case: failure.index, mutations: failure.mutations, stack: failure.stack };
    writeFileSync(join(dir, 'info.json'), JSON.stringify(info, null, 2) + '\n');
    failure.dir = relative(REPO, dir);
  }
  await Promise.all(pool.map((_, slot) => lane(slot)));
  await Promise.all(pool.map((w) => w.kill()));
  rmSync(work, { recursive: true, force: true });
  const secs = (Date.now() - t0) / 1000;
  process.stdout.write(`fuzz: ${done} runs in ${secs.toFixed(1)} s (${(done / secs).toFixed(1)}/s), seed ${SEED}, ${JOBS} workers, corpus ${corpus.length} modules${VERIFY ? ', with verify' : ''}\n`);
  process.stdout.write(`exit codes: ${Object.entries(hist).map(([k, v]) => `${k}: ${v}`).join(' · ')}\n`);
  if (LARGE > 0) process.stdout.write(`large seed (${fmtLines(corpus[largeEntry].api)} lines): ${Math.min(LARGE, total)} runs, ${largeMerged} through the three-way merge of a hand edit and an upstream change\n`);
  process.stdout.write(`other failures: ${Object.entries(problems).map(([k, v]) => `${k} ${v}`).join(' · ')}\n`);
  for (const f of failures.values()) process.stdout.write(`  ${f.dir ?? '(not saved)'}  ×${f.count}  ${f.signature}\n`);
  process.exitCode = failures.size > 0 ? 1 : 0;
}

const fmtLines = (text) => (text.split('\n').length - 1).toLocaleString('en-US');

/** Tokens with the text between them attached (so joining gives the text back). */
function splitTokens(text) {
  const toks = tokens(text);
  const parts = [];
  let at = 0;
  for (const t of toks) {
    parts.push(text.slice(at, t.end));
    at = t.end;
  }
  if (at < text.length) parts.push(text.slice(at));
  return parts;
}

await main();
