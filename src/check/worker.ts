import { parentPort, workerData } from 'node:worker_threads';
import { ModuleGraph } from './module-info.js';
import { scanSource } from './scan-file.js';
import type { FileScanResult, ScanConfig } from '../analyzer/check-types.js';

/** What the engine sends a worker: the scan configuration and the files (already read) to scan. */
export interface WorkerInput {
  config: ScanConfig;
  files: { file: string; rel: string; text: string }[];
}

const input = workerData as WorkerInput;
const graph = new ModuleGraph(input.config);
const results: FileScanResult[] = input.files.map((f) => scanSource(f.text, f.file, f.rel, input.config, graph));
parentPort!.postMessage(results);
