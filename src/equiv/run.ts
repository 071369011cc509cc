// `port-db equiv`: every scenario of every ported module, run on both sides and compared
// (EQUIV.md). Three workers live for the whole run: the SQL module on the reference, the same
// with SQLite's unordered scans reversed (to see what depends on an order SQL does not promise),
// and the port on the in-memory ROME (or, with `rome`, on a real Redis store). Each scenario gets
// a fresh module graph in each of them.
// Nothing is written: the result is returned for the CLI and `port --equiv` to report.
import { randomBytes } from 'node:crypto';
import type { Progress } from '../tty.js';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { ConfigError, UsageError } from '../errors.js';
import type { Coverage, EquivalenceResult, ModuleEquivalence, ScenarioResult, Verdict } from '../report/equivalence-model.js';
import { findConfig, readConfig } from '../rules.js';
import { toPosix } from '../analyzer/specifiers.js';
import { findSqlModules } from '../tree.js';
import { scenarioTypeErrors } from '../verify/scenarios.js';
import { fileURLToPath } from 'node:url';
import { writeSkeletons } from './init.js';
import { BadScenario, SideWorker } from './load/pool.js';
import type { ScenarioInfo } from './load/scenario-worker.js';
import { DEFAULT_CONCURRENCY, DEFAULT_REPEAT, type ConcurrencyOptions } from './concurrency/options.js';
import { concurrentVerdictOf } from './concurrency/oracle.js';
import { enabledRules, RULES, type RuleSwitches } from './normalise.js';
import { verdictOf } from './verdict.js';
import type { SideRuns } from './outcome.js';

export interface EquivOptions {
  roots: string[];
  /** Only the scenarios whose name contains this text. */
  only?: string;
  /** Per scenario and side; past it the code is taken to await something that never comes. */
  timeoutMs?: number;
  /** Normaliser switches (config `equiv.normalise` merged with these). */
  normalise?: RuleSwitches;
  /**
   * `source`: the SQL module against itself (the port's place taken by the SQL module on a second
   * reference). Every scenario must come out equivalent: it checks the reference, the normaliser
   * and that the scenarios are deterministic (EQUIV.md §6).
   */
  against?: 'port' | 'source';
  /** The reference's string collation: `ci` (MySQL's default, case-insensitive; the default) or `binary`. */
  collation?: 'ci' | 'binary';
  /** How concurrent groups are explored (defaults: DEFAULT_CONCURRENCY). */
  concurrency?: Partial<Pick<ConcurrencyOptions, 'preemptions' | 'schedules' | 'seed' | 'latencyMs' | 'replay' | 'teeth'>>;
  cwd?: string;
  /** Type-check the scenarios first (default true): one that does not type-check is bad input. */
  typecheck?: boolean;
  /**
   * `redis://host:port` or `redis+cluster://host:port,…`: the port runs on that store, each scenario
   * under a key prefix of its own (`port-db-equiv:<run>:…`, removed afterwards); concurrent groups
   * run from one process per call, `repeat` times (default 10).
   */
  rome?: string;
  repeat?: number;
  /** Told what the run is doing, once per scenario (the CLI shows it on a terminal). */
  progress?: Progress;
}

export const NOTE =
  'Each verdict says the two sides agreed on these calls from this seed, not that they agree everywhere. ' +
  'A concurrent group was run in every serial order on SQL and in the schedules counted on ROME (every one up to the preemptions shown when exhaustive), each task on its own node; other interleavings were not run.';

/** The note of a run on a real store (`--rome`): its concurrent groups were run, not explored. */
export const NOTE_REAL =
  'Each verdict says the two sides agreed on these calls from this seed, not that they agree everywhere. ' +
  'The port ran on a real store. A concurrent group was run in every serial order on SQL and, on the store, as many times as counted, each call from a process of its own, released at once: the interleavings the machine happened to give, not every one.';


interface Module {
  root: string;
  rootArg: string;
  source: string;
  port: string;
  models: { sql: string; rome: string };
  scenarios: string[];
  report?: string;
  /** Functions of the port with manual items, and their reasons (from port-report.json). */
  manual: Map<string, string[]>;
}

