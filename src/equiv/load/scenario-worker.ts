// A worker that runs scenarios on one side, one after the other, each in a fresh module graph of
// the service (hooks.ts: `?graph=N` follows the service's relative imports): the service's
// module-level state and the database or store are the scenario's alone, while the transpiler and
// the runtime load once. The parent (pool.ts) sends jobs and reads replies. With `--rome
// redis://…` the ROME side runs on that store, and the same file runs in node mode in the
// processes of a concurrent group (nodes.ts: PORT_DB_EQUIV_NODE set, no parent port).
import { register } from 'node:module';
import { basename } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parentPort, workerData } from 'node:worker_threads';
import { callError, encode, type CallRecord, type LabeledOutcome, type RawOutcome, type SideRuns, type TableDump } from '../outcome.js';
import { NodeBadInput, NodePool, type NodeJob, type NodeMessage, type NodeReply, type NodeResult } from './nodes.js';
import { DEFAULT_CONCURRENCY, type ConcurrencyOptions } from '../concurrency/options.js';
import { explore, parseToken, prefixChooser, tokenOf } from '../concurrency/explore.js';
import { orderCombinations, orderLabel, serialGroup } from '../concurrency/orders.js';
import { currentTask, NoSuchSchedule, Scheduler, type Choice, type Chooser } from '../concurrency/scheduler.js';
import { serviceLocks } from '../rome-memory/lock.js';
import { useDraws } from '../rome-memory/runtime.js';
import { prng } from '../prng.js';
import { canonical, comparable } from '../normalise.js';
import { GROUP_RUNNER, isScenario, type GroupRunner, type Scenario } from '../scenario.js';
import { aliasesFor, equivModule } from './aliases.js';
import { determinise, seedDraws, useTimerSink, virtualTime } from './determinism.js';
import { RomeSide, type RealStore } from './rome-side.js';
import { SeedError, type Side } from './side.js';
import { SqlSide } from './sql-side.js';
import { resetPythonModules } from '../sql/runtime/python-modules.js';

export interface WorkerSetup {
  side: 'sql' | 'rome';
  /** SQL side only: SQLite returns unordered rows in reverse (PRAGMA reverse_unordered_selects). */
  reverse?: boolean;
  /** SQL side only: text compared case-insensitively as MySQL's default collation does (ci), or byte for byte. */
  collation?: 'ci' | 'binary';
  /** ROME side only: run on this real store (`--rome`) instead of the in-memory one. */
  rome?: RealStore;
  /** With `rome`: runs of each scenario with concurrent groups (`--repeat`). */
  repeat?: number;
}

export interface ScenarioInfo {
  name: string;
  accept: NonNullable<Scenario['accept']>;
  todo?: string;
}

export type RunJob = { id: number; kind: 'run'; file: string; index: number; api: string; models: string; concurrency?: ConcurrencyOptions };

export type Job = { id: number; kind: 'list'; file: string } | RunJob;

/** `bad`: the scenario or the service is bad input (exit 2), with what to fix. */
/** `progress`: not an answer, a sign of life of a long job (each order or schedule ran). */
export type Reply = { id: number; scenarios?: ScenarioInfo[]; runs?: SideRuns; bad?: string; progress?: true };

/** Errors that say a construct is not run by one side: the scenario is skipped. */
const UNSUPPORTED = new Set(['UnsupportedInReference', 'UnsupportedInRomeMemory', 'ConcurrencyNotExplored']);

class BadInput extends Error {}

/** A node process of a concurrent group on a real store (nodes.ts) has this setup in its environment. */
const asNode = !parentPort && process.env.PORT_DB_EQUIV_NODE !== undefined;
const setup = (asNode ? JSON.parse(process.env.PORT_DB_EQUIV_NODE!) : workerData) as WorkerSetup;
register(equivModule('load/hooks.js'), import.meta.url, { data: { aliases: aliasesFor(setup.side) } });
/** A node replays the setup on an in-memory store of its own, then joins the shared one (RomeSide.share). */
const rome = setup.side === 'rome' ? new RomeSide(asNode ? undefined : setup.rome) : undefined;
const side: Side = rome ?? new SqlSide(setup.reverse === true, setup.collation);
/** On a real store, sleeps take real time (determinism.ts). */
const realTimers = setup.rome !== undefined;
const pool = setup.rome && !asNode ? new NodePool(setup) : undefined;
let graphs = 0;

