// One fuzz worker (bench/fuzz.mjs): ports mutants in its own temporary tree (fuzz/classify.mjs).
import { join } from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { classify } from './classify.mjs';
import { fuzzCase } from './mutate.mjs';

const dist = workerData.dist;
const tool = {
  ...(await import(join(dist, 'port', 'run.js'))),
  ...(await import(join(dist, 'errors.js'))),
  ...(await import(join(dist, 'port', 'merge.js'))),
};
// made (and removed) by bench/fuzz.mjs: a worker killed on a hang cannot clean up after itself
const root = workerData.root;

parentPort.on('message', (msg) => {
  const entry = workerData.corpus[msg.entry];
  if (msg.type === 'case') {
    // msg.large: a run on the large seed, there for the rerun path (the merge at size)
    const { bytes, mutations, rerun } = fuzzCase(entry.api, workerData.seed, msg.index, workerData.rerun, msg.large);
    const result = classify(tool, root, bytes, entry.models, rerun, workerData.verify);
    parentPort.postMessage({ type: 'result', index: msg.index, mutations, bytes: result.code === 3 || result.problem ? bytes : undefined, ...result });
  } else if (msg.type === 'try') {
    // minimization and replay: how does this input end?
    parentPort.postMessage({ type: 'tried', ...classify(tool, root, Buffer.from(msg.bytes), entry.models, msg.rerun, workerData.verify) });
  }
});
parentPort.postMessage({ type: 'ready' });