export async function equiv(options: EquivOptions): Promise<EquivalenceResult> {
  const cwd = options.cwd ?? process.cwd();
  const self = options.against === 'source';
  const modules = options.roots.flatMap((root) => findModules(root, cwd, self));
  if (modules.length === 0) throw new UsageError(`no db/sqlalchemy/api.ts under ${options.roots.join(', ')}`, 'pass the folder of a service (its db/sqlalchemy/api.ts is searched below it)');
  const switches = { ...configSwitches(options.roots, cwd), ...options.normalise };
  const rules = enabledRules(switches);
  const timeoutMs = options.timeoutMs ?? 30_000;
  const collation = options.collation ?? 'ci';
  const concurrency: ConcurrencyOptions = { ...DEFAULT_CONCURRENCY, ...options.concurrency };
  if (concurrency.replay !== undefined && options.only === undefined) throw new UsageError('--replay runs one schedule of one scenario', 'add --only NAME (the replay command of a divergence has both)');
  if (options.repeat !== undefined && options.rome === undefined) throw new UsageError('--repeat counts the runs on a real store', 'add --rome redis://host:port (in memory, --schedules bounds the schedules)');
  if (options.repeat !== undefined && !(Number.isInteger(options.repeat) && options.repeat >= 1)) throw new UsageError(`--repeat must be a whole number ≥ 1, not '${options.repeat}'`);
  if (options.rome !== undefined && concurrency.replay !== undefined) throw new UsageError('--replay runs a schedule of the in-memory ROME: a run on a real store cannot be replayed', 'drop --rome to replay it in memory');
  if (options.rome !== undefined && self) throw new UsageError('--self-check runs the SQL module against itself: there is no ROME side to run on --rome', 'drop one of them');
  const real = options.rome !== undefined ? await realStore(options.rome) : undefined;
  const workers = {
    sql: new SideWorker({ side: 'sql', collation }, timeoutMs),
    reversed: new SideWorker({ side: 'sql', reverse: true, collation }, timeoutMs),
    rome: new SideWorker({ side: self ? 'sql' : 'rome', collation, ...(real ? { rome: { url: real.url, prefix: real.prefix }, repeat: options.repeat ?? DEFAULT_REPEAT } : {}) }, timeoutMs),
  };
  try {
    const results: ModuleEquivalence[] = [];
    let matched = 0;
    if (options.typecheck !== false) {
      options.progress?.('port-db: type-checking the scenarios');
      typecheck(modules, cwd);
    }
    for (const found of modules) {
      const module = self ? { ...found, port: found.source, models: { sql: found.models.sql, rome: found.models.sql } } : found;
      const scenarios: ScenarioResult[] = [];
      for (const file of module.scenarios) {
        const infos = await listed(workers.sql, file, module);
        for (const [index, info] of infos.entries()) {
          if (options.only !== undefined && !info.name.includes(options.only)) continue;
          matched++;
          options.progress?.(`port-db: scenario ${info.name} (${toPosix(relative(cwd, file))}, ${index + 1}/${infos.length})`);
          scenarios.push(await runScenario(module, file, index, info, workers, rules, concurrency, real?.url));
        }
      }
      const result = summarise(module, scenarios);
      if (options.only !== undefined) result.coverage = { ...result.coverage, missing: [], skippedOnly: [], partial: true };
      results.push(result);
    }
    if (options.only !== undefined && matched === 0) throw new UsageError(`no scenario's name contains '${options.only}'`, 'run without --only to see every scenario');
    return { modules: results, sqlCollation: collation, normalisation: RULES.map((r) => ({ ...r, enabled: rules.has(r.name) })), note: real ? NOTE_REAL : NOTE };
  } finally {
    await Promise.all(Object.values(workers).map((w) => w.close()));
    // what a worker stopped on a timeout (or a crash) left under the run's prefix
    await real?.sweep();
  }
}

/**
 * The real store of `--rome`: checks the URL and that the server answers (else bad input, exit 2),
 * and draws the run's key prefix; sweep() removes every key under it and closes the connection.
 */