async function scenariosOf(file: string, graph: string): Promise<Scenario[]> {
  const loaded = (await import(pathToFileURL(file).href + graph)) as { default?: unknown };
  const found = ([] as unknown[]).concat(loaded.default ?? []).filter(isScenario);
  if (found.length === 0) throw new BadInput(`${file}: exports no scenario (export default scenario(name, { run }) or an array of them)`);
  return found;
}

async function list(file: string): Promise<ScenarioInfo[]> {
  const scenarios = await scenariosOf(file, `?graph=list${++graphs}`);
  return scenarios.map((s) => ({ name: s.name, accept: s.accept ?? [], ...(s.todo ? { todo: s.todo } : {}) }));
}

/** A failed import: the dialect's module the reference lacks is unsupported; anything else is bad input. */
function importFailure(what: string, e: unknown): Error {
  const err = e as { code?: string; message?: string; name?: string };
  if (err?.name && UNSUPPORTED.has(err.name)) return e as Error;
  const bare = /Cannot find (?:package|module) '([^']+)'/.exec(err?.message ?? '')?.[1];
  if (err?.code === 'ERR_MODULE_NOT_FOUND' && bare && /^(sqlalchemy|oslo\.db)(\/|$)/.test(bare)) {
    return Object.assign(new Error(`unsupported in the SQL reference: the module '${bare}'`), { name: 'UnsupportedInReference' });
  }
  return new BadInput(`${what} does not load: ${err?.name ?? 'Error'}: ${err?.message ?? String(e)}`);
}

/** A scenario's modules, loaded once: the runs of its orders or schedules reuse them. */
interface Loaded {
  scenario: Scenario;
  models: Record<string, unknown>;
  /** The ported module of a node (node 0 is the scenario's own; a group's task i runs on node i + 1). */
  api(node: number): Promise<Record<string, unknown>>;
}

/** Loads the scenario's service; an outcome instead when a side cannot load it (unsupported). */
async function load(job: RunJob, seed: number): Promise<Loaded | RawOutcome> {
  const graph = `?graph=${++graphs}`;
  determinise(seed, realTimers);
  resetPythonModules();
  let main: Record<string, unknown>;
  let models: Record<string, unknown>;
  try {
    models = (await import(pathToFileURL(job.models).href + graph)) as Record<string, unknown>;
    await side.open(job.models, models);
    main = (await import(pathToFileURL(job.api).href + graph)) as Record<string, unknown>;
  } catch (e) {
    const failure = importFailure(job.api, e);
    if (failure instanceof BadInput) throw failure;
    return { calls: [], tables: {}, locks: [], unsupported: { message: failure.message }, given: [] };
  }
  const scenario = (await scenariosOf(job.file, graph))[job.index];
  // each node its own instance of the ported module (its module-level state, its ClusterLock
  // owner); the modules it imports are shared (hooks.ts: `&node=` stays on the module itself)
  const nodes = new Map<number, Promise<Record<string, unknown>>>([[0, Promise.resolve(main)]]);
  const api = (node: number) => {
    let loaded = nodes.get(node);
    if (!loaded) nodes.set(node, (loaded = side.loadNode!(node, () => import(pathToFileURL(job.api).href + `${graph}&node=${node}`) as Promise<Record<string, unknown>>)));
    return loaded;
  };
  return { scenario, models, api };
}

/** A group runner that may add call records and given strings itself (a real store's nodes made the calls). */
type SideGroupRunner = (calls: Array<() => unknown>, into: { calls: CallRecord[]; given: Set<string> }) => Promise<Array<PromiseSettledResult<unknown>>>;

