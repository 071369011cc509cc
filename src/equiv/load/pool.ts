// The parent's handle on a scenario worker (scenario-worker.ts): jobs go in order, replies come
// back by id. A job that does not answer within the time limit means the service awaits something
// that never comes (real I/O, a lost promise): the worker is stopped and the job reports it.
import { Worker } from 'node:worker_threads';
import type { SideRuns } from '../outcome.js';
import type { ConcurrencyOptions } from '../concurrency/options.js';
import type { Job, Reply, ScenarioInfo, WorkerSetup } from './scenario-worker.js';

/** The scenario or the service cannot be run as written (exit 2). */
export class BadScenario extends Error {}

/** The worker died: a bug of the harness or the runtime (exit 3). */
export class HarnessCrash extends Error {}

type JobBody = Job extends infer J ? (J extends Job ? Omit<J, 'id'> : never) : never;

export class SideWorker {
  private worker: Worker | undefined;
  private next = 0;
  /** Workers stopped on purpose (closed, or timed out): their exit is no crash. */
  private readonly retired = new WeakSet<Worker>();
  private readonly pending = new Map<number, { resolve: (r: Reply) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>();

  constructor(
    private readonly setup: WorkerSetup,
    private readonly timeoutMs: number,
  ) {}

  async list(file: string): Promise<ScenarioInfo[]> {
    return (await this.send({ kind: 'list', file })).scenarios!;
  }

  async run(file: string, index: number, api: string, models: string, concurrency?: ConcurrencyOptions): Promise<SideRuns> {
    return (await this.send({ kind: 'run', file, index, api, models, ...(concurrency ? { concurrency } : {}) })).runs!;
  }

  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    // a job still running (its scenario failed on another side): no answer will come, and its
    // timer must not keep the process alive
    for (const [id, job] of this.pending) {
      clearTimeout(job.timer);
      job.reject(new HarnessCrash(`the ${this.setup.side} worker was closed before it answered`));
      this.pending.delete(id);
    }
    if (worker) {
      this.retired.add(worker);
      await worker.terminate();
    }
  }

  private start(): Worker {
    const worker = new Worker(new URL('./scenario-worker.js', import.meta.url), { workerData: this.setup, stdout: true, stderr: true });
    // the service's own console output is not the report's
    worker.stdout.resume();
    worker.stderr.resume();
    worker.on('message', (reply: Reply) => {
      const job = this.pending.get(reply.id);
      if (!job) return;
      // a long exploration says it is still going: the time limit counts from its last sign of life
      if (reply.progress) return void job.timer.refresh();
      this.pending.delete(reply.id);
      clearTimeout(job.timer);
      if (reply.bad !== undefined) job.reject(new BadScenario(reply.bad));
      else job.resolve(reply);
    });
    const fail = (e: Error) => {
      if (this.retired.has(worker)) return;
      if (this.worker === worker) this.worker = undefined;
      for (const [id, job] of this.pending) {
        clearTimeout(job.timer);
        job.reject(e);
        this.pending.delete(id);
      }
    };
    worker.on('error', (e) => fail(new HarnessCrash(`the ${this.setup.side} worker crashed: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`)));
    worker.on('exit', (code) => fail(new HarnessCrash(`the ${this.setup.side} worker exited (code ${code})`)));
    return worker;
  }

  private send(body: JobBody): Promise<Reply> {
    this.worker ??= this.start();
    const worker = this.worker;
    const id = ++this.next;
    return new Promise<Reply>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new BadScenario(`no progress within ${this.timeoutMs / 1000} s on the ${this.setup.side} side: the code awaits something that never comes (real I/O, a timer, a lost promise)`));
        if (this.worker === worker) this.worker = undefined;
        this.retired.add(worker);
        void worker.terminate();
      }, this.timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      worker.postMessage({ id, ...body });
    });
  }
}