async function realStore(url: string): Promise<{ url: string; prefix: string; sweep(): Promise<void> }> {
  if (!isRedisUrl(url)) throw new UsageError(`--rome: '${url}' is no Redis URL`, 'give redis://host:port (one server) or redis+cluster://host:port,host:port,… (a cluster)');
  const prefix = `port-db-equiv:${randomBytes(6).toString('hex')}:`;
  const { RedisStore } = await import('./rome-memory/redis-store.js');
  let store: InstanceType<typeof RedisStore> | undefined;
  let timer: NodeJS.Timeout | undefined;
  try {
    store = new RedisStore({ url, prefix });
    store.client.on('error', () => {}); // answered by the ping below
    await Promise.race([
      store.client.ping(),
      new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('no answer within 5 s')), 5000))),
    ]);
  } catch (e) {
    store?.client.disconnect();
    throw new UsageError(`--rome: cannot reach ${url}: ${(e as Error).message}`, 'start the Redis server (or cluster) first, or check the URL');
  } finally {
    clearTimeout(timer);
  }
  const swept = store;
  return {
    url,
    prefix,
    sweep: async () => {
      try {
        await swept.clear();
      } finally {
        await swept.close();
      }
    },
  };
}

/** EQUIV.md §5: a scenario that does not type-check is bad input (exit 2), each error at file:line. */
function typecheck(modules: Module[], cwd: string): void {
  const api = fileURLToPath(new URL('./scenario.d.ts', import.meta.url));
  for (const module of modules) {
    const errors = scenarioTypeErrors(module.scenarios, api, cwd);
    if (errors.length === 0) continue;
    const shown = errors.slice(0, 5).map((e) => `  ${e.at}: error TS${e.code}: ${e.text}`);
    if (errors.length > 5) shown.push(`  … ${errors.length - 5} more`);
    throw new UsageError(`${errors.length} type error${errors.length === 1 ? '' : 's'} in the scenarios:\n${shown.join('\n')}`, 'fix the scenarios (they are checked with the project\'s tsconfig.json and port-db/equiv\'s types) and run again');
  }
}

async function listed(worker: SideWorker, file: string, module: Module): Promise<ScenarioInfo[]> {
  try {
    return await worker.list(file);
  } catch (e) {
    throw bad(e, module, file);
  }
}

function bad(e: unknown, module: Module, file: string): unknown {
  if (!(e instanceof BadScenario)) return e;
  return new UsageError(`${toPosix(relative(module.root, file))}: ${e.message.replace(`${file}: `, '')}`, 'fix the scenario (or the service) and run again');
}