/**
 * One run of a loaded scenario: `groups` runs each concurrent group (in a serial order, or under
 * the scheduler); `fresh` first resets the side (a new store).
 */
async function once(job: RunJob, loaded: Loaded, seed: number, groups: SideGroupRunner | undefined, fresh: boolean, nodes: Map<number, Record<string, unknown>>): Promise<RawOutcome> {
  // every run starts from the seed's first draw: loading drew already (a scenario module's own
  // top-level code, e.g. contexts with generated request ids), and the SQL side, which loads then
  // runs, took the service's UUIDs after those draws while the ROME side reset before its runs
  determinise(seed, realTimers);
  if (fresh) await side.open(job.models, loaded.models);
  const { scenario } = loaded;
  await side.seed(scenario.seed ?? {});
  const seeded = seededKeys(await side.dump());
  const calls: CallRecord[] = [];
  const recorded = new WeakSet<object>();
  const given = new Set<string>();
  stringsOf(scenario.seed, given);
  const outcome: RawOutcome = { calls, tables: {}, locks: [], given: [], seeded };
  const globals = globalThis as Record<symbol, unknown>;
  const taskOf = new WeakMap<CallRecord, number>();
  // a group's calls are listed in the group's order whatever order they ran in, so that the
  // outcomes of every order and schedule compare call by call
  const grouped: GroupRunner | undefined =
    groups &&
    (async (group) => {
      const base = calls.length;
      try {
        return await groups(group, { calls, given });
      } finally {
        const tail = calls.splice(base).map((c, i) => ({ c, i, task: taskOf.get(c) ?? -1 }));
        tail.sort((a, b) => a.task - b.task || a.i - b.i);
        calls.push(...tail.map((t) => t.c));
      }
    });
  globals[GROUP_RUNNER] = grouped;
  try {
    await scenario.run({ api: recorder(nodes, calls, recorded, given, taskOf) });
  } catch (e) {
    if (e instanceof BadInput) throw e;
    if (!(typeof e === 'object' && e !== null && recorded.has(e))) outcome.threw = callError(e);
  } finally {
    delete globals[GROUP_RUNNER];
  }
  const unsupported = [...calls.filter((c) => c.error).map((c) => ({ call: c.call, error: c.error! })), ...(outcome.threw ? [{ call: undefined, error: outcome.threw }] : [])].find(({ error }) => UNSUPPORTED.has(error.name));
  if (unsupported) outcome.unsupported = { ...(unsupported.call ? { call: unsupported.call } : {}), message: unsupported.error.message };
  outcome.tables = await side.dump();
  outcome.locks = side.locks();
  outcome.given = [...given].sort();
  return outcome;
}

async function run(job: RunJob): Promise<SideRuns> {
  const seed = seedOf(`${basename(job.file)}#${job.index}`);
  if (setup.side === 'sql') return runSql(job, seed);
  try {
    return await (setup.rome ? runReal(job, seed) : runRome(job, seed));
  } finally {
    // a real store: the last store's keys go (the parent sweeps the run's prefix too, after a timeout)
    await rome!.close();
  }
}

/**
 * SQL: the scenario once; when it has concurrent groups, once more for every other serial order
 * of them (each run in a fresh module graph and database): the outcomes SQL allows (EQUIV.md §4).
 */
async function runSql(job: RunJob, seed: number): Promise<SideRuns> {
  const sizes: number[] = [];
  const first = await sqlRun(job, seed, [], sizes);
  if (sizes.length === 0) return { runs: [{ label: '', count: 1, outcome: first }], groups: [] };
  const combos = orderCombinations(sizes);
  const runs = [{ label: orderLabel(combos[0]), count: 1, outcome: first }];
  for (const combo of combos.slice(1)) {
    runs.push({ label: orderLabel(combo), count: 1, outcome: await sqlRun(job, seed, combo, []) });
    alive(job.id);
  }
  return { runs, groups: sizes };
}

