#!/usr/bin/env node
// The port-db benchmark (`npm run bench`): whole processes on generated Nova-style inputs,
// against the floor (TypeScript's createSourceFile + printer over the same files, in a fresh
// process). Prints a Markdown table: median of N runs, min–max, CPU time (the process and the
// processes it waited for: verify's native compiler), peak RSS, ratio to the floor and growth
// from one size to the next (each size is 4x the previous one). Never a test.
//
// The inputs take the paths users take: a strict tsconfig.json (the generated modules have type
// errors of their own, outside manual code), and a tree of modules in one project.
//
// Inputs are generated (bench/generate.mjs) into a temporary folder, never into the repo.
// Runs bin/port-db, i.e. dist/: run `npm run build` first.
//
// Environment:
//   BENCH_QUICK=1       sizes 250 and 1,000 functions, a tree of 20 modules, 3 runs
//   BENCH_RUNS=N        runs per measurement (default 5)
//   BENCH_HEAVY_RUNS=N  runs for inputs of 50,000 lines or more (default BENCH_RUNS)
//   BENCH_SIZES=a,b,c   functions per single module (default 250,1000,4000)
//   BENCH_TREE=M        modules in the tree, one project (default 40; 0 skips it)
//   BENCH_KEEP=1        keep the generated inputs (the folder is printed)
//   BENCH_PRETTIER=1    give every input the samples' .prettierrc.json: the ports are formatted
//                       with it (without it no config applies and nothing is formatted)
//   BENCH_EQUIV=0       skip the `port-db equiv` rows (the bundled samples' scenarios)
//
// Each single module also has a `merge` row: port, edit the port by hand, change the SQL module,
// then time the port that three-way merges them (issue 18). `npm run bench:merge` times the merge
// alone at the sizes the issue measured.

import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, freemem, loadavg, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeModuleTree, writeMultiTree } from './generate.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = join(HERE, '..');
const BIN = join(REPO, 'bin', 'port-db');
const HOOK = join(HERE, 'rss-hook.cjs');
const FLOOR = join(HERE, 'floor.mjs');

const QUICK = process.env.BENCH_QUICK === '1';
const RUNS = Number(process.env.BENCH_RUNS ?? (QUICK ? 3 : 5));
const HEAVY_RUNS = Number(process.env.BENCH_HEAVY_RUNS ?? RUNS);
const runsFor = (input) => (input.lines >= 50_000 ? HEAVY_RUNS : RUNS);
const SIZES = (process.env.BENCH_SIZES ?? (QUICK ? '250,1000' : '250,1000,4000')).split(',').map(Number);
const TREE_MODULES = Number(process.env.BENCH_TREE ?? (QUICK ? 20 : 40));
const TREE_FUNCTIONS = 25;
const PRETTIER = process.env.BENCH_PRETTIER === '1';
/** The goal size: `port` of a 10,000-line module (about 420 generated functions). */
const GOAL_FUNCTIONS = 420;

if (!existsSync(join(REPO, 'dist', 'cli.js'))) {
  process.stderr.write('bench: dist/ is missing; run `npm run build` first\n');
  process.exit(2);
}

const work = mkdtempSync(join(tmpdir(), 'port-db-bench-'));
const rssDir = join(work, 'rss');
mkdirSync(rssDir);

/**
 * CPU time (ms) of the children this process has waited for, and theirs (Linux: /proc, in clock
 * ticks of 10 ms): what a run cost with the native compiler it started. NaN elsewhere.
 */
function childrenCpu() {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[13]) + Number(fields[14])) * 10;
  } catch {
    return NaN;
  }
}

/**
 * Runs `node -r rss-hook <args>` once: wall time (ms), CPU time (ms; with the processes it
 * started, when known), peak RSS of the node process (MiB), exit code, stderr tail.
 */
function runOnce(args, env = {}) {
  return new Promise((resolve) => {
    const t0 = process.hrtime.bigint();
    const cpu0 = childrenCpu();
    const child = spawn(process.execPath, ['-r', HOOK, ...args], {
      cwd: REPO,
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, BENCH_RSS_DIR: rssDir, NO_COLOR: '1', FORCE_COLOR: '0', ...env },
    });
    let err = '';
    child.stderr.on('data', (d) => (err = (err + d).slice(-4000)));
    child.on('close', (code) => {
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      const file = join(rssDir, String(child.pid));
      const [rssKiB, cpuUs] = existsSync(file) ? readFileSync(file, 'utf8').split(' ').map(Number) : [NaN, NaN];
      rmSync(file, { force: true });
      const all = childrenCpu() - cpu0;
      resolve({ ms, cpu: Number.isFinite(all) ? all : cpuUs / 1000, rss: rssKiB / 1024, code, err });
    });
  });
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** What this build of port-db offers (the benchmark adapts: rows for what exists). */
function features() {
  const help = (args) => spawnSync(process.execPath, [BIN, ...args], { cwd: REPO, encoding: 'utf8' }).stdout ?? '';
  const top = help(['--help']);
  const port = help(['port', '--help']);
  return { noVerify: port.includes('--no-verify'), checkers: port.includes('--verify <checker>'), check: /^\s+check\b/m.test(top) };
}

