import type { Progress } from '../tty.js';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { ModuleGraph } from './module-info.js';
import { buildPrefilter } from './prefilter.js';
import { scanSource } from './scan-file.js';
import { toPosix } from '../analyzer/specifiers.js';
import type { FileScanResult, ScanConfig } from '../analyzer/check-types.js';
import { inputError } from './walk.js';
import type { WorkerInput } from './worker.js';

/**
 * Starting a worker (it loads the TypeScript parser) takes about as long as this thread needs to
 * parse this much source; a worker is worth it only when each gets at least twice that.
 */
const STARTUP_BYTES = 8_000_000;
const MAX_THREADS = 8;
const READ_CONCURRENCY = 32;

export interface ScanOutcome {
  results: FileScanResult[];
  /** Files that passed the pre-filter and were parsed. */
  scanned: number;
  /** Threads that parsed, this one included; 1 means no worker was started. */
  threads: number;
}

interface Candidate {
  file: string;
  rel: string;
  text: string;
}

/**
 * Reads every file, keeps those the text pre-filter lets through, and scans them on this thread
 * or, for big trees, on worker threads (each parses its share once; nothing else is shared).
 */
export async function scanFiles(files: string[], cwd: string, config: ScanConfig, jobs?: number, progress?: Progress): Promise<ScanOutcome> {
  const prefilter = buildPrefilter(config);
  const candidates: Candidate[] = [];
  await forEachLimited(files, READ_CONCURRENCY, async (file) => {
    const rel = toPosix(path.relative(cwd, file)) || path.basename(file);
    let text: string;
    try {
      text = await fs.readFile(file, 'utf8');
    } catch (error) {
      throw inputError(rel, error);
    }
    if (prefilter(text)) candidates.push({ file, rel, text });
  });
  const threads = workerUrl() ? chooseThreadCount(candidates.length, sumBytes(candidates), availableCpus(), jobs) : 1;
  let done = 0;
  const onFile = progress && ((rel: string, n = 1) => progress(`port-db: checked ${rel} (${(done += n)}/${candidates.length} files that mention SQL)`));
  const results = threads > 1 ? await scanOnThreads(candidates, config, threads, jobs === undefined ? STARTUP_BYTES : 0, onFile) : scanHere(candidates, config, onFile);
  return { results, scanned: candidates.length, threads };
}

function scanHere(candidates: Candidate[], config: ScanConfig, onFile?: (rel: string, n?: number) => void): FileScanResult[] {
  const graph = new ModuleGraph(config);
  return candidates.map((c) => {
    const result = scanSource(c.text, c.file, c.rel, config, graph);
    onFile?.(c.rel);
    return result;
  });
}

/** Worker threads need the compiled worker; running from TypeScript sources (tests) scans here. */
function workerUrl(): URL | undefined {
  if (!import.meta.url.endsWith('.js')) return undefined;
  return new URL('./worker.js', import.meta.url);
}

/**
 * How many threads parse, this one included: `jobs` when given (never more than the files), else
 * one more per 2 × {@link STARTUP_BYTES} of source, at most one per CPU and eight in all.
 */
export function chooseThreadCount(files: number, bytes: number, cpus: number, jobs?: number): number {
  if (jobs !== undefined) return Math.max(1, Math.min(jobs, files));
  const useful = 1 + Math.floor(bytes / (2 * STARTUP_BYTES));
  return Math.max(1, Math.min(cpus, MAX_THREADS, files, useful));
}

/**
 * Splits the files between this thread and `threads - 1` workers and scans them all. Workers
 * start first; this thread takes a larger share (`headStart` bytes more) because it does not
 * have to load the parser, so all finish at about the same time.
 */
async function scanOnThreads(candidates: Candidate[], config: ScanConfig, threads: number, headStart: number, onFile?: (rel: string, n?: number) => void): Promise<FileScanResult[]> {
  const total = sumBytes(candidates);
  const mainTarget = Math.min(total, (total + (threads - 1) * headStart) / threads);
  const workerTarget = (total - mainTarget) / (threads - 1);
  const shares = Array.from({ length: threads }, (_, i) => ({ target: i === 0 ? mainTarget : workerTarget, bytes: 0, files: [] as Candidate[] }));
  // Largest files first, each to the share furthest below its target.
  for (const c of [...candidates].sort((a, b) => b.text.length - a.text.length)) {
    const share = shares.reduce((best, s) => (s.target - s.bytes > best.target - best.bytes ? s : best));
    share.files.push(c);
    share.bytes += c.text.length;
  }
  const url = workerUrl()!;
  const pending = shares
    .slice(1)
    .filter((share) => share.files.length > 0)
    .map((share) =>
      runWorker(url, { config, files: share.files }).then((results) => {
        onFile?.(`${share.files.length} on a worker thread`, share.files.length);
        return results;
      }),
    );
  // Keep a failed worker from being reported as unhandled while this thread is busy.
  for (const p of pending) p.catch(() => undefined);
  const here = scanHere(shares[0].files, config, onFile);
  return [...here, ...(await Promise.all(pending)).flat()];
}

function runWorker(url: URL, input: WorkerInput): Promise<FileScanResult[]> {
  return new Promise<FileScanResult[]>((resolve, reject) => {
    const worker = new Worker(url, { workerData: input });
    let answered = false;
    worker.once('message', (results: FileScanResult[]) => {
      answered = true;
      resolve(results);
    });
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (!answered) reject(new Error(`port-db check worker exited with code ${code} before answering`));
    });
  });
}

function sumBytes(candidates: Candidate[]): number {
  return candidates.reduce((n, c) => n + c.text.length, 0);
}

function availableCpus(): number {
  return typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
}

async function forEachLimited<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const run = async () => {
    while (next < items.length) await fn(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, run));
}