async function runScenario(module: Module, file: string, index: number, info: ScenarioInfo, workers: Record<'sql' | 'reversed' | 'rome', SideWorker>, rules: Set<string>, concurrency: ConcurrencyOptions, romeUrl?: string): Promise<ScenarioResult> {
  const base = {
    file: toPosix(relative(module.root, file)),
    name: info.name,
    replay: `port-db equiv ${module.rootArg} --only ${shellQuote(info.name)}${romeUrl ? ` --rome ${shellQuote(romeUrl)}` : ''}`,
  };
  if (info.todo) return { ...base, verdict: 'skipped', reason: `a skeleton to fill in: ${info.todo}`, calls: [], locks: [] };
  let sql: SideRuns, reversed: SideRuns, rome: SideRuns;
  try {
    [sql, reversed, rome] = await Promise.all([
      workers.sql.run(file, index, module.source, module.models.sql),
      workers.reversed.run(file, index, module.source, module.models.sql),
      workers.rome.run(file, index, module.port, module.models.rome, concurrency),
    ]);
  } catch (e) {
    throw bad(e, module, file);
  }
  const grouped = [sql, reversed, rome].some((r) => r.groups.length > 0);
  let found: Omit<ScenarioResult, 'file' | 'name' | 'replay'>;
  if (grouped) {
    const { teethAgainst, ...verdict } = concurrentVerdictOf({ sql, reversed, rome }, rules, info.accept, concurrency);
    found = verdict;
    // teeth: do the port's locks matter? The schedules again with them off, until one gives an
    // outcome SQL does not allow
    // (not on a real store: a lockless run that passes there proves nothing)
    if (teethAgainst && rome.locksTaken && !rome.explored?.repetitions && concurrency.teeth && concurrency.replay === undefined && verdict.concurrency) {
      let lockless: SideRuns;
      try {
        lockless = await workers.rome.run(file, index, module.port, module.models.rome, { ...concurrency, teethAgainst });
      } catch (e) {
        throw bad(e, module, file);
      }
      verdict.concurrency.locks = lockless.runs.length > 0 ? 'teeth' : 'weak';
    }
  } else {
    found = verdictOf({ sql: sql.runs[0].outcome, reversed: reversed.runs[0].outcome, rome: rome.runs[0].outcome }, rules, info.accept);
  }
  const schedule = found.divergences?.find((d) => d.schedule)?.schedule;
  // a run on a real store is not replayed: its interleaving was the machine's
  if (schedule && !romeUrl) base.replay += `${concurrency.latencyMs > 0 ? ` --latency ${concurrency.latencyMs}` : ''} --replay ${schedule}`;
  // a divergence at a call names its function; one in the final tables, every function called
  const at = found.divergences?.some((d) => !d.call) ? found.calls : (found.divergences ?? []).map((d) => d.call?.replace(/^#\d+ /, '') ?? '');
  const manual = [...new Set(at)].flatMap((f) => (module.manual.has(f) ? [{ function: f, reasons: module.manual.get(f)! }] : []));
  return { ...base, ...found, ...(manual.length ? { manual } : {}) };
}

function summarise(module: Module, scenarios: ScenarioResult[]): ModuleEquivalence {
  const summary = { equivalent: 0, diverged: 0, accepted: 0, 'order-dependent': 0, skipped: 0 } as Record<Verdict, number>;
  for (const s of scenarios) summary[s.verdict]++;
  return {
    source: toPosix(relative(module.root, module.source)),
    port: toPosix(relative(module.root, module.port)),
    scenarios,
    coverage: coverage(module, scenarios),
    summary,
  };
}

/** The functions the port changed (its report's ported and manual ones) that scenarios call. */
function coverage(module: Module, scenarios: ScenarioResult[]): Coverage {
  const changed = changedFunctions(module);
  const called = new Set(scenarios.filter((s) => s.verdict !== 'skipped').flatMap((s) => s.calls));
  const calledBySkipped = new Set(scenarios.filter((s) => s.verdict === 'skipped').flatMap((s) => s.calls));
  const missing = changed.filter((f) => !called.has(f));
  return { changed: changed.length, exercised: changed.length - missing.length, missing, skippedOnly: missing.filter((f) => calledBySkipped.has(f)) };
}

/**
 * The names a scenario can call: the module's exports (a private helper is exercised through the
 * exported functions that call it, which coverage counts instead).
 */
function exportedNames(source: string): Set<string> {
  return new Set([...source.matchAll(/^export\s+(?:async\s+)?(?:function\*?|const|let|class)\s+([\w$]+)/gm)].map((m) => m[1]));
}

function changedFunctions(module: Module): string[] {
  if (!module.report) return [];
  try {
    const report = JSON.parse(readFileSync(module.report, 'utf8')) as { functions?: Array<{ name: string; status: string }> };
    const exported = exportedNames(readFileSync(module.source, 'utf8'));
    return (report.functions ?? []).filter((f) => f.status !== 'unchanged' && exported.has(f.name.split('.')[0])).map((f) => f.name);
  } catch {
    return [];
  }
}

/** Every ported module below a root, with its scenarios (db/equiv/*.equiv.ts beside db/sqlalchemy). */
function findModules(rootArg: string, cwd: string, self = false): Module[] {
  const root = resolve(cwd, rootArg);
  if (!existsSync(root) || !statSync(root).isDirectory()) throw new UsageError(`not a folder: ${rootArg}`, 'pass the folder of a service');
  return findSqlModules(root).map((source) => {
    const db = dirname(dirname(source));
    const port = join(db, 'discovery', 'api.ts');
    if (!self && !existsSync(port)) throw new UsageError(`${toPosix(relative(cwd, source))} has no port yet (${toPosix(relative(cwd, port))} is missing)`, `run \`port-db port ${rootArg}\` first`);
    const equivDir = join(db, 'equiv');
    const scenarios = existsSync(equivDir) ? readdirSync(equivDir).filter((f) => f.endsWith('.equiv.ts')).sort().map((f) => join(equivDir, f)) : [];
    const report = join(db, 'discovery', 'port-report.json');
    return {
      root,
      rootArg,
      source,
      port,
      models: { sql: join(db, 'sqlalchemy', 'models.ts'), rome: join(db, 'discovery', 'models.ts') },
      scenarios,
      ...(existsSync(report) ? { report } : {}),
      manual: manualOf(existsSync(report) ? report : undefined),
    };
  });
}

/** The config's `equiv.normalise` switches, from the first root that has a config (validated). */
function configSwitches(roots: string[], cwd: string): RuleSwitches {
  for (const root of roots) {
    const path = findConfig(resolve(cwd, root), cwd);
    if (!path) continue;
    const switches = readConfig(path, cwd).equiv?.normalise ?? {};
    const known = new Set(RULES.map((r) => r.name));
    for (const name of Object.keys(switches)) {
      if (!known.has(name)) throw new ConfigError(`${toPosix(relative(cwd, path))}: /equiv/normalise/${name} is no normaliser rule`, `the rules are: ${[...known].join(', ')}`);
    }
    return switches;
  }
  return {};
}

/** redis://[user:password@]host:port[/db] (or rediss://), or redis+cluster://[user:password@]host:port[,host:port…]. */
function isRedisUrl(url: string): boolean {
  if (url.startsWith('redis+cluster://')) return /^redis\+cluster:\/\/(?:[^@]*@)?[^/?#@:,]+:\d+(?:,[^/?#@:,]+:\d+)*\/?$/.test(url);
  try {
    const parsed = new URL(url);
    return ['redis:', 'rediss:'].includes(parsed.protocol) && parsed.hostname !== '';
  } catch {
    return false;
  }
}

function shellQuote(s: string): string {
  return /^[\w./:=-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * EQUIV.md §5: 1 when a scenario diverged; under --strict also when one is order-dependent or weak,
 * or a changed function has no scenario; else 0. (Bad input and bugs are thrown: 2 and 3.)
 */
export function equivExitCode(result: EquivalenceResult, strict = false): number {
  const diverged = result.modules.some((m) => m.summary.diverged > 0);
  const strictFail = result.modules.some((m) => m.summary['order-dependent'] > 0 || m.coverage.missing.length > 0 || weak(m) > 0);
  return diverged || (strict && strictFail) ? 1 : 0;
}

/** Scenarios whose schedules took the port's locks and pass without them. */
function weak(m: ModuleEquivalence): number {
  return m.scenarios.filter((s) => s.concurrency?.locks === 'weak').length;
}

/** Why --strict failed, in a line (empty when it did not). */
export function strictReasons(result: EquivalenceResult): string[] {
  const out: string[] = [];
  for (const m of result.modules) {
    if (m.summary['order-dependent'] > 0) out.push(`${m.source}: ${m.summary['order-dependent']} order-dependent scenario(s)`);
    if (m.coverage.missing.length > 0) out.push(`${m.source}: ${m.coverage.missing.length} changed function(s) without a scenario`);
    if (weak(m) > 0) out.push(`${m.source}: ${weak(m)} concurrent scenario(s) pass with the port's locks off (weak)`);
  }
  return out;
}

/** `--init`: skeletons for the changed functions no scenario calls by name; answers the files written. */
export function initScenarios(roots: string[], cwd = process.cwd()): string[] {
  const modules = roots.flatMap((root) => findModules(root, cwd));
  return writeSkeletons(
    modules.map((m) => ({ db: dirname(dirname(m.source)), changed: changedWithKinds(m) })),
    cwd,
  );
}

function changedWithKinds(module: Module): Array<{ name: string; kinds: string[] }> {
  if (!module.report) return [];
  const report = JSON.parse(readFileSync(module.report, 'utf8')) as { functions?: Array<{ name: string; status: string; changes?: Array<{ kind: string }> }> };
  const exported = exportedNames(readFileSync(module.source, 'utf8'));
  return (report.functions ?? [])
    .filter((f) => f.status !== 'unchanged' && exported.has(f.name.split('.')[0]))
    .map((f) => ({ name: f.name, kinds: [...new Set((f.changes ?? []).map((c) => c.kind))] }));
}

function manualOf(report: string | undefined): Map<string, string[]> {
  const out = new Map<string, string[]>();
  if (!report) return out;
  try {
    const parsed = JSON.parse(readFileSync(report, 'utf8')) as { functions?: Array<{ name: string; manual?: Array<{ reason: string }> }> };
    for (const f of parsed.functions ?? []) if (f.manual?.length) out.set(f.name, [...new Set(f.manual.map((m) => m.reason))]);
  } catch {
    // an unreadable report: no notes
  }
  return out;
}