async function sqlRun(job: RunJob, seed: number, orders: number[][], sizes: number[]): Promise<RawOutcome> {
  const loaded = await load(job, seed);
  if (!('scenario' in loaded)) return loaded;
  const main = await loaded.api(0);
  let group = 0;
  const serial: GroupRunner = async (calls) => {
    const order = orders[group] ?? calls.map((_, i) => i);
    sizes.push(calls.length);
    group++;
    return serialGroup(calls, order);
  };
  return once(job, loaded, seed, serial, false, new Map([[0, main]]));
}

/**
 * ROME: the scenario under the scheduler, schedule after schedule (explore.ts), each from a fresh
 * store; outcomes that are the same are counted once, under the first schedule that gave them.
 * With `teethAgainst`, the schedules run with the port's locks off, looking for a disallowed outcome.
 */
async function runRome(job: RunJob, seed: number): Promise<SideRuns> {
  const loaded = await load(job, seed);
  if (!('scenario' in loaded)) return { runs: [{ label: '', count: 1, outcome: loaded }], groups: [] };
  const options = job.concurrency ?? DEFAULT_CONCURRENCY;
  const nodes = new Map<number, Record<string, unknown>>([[0, await loaded.api(0)]]);
  let sizes: number[] = [];
  type Collected = Map<string, LabeledOutcome>;
  const schedule = async (choose: Chooser, collect: Collected): Promise<Choice[]> => {
    const scheduler = new Scheduler(choose, virtualTime, { latencyMs: options.latencyMs, maxSteps: options.maxSteps });
    const seen: number[] = [];
    const groups: GroupRunner = async (calls) => {
      seen.push(calls.length);
      for (let i = 0; i < calls.length; i++) if (!nodes.has(i + 1)) nodes.set(i + 1, await loaded.api(i + 1));
      useTimerSink(scheduler);
      try {
        return await scheduler.group(calls, calls.map((_, i) => i + 1));
      } catch (e) {
        if (e instanceof NoSuchSchedule) throw new BadInput(`--replay: ${e.message}`);
        throw e;
      } finally {
        useTimerSink(undefined);
      }
    };
    side.wrapStore!((store) => scheduler.wrap(store));
    let outcome: RawOutcome;
    try {
      outcome = await once(job, loaded, seed, groups, true, nodes);
    } finally {
      side.wrapStore!(undefined);
    }
    if (seen.length > sizes.length) sizes = seen;
    alive(job.id);
    const label = tokenOf(scheduler.trace);
    // the lock log is shown, not compared: schedules that end alike are one outcome
    const key = JSON.stringify({ ...outcome, locks: [] });
    const known = collect.get(key);
    if (known) known.count++;
    else collect.set(key, { label, count: 1, outcome });
    return scheduler.trace;
  };
  const outcomes: Collected = new Map();
  const exploreOptions = { preemptions: options.preemptions, schedules: options.schedules, seed: options.seed };
  if (options.replay !== undefined) {
    let choices: number[];
    try {
      choices = parseToken(options.replay);
    } catch (e) {
      throw new BadInput(`--replay: ${(e as Error).message}`);
    }
    const trace = await schedule(prefixChooser(choices), outcomes);
    if (trace.length !== choices.length) throw new BadInput(`--replay: the token has ${choices.length} choices and this scenario's schedule ${trace.length} (a token of another scenario, or other flags?)`);
    return { runs: [...outcomes.values()], groups: sizes, explored: { schedules: 1, exhaustive: false, random: 0, replayed: options.replay } };
  }
  if (options.teethAgainst) {
    // teeth: the same exploration with the port's locks off, until a schedule gives an outcome
    // SQL does not allow (the locks were needed) or none is left (the scenario is weak)
    const { allowed, rules, unordered: asMultisets } = options.teethAgainst;
    const keys = new Set(allowed);
    const ruleSet = new Set(rules);
    let found: LabeledOutcome | undefined;
    serviceLocks.off = true;
    try {
      const lockless: Collected = new Map();
      const explored = await explore(
        async (choose) => {
          const trace = await schedule(choose, lockless);
          // compared as the oracle compares (oracle.ts: the same `comparable` form)
          for (const r of lockless.values()) if (!keys.has(canonical(comparable(r.outcome, ruleSet, asMultisets)))) found = r;
          lockless.clear();
          return trace;
        },
        { ...exploreOptions, stop: () => found !== undefined },
      );
      return { runs: found ? [found] : [], groups: sizes, explored };
    } finally {
      serviceLocks.off = false;
    }
  }
  serviceLocks.taken = 0;
  const explored = await explore((choose) => schedule(choose, outcomes), exploreOptions);
  return { runs: [...outcomes.values()], groups: sizes, explored, ...(serviceLocks.taken > 0 ? { locksTaken: true } : {}) };
}

