import { execFileSync } from 'node:child_process';
import type { ExecFileSyncOptionsWithStringEncoding } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import type { Diag, Diagnose } from './index.js';

/**
 * The native compiler (TypeScript 7, the npm alias `typescript-native`): its `tsc` binary, which
 * has no JS API. `PORT_DB_NATIVE_TSC` names another binary (tests use it to see the fallback).
 */
function nativeTsc(): string {
  if (process.env.PORT_DB_NATIVE_TSC) return process.env.PORT_DB_NATIVE_TSC;
  // the binary ships in a package per platform, an optional dependency of typescript-native
  try {
    const fromNative = createRequire(createRequire(import.meta.url).resolve('typescript-native/package.json'));
    const pkg = fromNative.resolve(`@typescript/typescript-${process.platform}-${process.arch}/package.json`);
    return join(dirname(pkg), 'lib', process.platform === 'win32' ? 'tsc.exe' : 'tsc');
  } catch {
    throw new NativeFailed(`the native compiler (typescript-native) is not installed for ${process.platform}-${process.arch}`);
  }
}

/** Why the native compiler could not check: the caller falls back to the JS checker. */
export class NativeFailed extends Error {}

/** Options forced on top of the user's, as the JS checker forces them. */
const FORCED = { noEmit: true, skipLibCheck: true, incremental: false, composite: false, declaration: false, declarationMap: false, emitDeclarationOnly: false, sourceMap: false, inlineSourceMap: false };

/** The options of the JS checker's defaults (no tsconfig.json above the source), for tsc. */
const DEFAULTS = { target: 'ES2022', module: 'ESNext', moduleResolution: 'Bundler', strict: false, types: [] as string[] };

/**
 * One `tsc` run over the files given as text and the project's declarations. tsc reads files
 * from disk: the given files are written to a temporary folder (never the user's tree) that
 * mirrors the project, and `rootDirs` makes their relative imports resolve to the user's files as
 * if they stood in place. A given file whose text is on disk already is checked in place.
 */
