// A worker that runs scenarios on one side, one after the other, each in a fresh module graph of
// the service (hooks.ts: `?graph=N` follows the service's relative imports): the service's
// module-level state and the database or store are the scenario's alone, while the transpiler and
// the runtime load once. The parent (pool.ts) sends jobs and reads replies.
import { register } from 'node:module';
import { basename } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parentPort, workerData } from 'node:worker_threads';
import { callError, encode, type CallRecord, type RawOutcome } from '../outcome.js';
import { isScenario, type Scenario } from '../scenario.js';
import { aliasesFor, equivModule } from './aliases.js';
import { determinise } from './determinism.js';
import { RomeSide } from './rome-side.js';
import { SeedError, type Side } from './side.js';
import { SqlSide } from './sql-side.js';

export interface WorkerSetup {
  side: 'sql' | 'rome';
  /** SQL side only: SQLite returns unordered rows in reverse (PRAGMA reverse_unordered_selects). */
  reverse?: boolean;
  /** SQL side only: text compared case-insensitively as MySQL's default collation does (ci), or byte for byte. */
  collation?: 'ci' | 'binary';
}

export interface ScenarioInfo {
  name: string;
  accept: NonNullable<Scenario['accept']>;
  todo?: string;
}

export type Job = { id: number; kind: 'list'; file: string } | { id: number; kind: 'run'; file: string; index: number; api: string; models: string };

/** `bad`: the scenario or the service is bad input (exit 2), with what to fix. */
export type Reply = { id: number; scenarios?: ScenarioInfo[]; outcome?: RawOutcome; bad?: string };

/** Errors that say a construct is not run by one side: the scenario is skipped. */
const UNSUPPORTED = new Set(['UnsupportedInReference', 'UnsupportedInRomeMemory', 'ConcurrencyNotExplored']);

class BadInput extends Error {}

const setup = workerData as WorkerSetup;
register(equivModule('load/hooks.js'), import.meta.url, { data: { aliases: aliasesFor(setup.side) } });
const side: Side = setup.side === 'sql' ? new SqlSide(setup.reverse === true, setup.collation) : new RomeSide();
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

async function run(job: Extract<Job, { kind: 'run' }>): Promise<RawOutcome> {
  const graph = `?graph=${++graphs}`;
  // the same draws on every side and every run of this scenario
  determinise(seedOf(`${basename(job.file)}#${job.index}`));
  let api: Record<string, unknown>;
  let models: Record<string, unknown>;
  try {
    models = (await import(pathToFileURL(job.models).href + graph)) as Record<string, unknown>;
    await side.open(job.models, models);
    api = (await import(pathToFileURL(job.api).href + graph)) as Record<string, unknown>;
  } catch (e) {
    const failure = importFailure(job.api, e);
    if (failure instanceof BadInput) throw failure;
    return { calls: [], tables: {}, locks: [], unsupported: { message: failure.message }, given: [] };
  }
  const scenario = (await scenariosOf(job.file, graph))[job.index];
  await side.seed(scenario.seed ?? {});
  const calls: CallRecord[] = [];
  const recorded = new WeakSet<object>();
  const given = new Set<string>();
  stringsOf(scenario.seed, given);
  const outcome: RawOutcome = { calls, tables: {}, locks: [], given: [] };
  try {
    await scenario.run({ api: recorder(api, calls, recorded, given) });
  } catch (e) {
    if (e instanceof BadInput) throw e;
    if (!(typeof e === 'object' && e !== null && recorded.has(e))) outcome.threw = callError(e);
  }
  const unsupported = [...calls.filter((c) => c.error).map((c) => ({ call: c.call, error: c.error! })), ...(outcome.threw ? [{ call: undefined, error: outcome.threw }] : [])].find(({ error }) => UNSUPPORTED.has(error.name));
  if (unsupported) outcome.unsupported = { ...(unsupported.call ? { call: unsupported.call } : {}), message: unsupported.error.message };
  outcome.tables = await side.dump();
  outcome.locks = side.locks();
  outcome.given = [...given].sort();
  return outcome;
}

/** A 32-bit seed from the scenario's identity (FNV-1a). */
function seedOf(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
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
function recorder(module: Record<string, unknown>, calls: CallRecord[], recorded: WeakSet<object>, given: Set<string>): Record<string, unknown> {
  // a string the code answered earlier and the scenario passes back is not the scenario's own
  const returned = new Set<string>();
  const record = (call: string, invoke: () => unknown, args: unknown[]): unknown => {
    const passed = new Set<string>();
    stringsOf(args, passed);
    for (const s of passed) if (!returned.has(s)) given.add(s);
    const entry: CallRecord = { call };
    calls.push(entry);
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
      const value = target[name];
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

parentPort!.on('message', (job: Job) => {
  const reply = (r: Omit<Reply, 'id'>) => parentPort!.postMessage({ id: job.id, ...r });
  const work = job.kind === 'list' ? list(job.file).then((scenarios) => reply({ scenarios })) : run(job).then((outcome) => reply({ outcome }));
  work.catch((e: unknown) => {
    if (e instanceof BadInput || e instanceof SeedError) reply({ bad: e.message });
    else if (job.kind === 'list') reply({ bad: importFailure(job.file, e).message });
    else throw e;
  });
});
