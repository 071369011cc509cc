// What a scenario file imports (`port-db/equiv`): a scenario is written once and run on both
// sides, the SQL module on the reference and its port on the in-memory ROME (EQUIV.md §3).
//
//   import { scenario } from 'port-db/equiv';
//   export default scenario('service_create: a duplicate host/topic is refused', {
//     seed: { services: [{ host: 'h1', topic: 'compute', binary: 'nova-compute' }] },
//     async run({ api }) { await api.service_create(ctx, { host: 'h1', topic: 'compute' }); },
//   });

/** The service's data-access module as a scenario sees it: every call goes through a recorder. */
export type Api = Record<string, any>;

/** A reviewed difference between the sides: the verdict is `accepted`, and the reason is listed. */
export interface Accept {
  /** What differs: a call's result or error, or the final tables. */
  kind: 'result' | 'error' | 'store';
  /** Only for a divergence at a call of this function (`Class.method` for a method). */
  call?: string;
  /** Why a reviewer accepts it (printed in every report). */
  reason: string;
}

export interface ScenarioSpec {
  /** Rows written before the run, table by table in this order, with each side's own primitive. */
  seed?: Record<string, Array<Record<string, unknown>>>;
  run(context: { api: Api }): Promise<unknown> | unknown;
  accept?: Accept[];
  /** A skeleton `--init` wrote whose arguments are still to be filled in: reported `skipped`. */
  todo?: string;
}

export interface Scenario extends ScenarioSpec {
  readonly name: string;
  readonly [SCENARIO]: true;
}

const SCENARIO = Symbol.for('port-db.equiv.scenario');

export function scenario(name: string, spec: ScenarioSpec): Scenario {
  if (typeof name !== 'string' || name.trim() === '') throw new TypeError('scenario(name, spec): the name must be a non-empty string');
  if (typeof spec?.run !== 'function') throw new TypeError(`scenario '${name}': spec.run must be a function`);
  return { ...spec, name, [SCENARIO]: true };
}

export function isScenario(value: unknown): value is Scenario {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[SCENARIO] === true;
}

/**
 * Calls that a service would receive at the same time (EQUIV.md §4). On the SQL side the group
 * runs in every serial order; on the ROME side each call is a task on its own node, and the
 * store operations of the tasks interleave schedule by schedule. Resolves, once every call has
 * ended, with each call's settlement in the order given (it never rejects: a call's error is
 * part of the outcome).
 */
export async function concurrently(...calls: Array<() => unknown>): Promise<Array<PromiseSettledResult<unknown>>> {
  const runner = (globalThis as Record<symbol, unknown>)[GROUP_RUNNER] as GroupRunner | undefined;
  if (calls.length < 2 || calls.some((c) => typeof c !== 'function')) throw new TypeError('concurrently(...calls): give two or more functions, each making one request (() => api.f(...))');
  if (!runner) throw new ConcurrencyNotExplored();
  return runner(calls);
}

/** How the side running the scenario runs a group (installed by the scenario worker). */
export type GroupRunner = (calls: Array<() => unknown>) => Promise<Array<PromiseSettledResult<unknown>>>;

export const GROUP_RUNNER = Symbol.for('port-db.equiv.group-runner');

/** A group run where no side installed a runner (outside `port-db equiv`). */
export class ConcurrencyNotExplored extends Error {
  constructor() {
    super('concurrently(): runs only under `port-db equiv` (no scheduler here)');
    this.name = 'ConcurrencyNotExplored';
  }
}
