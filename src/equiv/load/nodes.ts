// The nodes of a concurrent group on a real store (`port-db equiv --rome redis://…`): one OS
// process per call of the group, each loading the port in a fresh module graph and connected to
// the store under the repetition's prefix. A closure cannot cross a process boundary, so each node
// replays the scenario up to the group on a private in-memory store (its setup calls answer as
// node 0's did), then joins the shared prefix, says it is ready, and runs its own call when every
// node is ready (released at once). The processes run scenario-worker.js in node mode.
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { CallError, CallRecord, Plain } from '../outcome.js';
import type { RunJob, WorkerSetup } from './scenario-worker.js';

/** What node `call` of group `group` runs: the scenario up to the group, then its call on `prefix`. */
export interface NodeJob {
  id: number;
  kind: 'call';
  job: RunJob;
  seed: number;
  url: string;
  prefix: string;
  group: number;
  call: number;
}

/** What a node did: the calls its closure made, how it settled, its lock log. */
export interface NodeResult {
  records: CallRecord[];
  settled: { ok?: Plain; error?: CallError };
  /** The strings the scenario gave, as the node's recorder saw them. */
  given: string[];
  locks: string[];
  locksTaken: boolean;
}

export type NodeMessage = NodeJob | { id: number; kind: 'go' };
export type NodeReply = { id: number; ready: true } | { id: number; done: NodeResult } | { id: number; bad: string } | { id: number; crashed: string };

/** A node said the scenario or the service is bad input (the parent rethrows it as such). */
export class NodeBadInput extends Error {}

export class NodePool {
  private nodes: ChildProcess[] = [];
  private next = 0;

  constructor(private readonly setup: WorkerSetup) {}

  /** Runs group `group` of the scenario with one node per call; answers each node's result in call order. */
  async group(body: Omit<NodeJob, 'id' | 'kind' | 'call'>, size: number): Promise<NodeResult[]> {
    while (this.nodes.length < size) this.nodes.push(this.start());
    const id = ++this.next;
    const nodes = this.nodes.slice(0, size);
    const runs = nodes.map((node) => follow(node, id));
    try {
      nodes.forEach((node, call) => node.send({ ...body, id, kind: 'call', call } satisfies NodeMessage));
      await Promise.all(runs.map((r) => r.ready));
      // every node has replayed the setup and is connected: all released at once
      for (const node of nodes) node.send({ id, kind: 'go' } satisfies NodeMessage);
      return await Promise.all(runs.map((r) => r.done));
    } catch (e) {
      // a node that failed leaves the others waiting for a release that will not come
      this.close();
      throw e;
    } finally {
      for (const r of runs) r.stop();
    }
  }

  close(): void {
    for (const node of this.nodes) node.kill();
    this.nodes = [];
  }

  private start(): ChildProcess {
    const node = fork(fileURLToPath(new URL('./scenario-worker.js', import.meta.url)), [], {
      env: { ...process.env, PORT_DB_EQUIV_NODE: JSON.stringify(this.setup) },
      execArgv: [],
      // the service's own console output is not the report's; the end of stderr says why a node died
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    node.on('error', () => {}); // a send to a node that died: its exit rejects the group
    let tail = '';
    node.stderr!.on('data', (chunk: Buffer) => (tail = (tail + chunk.toString()).slice(-2000)));
    stderrOf.set(node, () => tail.trim());
    return node;
  }
}

/** The end of each node's stderr. */
const stderrOf = new WeakMap<ChildProcess, () => string>();

/** The replies of one node to job `id`: ready, then done; a bad input, a crash or an exit rejects both. */
function follow(node: ChildProcess, id: number) {
  let ready!: () => void;
  let done!: (r: NodeResult) => void;
  let fail!: (e: Error) => void;
  const readyP = new Promise<void>((resolve, reject) => {
    ready = resolve;
    fail = reject;
  });
  const doneP = new Promise<NodeResult>((resolve, reject) => {
    done = resolve;
    const before = fail;
    fail = (e) => {
      before(e);
      reject(e);
    };
  });
  doneP.catch(() => {}); // awaited only once every node is ready
  const onMessage = (m: NodeReply) => {
    if (m.id !== id) return;
    if ('ready' in m) ready();
    else if ('done' in m) done(m.done);
    else if ('bad' in m) fail(new NodeBadInput(m.bad));
    else fail(new Error(`a node of the concurrent group crashed: ${m.crashed}`));
  };
  const onExit = (code: number | null) => {
    const said = stderrOf.get(node)?.() ?? '';
    fail(new Error(`a node of the concurrent group exited (code ${code})${said ? `:\n${said}` : ''}`));
  };
  node.on('message', onMessage);
  node.once('close', onExit);
  return {
    ready: readyP,
    done: doneP,
    stop: () => {
      node.off('message', onMessage);
      node.off('close', onExit);
    },
  };
}