/**
 * ROME on a real store (`--rome`): the scenario once, on a fresh key prefix. When it has concurrent
 * groups, each group's calls run as real concurrent requests, one node process per call
 * (nodes.ts), and the scenario runs `--repeat` times, each on a fresh prefix from the seed; the
 * distinct outcomes are judged as the explorer's are. The teeth run is not done here (a lockless
 * run that happens to pass proves nothing on a real store): the locks stay "not checked".
 */
async function runReal(job: RunJob, seed: number): Promise<SideRuns> {
  const loaded = await load(job, seed);
  if (!('scenario' in loaded)) return { runs: [{ label: '', count: 1, outcome: loaded }], groups: [] };
  const nodes = new Map<number, Record<string, unknown>>([[0, await loaded.api(0)]]);
  const outcomes = new Map<string, LabeledOutcome>();
  const repeat = setup.repeat ?? 10;
  let sizes: number[] = [];
  let locksTaken = false;
  for (let r = 1; r <= repeat; r++) {
    const prefix = rome!.nextPrefix();
    // connected first: the client's own draws (a cluster shuffles its nodes) come before the seed's
    await rome!.open(job.models, loaded.models, prefix);
    determinise(seed, true);
    const seen: number[] = [];
    const groups: SideGroupRunner = async (calls, into) => {
      const group = seen.push(calls.length) - 1;
      let results: NodeResult[];
      try {
        results = await pool!.group({ job, seed, url: setup.rome!.url, prefix, group }, calls.length);
      } catch (e) {
        // a node that cannot run (the service ended its process, the store went away) is no
        // outcome to compare: the run cannot be made as written (exit 2), with what the node said
        throw new BadInput(e instanceof NodeBadInput ? e.message : `concurrent group ${group + 1} on ${setup.rome!.url}: ${(e as Error).message}`);
      }
      for (const result of results) {
        into.calls.push(...result.records);
        for (const s of result.given) into.given.add(s);
        rome!.note(result.locks);
        locksTaken ||= result.locksTaken;
      }
      // the values cross as data: after a group the scenario sees plain values, not the port's objects
      return results.map(({ settled }) =>
        settled.error ? { status: 'rejected' as const, reason: Object.assign(new Error(settled.error.message), { name: settled.error.name }) } : { status: 'fulfilled' as const, value: settled.ok },
      );
    };
    serviceLocks.taken = 0;
    const outcome = await once(job, loaded, seed, groups, false, nodes);
    locksTaken ||= serviceLocks.taken > 0;
    if (seen.length === 0) return { runs: [{ label: '', count: 1, outcome }], groups: [] };
    if (seen.length > sizes.length) sizes = seen;
    alive(job.id);
    // the lock log is shown, not compared: runs that end alike are one outcome
    const key = JSON.stringify({ ...outcome, locks: [] });
    const known = outcomes.get(key);
    if (known) known.count++;
    else outcomes.set(key, { label: `run ${r}`, count: 1, outcome });
  }
  return { runs: [...outcomes.values()], groups: sizes, explored: { schedules: repeat, exhaustive: false, random: 0, repetitions: repeat }, ...(locksTaken ? { locksTaken: true } : {}) };
}

