// The deterministic scheduler of a concurrent group (EQUIV.md §4). JavaScript interleaves only at
// `await`, so the scheduler decides when each store operation of each task runs: an operation
// waits until its task is picked, then runs as one atomic step. Timers (a lock's back-off, ROME's
// sleep, a TTL's passing) are on the virtual clock: an operation ends `latency` after its task
// issued it, and the clock jumps to the next timer when no task can step. A choice among several
// ready tasks is a choice point: the chooser (explore.ts) decides it, and the trace records it.
import { AsyncLocalStorage } from 'node:async_hooks';
import { aroundOperations, type Store } from '../rome-memory/store.js';

export interface Task {
  /** Index in its group (the order of the `concurrently` arguments). */
  readonly index: number;
  /** The node it runs on (each task is its own node by default). */
  readonly node: number;
  /** The store operation it waits at, run when the scheduler picks the task. */
  pending?: () => void;
  /** When it issued that operation (virtual ms). */
  issuedAt?: number;
  done: boolean;
}

/** One choice point: which tasks could step, which one did, preemptions before it. */
export interface Choice {
  enabled: number[];
  chosen: number;
  /** The task that ran the step before, when it could step again (choosing another preempts it). */
  last?: number;
  preemptionsBefore: number;
}

/** Picks the task of the next step among the ready ones (indexes, ascending). */
export type Chooser = (enabled: number[], last: number | undefined, choicePoint: number) => number;

/** The virtual clock the determinised code reads (determinism.ts). */
export interface VirtualTime {
  now(): number;
  /** Moves the clock forward to `t` (never back). */
  advanceTo(t: number): void;
}

interface Timer {
  due: number;
  seq: number;
  task: Task;
  fire: () => void;
}

/** A replay token that does not fit the scenario: bad input. */
export class NoSuchSchedule extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NoSuchSchedule';
  }
}

/** Every task blocked and nothing due: a hang (a lost wake-up, a lock never released with no TTL). */
export class Hang extends Error {
  constructor(readonly blocked: number[]) {
    super(`every task is blocked and no timer is due (tasks ${blocked.map((i) => `#${i + 1}`).join(', ')} never finish)`);
    this.name = 'Hang';
  }
}

/** More steps than the bound: tasks that keep running without finishing (a livelock, a retry loop). */
export class Livelock extends Error {
  constructor(readonly steps: number) {
    super(`no end after ${steps} store operations (tasks retry each other forever?)`);
    this.name = 'Livelock';
  }
}

const current = new AsyncLocalStorage<Task>();

/** The task whose code is running, if a group is (the recorder routes calls to its node). */
export function currentTask(): Task | undefined {
  return current.getStore();
}

/** Runs `fn` as `task` (its calls are recorded as the task's). */
export function runAsTask<T>(task: Task, fn: () => T): T {
  return current.run(task, fn);
}

/** A scheduler for one run: its trace spans every group of the run. */
export class Scheduler {
  readonly trace: Choice[] = [];
  steps = 0;
  private timers: Timer[] = [];
  private seq = 0;
  private active: Task[] | undefined;

  constructor(
    private readonly choose: Chooser,
    private readonly time: VirtualTime,
    private readonly options: { latencyMs: number; maxSteps: number },
  ) {}

  /**
   * The store as the tasks see it: an operation outside a group runs at once; inside one it waits
   * for its step. Each operation's effect happens when the step runs (the store's methods act
   * before their first await).
   */
  wrap(store: Store): Store {
    return aroundOperations(store, (_op, _args, call) => {
      const task = current.getStore();
      if (!task || !this.active) return call();
      return new Promise((resolve, reject) => {
        task.pending = () => call().then(resolve, reject);
        task.issuedAt = this.time.now();
      });
    });
  }

  /** A timer set by the running task: on the virtual clock, fired by the scheduler. Else undefined. */
  timer(fire: () => void, ms: number): object | undefined {
    const task = current.getStore();
    if (!task || !this.active) return undefined;
    const timer: Timer = { due: this.time.now() + Math.max(0, ms), seq: this.seq++, task, fire };
    this.timers.push(timer);
    return timer;
  }

