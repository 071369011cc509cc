import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve, sep } from 'node:path';
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
export const nativeDiagnose: Diagnose = (program) => {
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

    let out: string;
    try {
      out = execFileSync(nativeTsc(), ['-p', tsconfig, '--pretty', 'false'], { cwd: tmp, encoding: 'utf8', maxBuffer: 256 * 2 ** 20, stdio: ['ignore', 'pipe', 'pipe'] });
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
      byFile.set(path, [...(byFile.get(path) ?? []), last]);
    }
    // messages name the mirrored files by their temporary paths: named as the files they stand for
    for (const list of byFile.values()) for (const d of list) d.text = d.text.split(mirror).join(anchor).split(toPosixPath(mirror)).join(toPosixPath(anchor));
    return { of: (path: string) => byFile.get(path) ?? [] };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
};

/** The offsets where the lines of a text start. */
function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}

const toPosixPath = (p: string) => p.split(sep).join('/');
const oneLine = (text: string) => text.replace(/\s*\n\s*/g, ' ').trim();