/** Ends a node's replay once its call ran (see nodeCall). */
const STOP = Symbol('node done');

/**
 * Node mode: replays the scenario on a private in-memory store (earlier groups in their given
 * order), and at group `group` joins the shared prefix, says it is ready, waits for the release
 * and runs call `call` only. Its draws are seeded by its call (two nodes would otherwise draw the
 * same UUIDs and lock tokens); afterwards its connection is closed, so the scenario's later calls
 * cannot write.
 */
async function nodeCall(m: NodeJob, released: Promise<void>, ready: () => void): Promise<NodeResult> {
  const loaded = await load(m.job, m.seed);
  if (!('scenario' in loaded)) throw new BadInput(`${m.job.api} does not load in a node process: ${loaded.unsupported?.message}`);
  await side.seed(loaded.scenario.seed ?? {});
  const calls: CallRecord[] = [];
  const given = new Set<string>();
  stringsOf(loaded.scenario.seed, given);
  const globals = globalThis as Record<symbol, unknown>;
  let group = 0;
  let result: NodeResult | undefined;
  const runner: GroupRunner = async (fns) => {
    if (group++ < m.group) return serialGroup(fns, fns.map((_, i) => i));
    await rome!.share(m.url, m.prefix);
    seedDraws(seedOf(`${m.seed}:${m.group}:${m.call}`));
    // ROME's own draws, the lock tokens among them, unique to this process: nodes that replayed
    // the same setup would draw the same tokens, and one could release another's lock
    let n = 0;
    useDraws({ uuid: () => `node${m.call + 1}-${process.pid}-${++n}`, random: prng(seedOf(`${m.seed}:${m.group}:${m.call}:rome`)) });
    serviceLocks.taken = 0;
    ready();
    await released;
    const base = calls.length;
    const settled: NodeResult['settled'] = {};
    try {
      settled.ok = encode(await fns[m.call](), (obj) => side.entity(obj));
    } catch (e) {
      settled.error = callError(e);
    }
    result = { records: calls.slice(base), settled, given: [...given], locks: side.locks(), locksTaken: serviceLocks.taken > 0 };
    await rome!.close();
    throw STOP;
  };
  globals[GROUP_RUNNER] = runner;
  try {
    await loaded.scenario.run({ api: recorder(new Map([[0, await loaded.api(0)]]), calls, new WeakSet(), given, new WeakMap()) });
  } catch (e) {
    if (e instanceof BadInput) throw e;
  } finally {
    delete globals[GROUP_RUNNER];
    await rome!.close();
  }
  if (!result) throw new BadInput(`${m.job.file}: replayed in a node process, the scenario did not reach its concurrent group ${m.group + 1} (does it depend on what an earlier group answered?)`);
  return result;
}

let lastSign = 0;
/** Tells the parent a long job still runs (at most every half second; wall time, not the virtual clock). */
function alive(id: number): void {
  const now = performance.now();
  if (now - lastSign < 500) return;
  lastSign = now;
  parentPort!.postMessage({ id, progress: true });
}

/** A 32-bit seed from the scenario's identity (FNV-1a). */
function seedOf(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** Per table with a one-column key, the keys of its rows (the normaliser names them in key order). */
function seededKeys(tables: Record<string, TableDump>): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [table, dump] of Object.entries(tables)) {
    const key = dump.primaryKey;
    if (key && dump.rows.length > 0) out[table] = dump.rows.map((r) => JSON.stringify(r[key]));
  }
  return out;
}

/** The strings in a value the scenario gave (seed rows, call arguments). */
function stringsOf(value: unknown, into: Set<string>, seen = new Set<unknown>()): void {
  if (typeof value === 'string') into.add(value);
  else if (typeof value === 'object' && value !== null && !seen.has(value)) {
    seen.add(value);
    for (const v of Object.values(value)) stringsOf(v, into, seen);
  }
}