/** Removes the ports a previous run wrote (every `discovery` folder), so each run ports afresh. */
function removeOutputs(root) {
  const stack = [root];
  while (stack.length) {
    const dir = stack.pop();
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (!entry.isDirectory()) continue;
      const path = join(dir, entry.name);
      if (entry.name === 'discovery') rmSync(path, { recursive: true, force: true });
      else stack.push(path);
    }
  }
}

/** The commands timed on one input, in the order they run within a round. */
function commandsFor(input, feat) {
  const cmds = [{ id: 'floor', label: 'floor: createSourceFile + printer', args: [FLOOR, ...input.files] }];
  // the dry run prints the diff; without the verify step when it can be skipped, to show the diff's share
  const dry = feat.noVerify ? ['--dry-run', '--no-verify'] : ['--dry-run'];
  cmds.push({ id: 'dry', label: `port ${dry.join(' ')} (diff)`, args: [BIN, 'port', input.root, ...dry], before: () => removeOutputs(input.root) });
  cmds.push({ id: 'port', label: feat.checkers ? 'port (verify, native tsc)' : feat.noVerify ? 'port (verify)' : 'port', args: [BIN, 'port', input.root], before: () => removeOutputs(input.root) });
  if (feat.checkers) cmds.push({ id: 'js', label: 'port --verify=js', args: [BIN, 'port', input.root, '--verify=js'], before: () => removeOutputs(input.root) });
  if (feat.noVerify) cmds.push({ id: 'noverify', label: 'port --no-verify', args: [BIN, 'port', input.root, '--no-verify'], before: () => removeOutputs(input.root) });
  // a hand edit of the port plus an upstream change: the port merges them (three-way merge)
  if (feat.noVerify && input.files.length === 1) {
    const source = input.files[0];
    const port = join(dirname(dirname(source)), 'discovery', 'api.ts');
    let original;
    cmds.push({
      id: 'merge',
      label: 'port --no-verify after a hand edit + an upstream change (merge)',
      args: [BIN, 'port', input.root, '--no-verify'],
      before: () => {
        removeOutputs(input.root);
        const first = spawnSync(process.execPath, [BIN, 'port', input.root, '--no-verify'], { encoding: 'utf8' });
        if (first.status !== 0) throw new Error(`bench: the port before the merge exited ${first.status}:\n${first.stderr}`);
        writeFileSync(port, `// reviewed by hand\n${readFileSync(port, 'utf8')}`);
        original = readFileSync(source, 'utf8');
        writeFileSync(source, `${original}\nexport function bench_upstream_change(): number {\n  return 1;\n}\n`);
      },
      after: () => writeFileSync(source, original),
    });
  }
  // after a port: the tree holds the SQL modules and their ports, as in a migration
  if (feat.check) cmds.push({ id: 'check', label: 'check', args: [BIN, 'check', input.root] });
  return cmds;
}

/** Runs every command of an input RUNS times, round-robin (drifting load hits all alike). */
async function measure(input, feat) {
  const cmds = commandsFor(input, feat);
  const samples = new Map(cmds.map((c) => [c.id, []]));
  for (let r = 0; r < runsFor(input); r++) {
    for (const c of cmds) {
      c.before?.();
      const s = await runOnce(c.args);
      c.after?.();
      if (s.code !== 0 && !(c.id === 'check' && s.code === 1)) {
        process.stderr.write(`bench: ${c.label} on ${input.name} exited ${s.code}:\n${s.err}\n`);
        s.failed = true;
      }
      samples.get(c.id).push(s);
      process.stderr.write('.');
    }
  }
  const rows = cmds.map((c) => {
    const ss = samples.get(c.id);
    const ms = ss.map((s) => s.ms);
    const cpu = median(ss.map((s) => s.cpu));
    return { id: c.id, label: c.label, median: median(ms), min: Math.min(...ms), max: Math.max(...ms), cpu, rss: Math.max(...ss.map((s) => s.rss)), failed: ss.some((s) => s.failed) };
  });
  const floor = rows[0].median;
  const floorCpu = rows[0].cpu;
  for (const row of rows) {
    row.ratio = row.median / floor;
    row.cpuRatio = row.cpu / floorCpu;
  }
  return rows;
}