export const nativeDiagnose: Diagnose = (program, meanwhile) => {
  // its real path: tsc names files by it (a temporary folder behind a symbolic link, as on macOS)
  const tmp = realpathSync(mkdtempSync(join(tmpdir(), 'port-db-tsc-')));
  try {
    const onDisk = (f: { path: string; text: string }) => {
      try {
        return readFileSync(f.path, 'utf8') === f.text;
      } catch {
        return false;
      }
    };
    const written = program.files.filter((f) => !onDisk(f));
    // the mirror's root: the folder that holds the project and every file written
    let anchor = program.base;
    for (const f of written) while (relative(anchor, f.path).startsWith('..')) anchor = dirname(anchor);
    const mirror = join(tmp, 'root');
    const inMirror = (path: string) => join(mirror, relative(anchor, path));
    for (const f of written) {
      mkdirSync(dirname(inMirror(f.path)), { recursive: true });
      writeFileSync(inMirror(f.path), f.text);
    }
    const contract = join(tmp, 'contract.d.ts');
    writeFileSync(contract, program.contract);
    const own = new Set(written.map((f) => f.path));
    const files = [...program.declarations, ...program.files.map((f) => (own.has(f.path) ? inMirror(f.path) : f.path)), contract];
    const rootDirs = [anchor, mirror, ...(program.options.rootDirs ?? [])];
    const compilerOptions = { ...(program.configPath ? {} : DEFAULTS), ...FORCED, rootDirs, ...(program.options.rootDir ? { rootDir: sep } : {}) };
    const tsconfig = join(tmp, 'tsconfig.json');
    writeFileSync(tsconfig, JSON.stringify({ ...(program.configPath ? { extends: program.configPath } : {}), compilerOptions, files, include: [] }));

    const args = ['-p', tsconfig, '--pretty', 'false'];
    const options: ExecFileSyncOptionsWithStringEncoding = { cwd: tmp, encoding: 'utf8', maxBuffer: 256 * 2 ** 20, stdio: ['ignore', 'pipe', 'pipe'] };
    let out: string;
    try {
      // on the helper thread, while this one does what the caller has to do anyway (parse the ports)
      out = viaThread(nativeTsc(), args, options, meanwhile) ?? execFileSync(nativeTsc(), args, options);
    } catch (e) {
      const err = e as { status?: number | null; signal?: string | null; stdout?: string; stderr?: string; code?: string };
      // exit 1 or 2: diagnostics were found; anything else: tsc did not run
      if (typeof err.stdout !== 'string' || (err.status !== 1 && err.status !== 2)) {
        if (err.code === 'ENOENT' || err.code === 'EACCES') throw new NativeFailed('the native compiler (typescript-native) is not installed');
        throw new NativeFailed(`the native compiler failed (${err.signal ?? `exit ${err.status ?? err.code}`}${err.stderr ? `: ${oneLine(err.stderr).slice(0, 200)}` : ''})`);
      }
      out = err.stdout;
    }
    const byFile = new Map<string, Diag[]>();
    const back = (path: string) => {
      const abs = resolve(tmp, path);
      return abs.startsWith(mirror + sep) ? join(anchor, relative(mirror, abs)) : abs;
    };
    const text = new Map(program.files.map((f) => [f.path, f.text]));
    // each file's line starts, computed once: a 100k-line port has thousands of diagnostics
    const starts = new Map<string, number[]>();
    let last: Diag | undefined;
    for (const line of out.split(/\r?\n/)) {
      if (/^\s/.test(line) && last) {
        last.text += `\n${line}`;
        continue;
      }
      last = undefined;
      const m = /^(?:(.*)\((\d+),(\d+)\): )?error TS(\d+): (.*)$/.exec(line);
      if (!m) continue;
      // an error of the configuration (an option tsc 7 removed, a file it cannot find): it would
      // not check as the user's tsconfig says
      const code = Number(m[4]);
      if ((code >= 5000 && code < 6000) || m[1]?.endsWith('.json') || (!m[1] && code >= 6000 && code < 7000)) {
        throw new NativeFailed(`the native compiler rejected the configuration: TS${code}: ${m[5]}`);
      }
      if (!m[1]) continue;
      const path = back(m[1]);
      const source = text.get(path);
      if (source === undefined) continue;
      if (!starts.has(path)) starts.set(path, lineStarts(source));
      const lines = starts.get(path)!;
      last = { start: (lines[Number(m[2]) - 1] ?? source.length) + Number(m[3]) - 1, code, text: m[5] };
      const list = byFile.get(path);
      if (list) list.push(last);
      else byFile.set(path, [last]);
    }
    // messages name the mirrored files by their temporary paths: named as the files they stand for
    for (const list of byFile.values()) for (const d of list) d.text = d.text.split(mirror).join(anchor).split(toPosixPath(mirror)).join(toPosixPath(anchor));
    return { of: (path: string) => byFile.get(path) ?? [] };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
};

/**
 * Runs tsc on a helper thread (which only waits for it), so that this thread can work while the
 * compiler checks: `meanwhile` is called with a test of whether it still does. Answers what
 * execFileSync would (its stdout; throws as it throws), or undefined when no thread runs it (the
 * caller runs it then). The thread is started once per process, by `prestartNative` as early as
 * a run knows it will check (starting one takes about 50 ms: by then it is ready), or here.
 */
function viaThread(file: string, args: string[], options: ExecFileSyncOptionsWithStringEncoding, meanwhile?: (running: () => boolean) => void): string | undefined {
  const helper = tscThread();
  if (!helper) return undefined;
  Atomics.store(helper.flag, 0, 0);
  // the environment as it is now (a thread's copy is the one it was started with)
  helper.worker.postMessage({ file, args, options: { ...options, env: { ...process.env } } });
  meanwhile?.(() => Atomics.load(helper.flag, 0) === 0);
  // a thread that has not even started after a long wait never will (it cannot say why while
  // this thread waits): tsc runs on this one
  while (Atomics.wait(helper.flag, 0, 0, 10_000) === 'timed-out') {
    if (Atomics.load(helper.flag, 1) === 0) {
      thread = null;
      void helper.worker.terminate();
      return undefined;
    }
  }
  const answer = receiveMessageOnPort(helper.port)?.message as { status: number | null; signal: string | null; stdout: string; stderr: string; code?: string } | undefined;
  if (!answer) return undefined;
  if (answer.code !== undefined || answer.status !== 0) throw Object.assign(new Error(`tsc: ${answer.code ?? answer.signal ?? `exit ${answer.status}`}`), answer);
  return answer.stdout;
}

/**
 * The helper thread's code: says it started (flag 1), then runs each file it is sent (only ever
 * nativeTsc()), without a shell, answers on the port and raises flag 0.
 */
const THREAD = `
const { parentPort, workerData: { port, flag } } = require('node:worker_threads');
const { spawnSync } = require('node:child_process');
Atomics.store(flag, 1, 1);
parentPort.on('message', ({ file, args, options }) => {
  let answer;
  try {
    const r = spawnSync(file, args, options);
    answer = { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr, code: r.error ? String(r.error.code ?? r.error.message) : undefined };
  } catch (e) {
    answer = { status: null, signal: null, stdout: undefined, stderr: '', code: String((e && (e.code ?? e.message)) ?? e) };
  }
  port.postMessage(answer);
  Atomics.store(flag, 0, 1);
  Atomics.notify(flag, 0);
});
`;

let thread: { worker: Worker; port: MessagePort; flag: Int32Array } | null | undefined;

/** The helper thread, started on first use; null when threads cannot start (tsc then runs on this one). */
function tscThread(): typeof thread {
  if (thread !== undefined) return thread;
  try {
    const flag = new Int32Array(new SharedArrayBuffer(8));
    const { port1, port2 } = new MessageChannel();
    const worker = new Worker(THREAD, { eval: true, workerData: { port: port2, flag }, transferList: [port2] });
    // it never keeps the process alive: a run ends when its work does
    worker.unref();
    port1.unref();
    thread = { worker, port: port1, flag };
  } catch {
    thread = null;
  }
  return thread;
}

/**
 * Starts the helper thread that will run the native compiler (see viaThread): called when a run
 * starts that will check with it, so the thread is ready when the ports are.
 */
export function prestartNative(): void {
  tscThread();
}

/** The offsets where the lines of a text start. */
function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}

const toPosixPath = (p: string) => p.split(sep).join('/');
const oneLine = (text: string) => text.replace(/\s*\n\s*/g, ' ').trim();