/** `api`: the service's module, each call recorded with its outcome (a method as `Class.method`). */
function recorder(nodes: Map<number, Record<string, unknown>>, calls: CallRecord[], recorded: WeakSet<object>, given: Set<string>, taskOf: WeakMap<CallRecord, number>): Record<string, unknown> {
  const module = nodes.get(0)!;
  // a string the code answered earlier and the scenario passes back is not the scenario's own
  const returned = new Set<string>();
  const record = (call: string, invoke: () => unknown, args: unknown[]): unknown => {
    const passed = new Set<string>();
    stringsOf(args, passed);
    for (const s of passed) if (!returned.has(s)) given.add(s);
    const entry: CallRecord = { call };
    calls.push(entry);
    const task = currentTask();
    if (task) taskOf.set(entry, task.index);
    const failed = (e: unknown) => {
      entry.error = callError(e);
      if (typeof e === 'object' && e !== null) recorded.add(e);
      throw e;
    };
    const succeeded = (value: unknown) => {
      entry.ok = encode(value, (obj) => side.entity(obj));
      stringsOf(entry.ok, returned);
      return value;
    };
    let value: unknown;
    try {
      value = invoke();
    } catch (e) {
      return failed(e);
    }
    if (!isThenable(value)) return succeeded(value);
    entry.async = true;
    return Promise.resolve(value).then(succeeded, failed);
  };
  return new Proxy(module, {
    get(target, name) {
      if (typeof name !== 'string' || name === 'then') return undefined;
      if (!(name in target)) throw new BadInput(`api.${name}: the module exports no '${name}' (a typo, or a function the port renamed?)`);
      // a call made by a task of a concurrent group goes to the task's node
      const value = (nodes.get(currentTask()?.node ?? 0) ?? target)[name];
      if (isClass(value)) return classRecorder(value, name, record);
      return typeof value === 'function' ? (...args: unknown[]) => record(name, () => value(...args), args) : value;
    },
  });
}

function classRecorder(cls: new (...args: unknown[]) => object, className: string, record: (call: string, invoke: () => unknown, args: unknown[]) => unknown) {
  return new Proxy(cls, {
    construct(target, args) {
      const instance = new target(...args);
      return new Proxy(instance, {
        get(obj, key) {
          const member = Reflect.get(obj, key);
          return typeof key === 'string' && typeof member === 'function' && key !== 'constructor'
            ? (...args: unknown[]) => record(`${className}.${key}`, () => member.apply(obj, args), args)
            : member;
        },
      });
    },
  });
}

function isClass(value: unknown): value is new (...args: unknown[]) => object {
  return typeof value === 'function' && /^class\b/.test(Function.prototype.toString.call(value));
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

if (asNode) {
  let go = () => {};
  process.on('message', (m: NodeMessage) => {
    if (m.kind === 'go') return go();
    const send = (r: NodeReply) => process.send!(r);
    const released = new Promise<void>((resolve) => (go = resolve));
    nodeCall(m, released, () => send({ id: m.id, ready: true })).then(
      (done) => send({ id: m.id, done }),
      (e: unknown) => send(e instanceof BadInput || e instanceof SeedError ? { id: m.id, bad: e.message } : { id: m.id, crashed: e instanceof Error ? `${e.name}: ${e.message}` : String(e) }),
    );
  });
  // the parent (the ROME worker) ended: so does the node
  process.on('disconnect', () => process.exit(0));
} else parentPort!.on('message', (job: Job) => {
  const reply = (r: Omit<Reply, 'id'>) => parentPort!.postMessage({ id: job.id, ...r });
  const work = job.kind === 'list' ? list(job.file).then((scenarios) => reply({ scenarios })) : run(job).then((runs) => reply({ runs }));
  work.catch((e: unknown) => {
    if (e instanceof BadInput || e instanceof SeedError) reply({ bad: e.message });
    else if (job.kind === 'list') reply({ bad: importFailure(job.file, e).message });
    else throw e;
  });
});
