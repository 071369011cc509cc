// Runs a script against one side of a service in its own worker (see worker.ts).
import { Worker } from 'node:worker_threads';

export interface SideRequest {
  side: 'sql' | 'rome';
  /** The module the script is given: db/sqlalchemy/api.ts (sql) or db/discovery/api.ts (rome). */
  module: string;
  /** A module whose default export is `async (api) => value`. */
  script: string;
}

/** What a script answered (made JSON by the worker's message), or what it threw, by class name. */
export type SideResult = { ok: unknown } | { error: { name: string; message: string } } | { crashed: string };

export function runSide(request: SideRequest): Promise<SideResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./worker.js', import.meta.url), { workerData: request });
    worker.once('message', (result: SideResult) => {
      resolve(result);
      void worker.terminate();
    });
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (code !== 0) reject(new Error(`the ${request.side} worker exited with code ${code}`));
    });
  });
}