  clear(handle: unknown): boolean {
    const before = this.timers.length;
    this.timers = this.timers.filter((t) => t !== handle);
    return this.timers.length !== before;
  }

  /**
   * Runs a group to its end: each call a task on `nodes[i]`; answers each call's settlement in
   * the group's order. A hang or livelock rejects.
   */
  async group(calls: Array<() => unknown>, nodes: number[]): Promise<Array<PromiseSettledResult<unknown>>> {
    if (this.active) throw new Error('concurrently(): groups do not nest');
    const tasks: Task[] = calls.map((_, index) => ({ index, node: nodes[index] ?? index, done: false }));
    const settled: Array<PromiseSettledResult<unknown>> = new Array(calls.length);
    this.active = tasks;
    try {
      calls.forEach((call, i) => {
        const task = tasks[i];
        current.run(task, () => {
          Promise.resolve()
            .then(call)
            .then(
              (value) => (settled[i] = { status: 'fulfilled', value }),
              (reason: unknown) => (settled[i] = { status: 'rejected', reason }),
            )
            .finally(() => {
              task.done = true;
              task.pending = undefined;
            });
        });
      });
      let last: number | undefined;
      for (;;) {
        await settle();
        if (this.fireDue()) continue;
        const enabled = tasks.filter((t) => t.pending).map((t) => t.index);
        if (enabled.length === 0) {
          if (tasks.every((t) => t.done)) break;
          const next = this.nextTimer();
          if (!next) throw new Hang(tasks.filter((t) => !t.done).map((t) => t.index));
          this.time.advanceTo(next.due);
          continue;
        }
        if (++this.steps > this.options.maxSteps) throw new Livelock(this.options.maxSteps);
        const stay = last !== undefined && enabled.includes(last) ? last : undefined;
        let chosen = enabled[0];
        if (enabled.length > 1) {
          const preemptionsBefore = preemptions(this.trace);
          chosen = this.choose(enabled, stay, this.trace.length);
          if (!enabled.includes(chosen)) throw new NoSuchSchedule(`the schedule picks task #${chosen + 1} at choice ${this.trace.length + 1}, where only ${enabled.map((i) => `#${i + 1}`).join(', ')} can step (a replay token of another scenario, or other flags?)`);
          this.trace.push({ enabled, chosen, ...(stay !== undefined ? { last: stay } : {}), preemptionsBefore });
        }
        const task = tasks[chosen];
        const step = task.pending!;
        task.pending = undefined;
        last = chosen;
        // the nodes wait for the store in parallel: an operation ends `latency` after its task
        // issued it, whatever ran meanwhile (the clock never goes back)
        if (this.options.latencyMs > 0) this.time.advanceTo((task.issuedAt ?? this.time.now()) + this.options.latencyMs);
        step();
      }
      return settled;
    } finally {
      this.active = undefined;
      // a timer a finished task left behind (a fire-and-forget sleep) is dropped with the group
      this.timers = [];
    }
  }

  /** Fires the timers whose time has come, in order; answers whether any fired. */
  private fireDue(): boolean {
    const now = this.time.now();
    const due = this.timers.filter((t) => t.due <= now).sort((a, b) => a.due - b.due || a.seq - b.seq);
    if (due.length === 0) return false;
    this.timers = this.timers.filter((t) => !due.includes(t));
    for (const t of due) current.run(t.task, t.fire);
    return true;
  }

  private nextTimer(): Timer | undefined {
    return [...this.timers].sort((a, b) => a.due - b.due || a.seq - b.seq)[0];
  }
}

/** Waits until the tasks' microtasks have run (each is then at its next operation, a timer, or done). */
function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Preemptions in a trace: choices that left a task that could have stepped again. */
export function preemptions(trace: readonly Choice[]): number {
  return trace.reduce((n, c) => n + (c.last !== undefined && c.chosen !== c.last ? 1 : 0), 0);
}