/** The native tsc binary port-db runs (as src/verify/native.ts finds it). */
function nativeTsc() {
  const fromNative = createRequire(createRequire(join(REPO, 'package.json')).resolve('typescript-native/package.json'));
  return join(dirname(fromNative.resolve(`@typescript/typescript-${process.platform}-${process.arch}/package.json`)), 'lib', 'tsc');
}

/** One `port` of the input with tsc wrapped by /usr/bin/time: its runs and their cost, and the ports' verdicts. */
async function probe(input) {
  const log = join(work, 'tsc-calls');
  const wrapper = join(work, 'tsc-wrapper.sh');
  const timed = existsSync('/usr/bin/time') ? `/usr/bin/time -a -o ${JSON.stringify(log)} -f '%M %e %U %S' ` : `echo 0 0 0 0 >> ${JSON.stringify(log)}; `;
  writeFileSync(wrapper, `#!/bin/sh\n${timed}${JSON.stringify(nativeTsc())} "$@"\n`);
  chmodSync(wrapper, 0o755);
  rmSync(log, { force: true });
  removeOutputs(input.root);
  await runOnce([BIN, 'port', input.root], { PORT_DB_NATIVE_TSC: wrapper });
  const calls = existsSync(log)
    ? readFileSync(log, 'utf8').trim().split('\n').filter((l) => /^\d/.test(l)).map((l) => {
        const [rss, wall, user, sys] = l.split(' ').map(Number);
        return { rss: rss / 1024, wall, cpu: user + sys };
      })
    : [];
  const verdict = { diagnostics: 0, items: 0, manual: 0, fresh: 0 };
  for (const file of input.files) {
    const report = JSON.parse(readFileSync(join(dirname(dirname(file)), 'discovery', 'port-report.json'), 'utf8'));
    for (const v of [report.verify, report.models?.verify].filter(Boolean)) {
      verdict.diagnostics += v.diagnostics;
      verdict.items += v.items.length;
      verdict.manual += v.manualDiagnostics;
      verdict.fresh += v.newDiagnostics;
    }
  }
  return { input, calls, verdict };
}

const fmtS = (ms) => (ms / 1000).toFixed(2);
const fmtInt = (n) => n.toLocaleString('en-US');

async function main() {
  const feat = features();
  const started = new Date();
  const load0 = loadavg()[0];
  process.stderr.write(`bench: inputs in ${work}; ${RUNS} runs each${QUICK ? ' (quick)' : ''}${PRETTIER ? '; ports formatted with the samples\' .prettierrc.json' : ''}\n`);

  const inputs = [];
  for (const n of SIZES) {
    const root = join(work, `module-${n}`);
    const { path, lines } = writeModuleTree(root, n);
    inputs.push({ name: `${fmtInt(n)} functions`, root, files: [path], lines, series: true });
  }
  if (!QUICK && !process.env.BENCH_SIZES) {
    const root = join(work, `module-${GOAL_FUNCTIONS}`);
    const { path, lines } = writeModuleTree(root, GOAL_FUNCTIONS);
    inputs.splice(1, 0, { name: `${fmtInt(GOAL_FUNCTIONS)} functions (goal size)`, root, files: [path], lines, series: false });
  }
  if (TREE_MODULES > 0) {
    const root = join(work, `tree-${TREE_MODULES}`);
    const { paths, lines } = writeMultiTree(root, TREE_MODULES, TREE_FUNCTIONS);
    inputs.push({ name: `tree: ${TREE_MODULES} modules × ${TREE_FUNCTIONS} functions`, root, files: paths, lines, series: false });
  }

  if (PRETTIER) for (const input of inputs) copyFileSync(join(REPO, 'fixtures', 'nova', '.prettierrc.json'), join(input.root, '.prettierrc.json'));

  const startup = [];
  for (const flag of ['--help', '--version']) {
    const ss = [];
    for (let r = 0; r < RUNS; r++) ss.push(await runOnce([BIN, flag]));
    const ms = ss.map((s) => s.ms);
    startup.push({ label: `port-db ${flag}`, median: median(ms), min: Math.min(...ms), max: Math.max(...ms), cpu: median(ss.map((s) => s.cpu)), rss: Math.max(...ss.map((s) => s.rss)) });
  }

  const results = [];
  for (const input of inputs) {
    process.stderr.write(`bench: ${input.name} (${fmtInt(input.lines)} lines) `);
    results.push({ input, rows: await measure(input, feat) });
    process.stderr.write('\n');
  }

  // one instrumented port of the goal size and of the tree: how often verify runs the native
  // compiler (the tree in one program), what tsc alone costs, and what verify found
  const probes = [];
  if (feat.checkers) {
    for (const input of inputs) probes.push(await probe(input));
  }

  // growth: each size of the series against the previous one, command by command
  const series = results.filter((r) => r.input.series);
  for (let k = 1; k < series.length; k++) {
    for (const row of series[k].rows) {
      const prev = series[k - 1].rows.find((p) => p.id === row.id);
      if (prev) row.growth = `×${(row.median / prev.median).toFixed(2)} (CPU ×${(row.cpu / prev.cpu).toFixed(2)}; input ×${(series[k].input.lines / series[k - 1].input.lines).toFixed(2)})`;
    }
  }

  // port-db equiv on the bundled samples: every scenario on both sides (three workers), as CI runs it
  const equivRows = [];
  if (existsSync(join(REPO, 'dist', 'equiv', 'run.js')) && process.env.BENCH_EQUIV !== '0') {
    for (const sample of ['nova', 'glance', 'cinder', 'manila']) {
      const root = join(REPO, 'fixtures', sample);
      const scenarios = readdirSync(join(root, sample, 'db', 'equiv')).filter((f) => f.endsWith('.equiv.ts')).length;
      const runs = [];
      for (let i = 0; i < RUNS; i++) runs.push(await runOnce([BIN, 'equiv', `fixtures/${sample}`]));
      const ms = runs.map((r) => r.ms);
      equivRows.push({ sample, scenarios, median: median(ms), min: Math.min(...ms), max: Math.max(...ms), cpu: median(runs.map((r) => r.cpu)), rss: Math.max(...runs.map((r) => r.rss)), failed: runs.some((r) => r.code !== 0) });
    }
  }

  const out = [];
  const cpu = cpus();
  out.push(`port-db benchmark, ${started.toISOString().slice(0, 16).replace('T', ' ')} UTC`);
  out.push('');
  out.push(
    `Machine: ${cpu.length} cores (${cpu[0]?.model?.trim() ?? 'unknown'}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB (${(freemem() / 2 ** 30).toFixed(0)} free), Node ${process.version}, ${process.platform}; ` +
      `load average ${load0.toFixed(2)} at start, ${loadavg()[0].toFixed(2)} at end. Runs per row in the table, round-robin over the commands of an input.`,
  );
  out.push(`Formatting: ${PRETTIER ? "every input has the samples' .prettierrc.json: the code port-db writes is formatted with prettier" : 'no prettier config in the inputs: nothing is formatted'}.`);
  out.push(`port-db features: --no-verify ${feat.noVerify ? 'yes' : 'n/a (no verify step yet: `port` has nothing to skip)'}; --verify=native|js ${feat.checkers ? 'yes' : 'n/a'}; check ${feat.check ? 'yes' : 'n/a'}.`);
  out.push('CPU s: the process and the processes it started (the native compiler); peak RSS: the node process alone (tsc\'s own is in the goals below).');
  out.push('');
  out.push('| input | lines | runs | command | median s | min–max s | CPU s | peak RSS MiB | × floor | × floor (CPU) | growth |');
  out.push('| --- | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |');
  for (const { input, rows } of results) {
    for (const [i, row] of rows.entries()) {
      const ratio = row.id === 'floor' ? '1.00' : row.ratio.toFixed(2);
      out.push(
        `| ${i === 0 ? input.name : ''} | ${i === 0 ? fmtInt(input.lines) : ''} | ${i === 0 ? runsFor(input) : ''} | ${row.label}${row.failed ? ' **(failed)**' : ''} | ${fmtS(row.median)} | ${fmtS(row.min)}–${fmtS(row.max)} | ${fmtS(row.cpu)} | ${row.rss.toFixed(0)} | ${ratio} | ${row.id === 'floor' ? '1.00' : row.cpuRatio.toFixed(2)} | ${row.growth ?? ''} |`,
      );
    }
    if (!feat.noVerify) out.push(`| | | | port --no-verify | n/a | | | | | | |`);
  }
  for (const s of startup) out.push(`| startup | | ${RUNS} | ${s.label} | ${fmtS(s.median)} | ${fmtS(s.min)}–${fmtS(s.max)} | ${fmtS(s.cpu)} | ${s.rss.toFixed(0)} | | | |`);

  if (equivRows.length) {
    out.push('');
    out.push('`port-db equiv` on the bundled samples (every scenario: the SQL module on sql.js twice, the port on the in-memory ROME; CPU includes the worker threads):');
    out.push('');
    out.push('| sample | scenario files | runs | wall (median) | wall (min–max) | CPU | peak RSS MiB |');
    out.push('| --- | ---: | ---: | ---: | --- | ---: | ---: |');
    for (const e of equivRows) out.push(`| ${e.sample}${e.failed ? ' **(exit ≠ 0)**' : ''} | ${e.scenarios} | ${RUNS} | ${fmtS(e.median)} | ${fmtS(e.min)}–${fmtS(e.max)} | ${fmtS(e.cpu)} | ${e.rss.toFixed(0)} |`);
  }

  // the goals of the issue, checked against this run
  out.push('');
  out.push('Goals:');
  // the goal size: the single module nearest 10,000 lines
  const goal = [...results].filter((r) => r.input.files.length === 1).sort((a, b) => Math.abs(a.input.lines - 10_000) - Math.abs(b.input.lines - 10_000))[0] ?? results[0];
  const row = (r, id) => r.rows.find((x) => x.id === id);
  const mark = (ok) => (ok ? 'met' : '**not met**');
  const fast = row(goal, feat.noVerify ? 'noverify' : 'port');
  out.push(`- port${feat.noVerify ? ' --no-verify' : ' (no verify step yet)'} of ${fmtInt(goal.input.lines)} lines ≤ 1.5× floor: ${fast.ratio.toFixed(2)}× (CPU ${fast.cpuRatio.toFixed(2)}×) — ${mark(fast.ratio <= 1.5)}`);
  if (feat.noVerify) out.push(`- port with verify of ${fmtInt(goal.input.lines)} lines ≤ 2.0× floor: ${row(goal, 'port').ratio.toFixed(2)}× (CPU ${row(goal, 'port').cpuRatio.toFixed(2)}×) — ${mark(row(goal, 'port').ratio <= 2)}`);
  for (const p of probes) {
    const v = p.verdict;
    out.push(
      `- verify of ${p.input.name}: ${p.calls.length} native tsc run(s) for ${p.input.files.length} module(s)` +
        (p.calls.length ? ` (tsc alone: ${p.calls.map((c) => `${c.wall.toFixed(2)} s wall, ${c.cpu.toFixed(2)} s CPU, ${c.rss.toFixed(0)} MiB peak RSS`).join('; ')})` : '') +
        `; ${v.diagnostics} diagnostics in the ports, ${v.diagnostics - v.items} also in the sources (not new), ${v.manual} manual, ${v.fresh} new` +
        (p.input.files.length > 1 ? ` — one program: ${mark(p.calls.length === 1)}` : ''),
    );
  }
  for (let k = 1; k < series.length; k++) {
    const limit = series[k].input.lines / series[k - 1].input.lines;
    const prevOf = (r) => series[k - 1].rows.find((p) => p.id === r.id);
    const bad = series[k].rows.filter((r) => r.median / prevOf(r).median > limit);
    const badCpu = series[k].rows.filter((r) => r.cpu / prevOf(r).cpu > limit);
    const list = (rs) => rs.map((r) => r.label).join(', ');
    out.push(
      `- linear, ${series[k - 1].input.name} → ${series[k].input.name}: ` +
        (bad.length ? `superlinear in wall time: ${list(bad)}` : 'no command grew faster than its input in wall time') +
        '; ' +
        (badCpu.length ? `in CPU time: ${list(badCpu)}` : 'in CPU time: none') +
        ` — ${mark(bad.length === 0)}`,
    );
  }
  for (const s of startup) out.push(`- ${s.label} < 150 ms: ${s.median.toFixed(0)} ms — ${mark(s.median < 150)}`);
  const merge = row(goal, 'merge');
  if (merge) {
    // the merge is a port plus two line diffs and the reading of the base: about a port's cost (issue 18)
    const ratio = merge.median / row(goal, 'noverify').median;
    out.push(`- port after a hand edit + an upstream change (three-way merge) of ${fmtInt(goal.input.lines)} lines ≤ 1.3× port --no-verify: ${ratio.toFixed(2)}× (${fmtS(merge.median)} s) — ${mark(ratio <= 1.3)}`);
  }
  out.push('- reference (from the issue, not re-measured): jscodeshift CLI, 2 workers, 2.6×–6.2× the floor on the same input.');

  process.stdout.write(out.join('\n') + '\n');
  if (process.env.BENCH_KEEP === '1') process.stderr.write(`bench: inputs kept in ${work}\n`);
  else rmSync(work, { recursive: true, force: true });
}

main().catch((e) => {
  process.stderr.write(`bench: ${e?.stack ?? e}\n`);
  rmSync(work, { recursive: true, force: true });
  process.exit(1);
});
