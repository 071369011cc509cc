import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from '../ts.cjs';
import { toPosix } from '../analyzer/specifiers.js';
import { rulesDir } from '../rules.js';
import { jsDiagnose } from './js.js';
import { hasMarkers, manualAttribution } from './manual.js';
import { NativeFailed, nativeDiagnose } from './native.js';
import { unpinned } from './pins.js';
import { PARSES_KEPT, portSyntax } from './syntax.js';

/** One diagnostic of the emitted module that the source module has no counterpart for. */
export interface VerifyItem {
  /** 1-based line in the emitted module. */
  line: number;
  /** The compiler's diagnostic code (`2339` for TS2339). */
  code: number;
  /** The message on one line; paths in it are relative to the tsconfig's folder, never absolute. */
  message: string;
  /**
   * True when the diagnostic belongs to a manual item: it sits in a statement under a
   * `// port-db: manual` marker, or its statement uses (or its message names) a binding of a
   * manual-marked import (the SQL models module, SQL names kept for manual code), directly or
   * through a variable declared from one — the code compiles once the manual items are done.
   */
  manual: boolean;
  /**
   * True when a `// @ts-expect-error port-db: manual` pin on the line above silences it (port-db
   * pins the lines whose diagnostics are all manual): `tsc` on the port does not report it.
   */
  pinned?: boolean;
}

export interface VerifyResult {
  /** False when the check could not run (see `reason`). */
  checked: boolean;
  /** Diagnostics (errors) of the emitted module. */
  diagnostics: number;
  /**
   * New diagnostics that are not manual: code port-db emitted that does not compile. A port
   * compiles as emitted when this and `manualDiagnostics` are 0.
   */
  newDiagnostics: number;
  /** New diagnostics that belong to manual items (`items[].manual`). */
  manualDiagnostics: number;
  /** Manual diagnostics silenced by a pin (`items[].pinned`): what `tsc` on the port no longer reports. */
  pinned?: number;
  /** Every new diagnostic, by line, then code, then message. */
  items: VerifyItem[];
  /** The tsconfig.json used, relative to the source module's folder (absent: defaults). */
  tsconfig?: string;
  /** Why the check did not run. */
  reason?: string;
  /** Set when the native compiler could not check and TypeScript 6's checker did: why. */
  note?: string;
}

export interface VerifyOptions {
  /** The SQL module (absolute, or relative to the working directory). */
  sourcePath: string;
  sourceText: string;
  /** Where the port is (or would be) written; its relative imports resolve from there. */
  outputPath: string;
  outputText: string;
  /** The rule pack's target module specifier (`rome-orm`): the contract is declared under it. */
  targetModule: string;
  /** Other emitted files the port imports, not on disk yet (db/discovery/models.ts): checked as given. */
  companions?: Array<{ path: string; text: string }>;
}

/** The contract shipped in `rules/`, declaring this module name. */
const CONTRACT_FILE = 'rome-orm.d.ts';
const CONTRACT_MODULE = 'rome-orm';

/** The contract port-db ships, read once per run (every module's check declares it). */
let contractCache: string | undefined;
function contractText(): string | undefined {
  try {
    contractCache ??= readFileSync(join(rulesDir(), CONTRACT_FILE), 'utf8');
  } catch {
    return undefined;
  }
  return contractCache;
}

/** "No inputs were found in config file": the files checked are added explicitly. */
const NO_INPUTS = 18003;

/** Compiler options when no tsconfig.json is found above the source module. */
const DEFAULT_OPTIONS: ts.CompilerOptions = {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.ESNext,
  moduleResolution: ts.ModuleResolutionKind.Bundler,
  strict: false,
  types: [],
};

/**
 * Which compiler checks: `native` is TypeScript 7's `tsc` (one process per program; falls back
 * to `js` when it cannot run, and says so in `note`), `js` is TypeScript 6's checker in process.
 */
export type CheckerKind = 'native' | 'js';

/**
 * Type-checks the emitted module against the ROME contract with the compiler options of the
 * nearest tsconfig.json above the source module, and the source module in the same program. A
 * diagnostic of the output is new when the source module has no diagnostic with the same code
 * and message (line numbers and the modules' own paths aside; compared as multisets). Never
 * throws: a check that cannot run answers `checked: false` and a reason.
 */
export function verifyModule(opts: VerifyOptions, checker: CheckerKind = 'native'): VerifyResult {
  return verifyAll([{ opts }], checker)[0][0];
}

function notChecked(reason: string): VerifyResult {
  return { checked: false, diagnostics: 0, newDiagnostics: 0, manualDiagnostics: 0, items: [], reason };
}

/**
 * A further module checked in the same program as the main one: an emitted file the main port
 * imports (given in `companions`, e.g. db/discovery/models.ts) and the SQL module it ports.
 */
export interface VerifyAlso {
  sourcePath: string;
  sourceText: string;
  /** One of the main check's `companions` (same path, same text). */
  outputPath: string;
}

/** `verifyModule` for the main module and each of `also`, in one program: the results in that order. */
export function verifyModules(opts: VerifyOptions, also: VerifyAlso[], checker: CheckerKind = 'native'): VerifyResult[] {
  return verifyAll([{ opts, also }], checker)[0];
}

/** One port to check: the api module and the further modules checked with it (its models). */
export interface VerifyJob {
  opts: VerifyOptions;
  also?: VerifyAlso[];
}

/**
 * Checks every job, all modules that see the same tsconfig.json (and target module) in one
 * program: one compiler run for a whole tree. Each result is what `verifyModule` answers for
 * that module alone; when modules cannot share a program without possibly changing each other's
 * diagnostics (a file that is not a module declares globals), each is checked in its own.
 * Answers, per job, the main module's result then those of `also`. Never throws.
 */
export function verifyAll(jobs: VerifyJob[], checker: CheckerKind = 'native'): VerifyResult[][] {
  const pending = notChecked('the type check did not run');
  const results = jobs.map((j) => [j.opts, ...(j.also ?? [])].map(() => pending));
  try {
    verifyInto(jobs, checker, results);
  } catch (e) {
    // the programs checked before keep their results
    const reason = `the type check failed: ${e instanceof Error ? e.message : String(e)}`;
    for (const r of results) for (const [i, x] of r.entries()) if (x === pending) r[i] = notChecked(reason);
  }
  return results;
}

/** One module of a program: its port (unpinned) and its SQL module, and where its result goes. */
interface Target {
  sourcePath: string;
  sourceText: string;
  outputPath: string;
  outputText: string;
  job: number;
  index: number;
}

/** What a checker is given: one program's files and settings. */
export interface ProgramInput {
  configPath?: string;
  options: ts.CompilerOptions;
  /** The tsconfig's folder (or the source module's): messages' paths are relative to it. */
  base: string;
  /** The ROME contract, declared under the pack's target module. */
  contract: string;
  /** The project's declaration files: ambient modules and globals no import reaches. */
  declarations: string[];
  /** The ports, their companions and the SQL modules, as text (absolute paths). */
  files: { path: string; text: string }[];
}

/** One error: offset in its file, code, message (chained parts on indented lines). */
export interface Diag {
  start: number;
  code: number;
  text: string;
}

/**
 * A checker: the errors of each file of one program (asked file by file), then `done`. A checker
 * that runs elsewhere (the native compiler) calls `meanwhile` while it does, with a test of
 * whether it still runs.
 */
export type Diagnose = (program: ProgramInput, meanwhile?: (running: () => boolean) => void) => { of: (path: string) => Diag[]; done?: () => void };

function verifyInto(jobs: VerifyJob[], checker: CheckerKind, results: VerifyResult[][]): void {
  const contract = contractText();
  if (contract === undefined) {
    const reason = `the ROME contract rules/${CONTRACT_FILE} is missing from port-db`;
    for (const r of results) r.fill(notChecked(reason));
    return;
  }
  const configs = new Map<string, LoadedConfig>();
  const configOf = (dir: string) => {
    if (!configs.has(dir)) configs.set(dir, loadConfig(dir));
    return configs.get(dir)!;
  };
  // modules that see the same configuration and target module share a program
  const groups = new Map<string, { config: Config; targetModule: string; targets: Target[]; companions: Map<string, string> }>();
  for (const [job, { opts, also = [] }] of jobs.entries()) {
    const companions = new Map((opts.companions ?? []).map((c) => [resolve(c.path), unpinned(c.text)]));
    const targets: Target[] = [
      { sourcePath: resolve(opts.sourcePath), sourceText: opts.sourceText, outputPath: resolve(opts.outputPath), outputText: unpinned(opts.outputText), job, index: 0 },
      ...also.map((a, i) => ({ sourcePath: resolve(a.sourcePath), sourceText: a.sourceText, outputPath: resolve(a.outputPath), outputText: companions.get(resolve(a.outputPath)) ?? '', job, index: i + 1 })),
    ];
    for (const t of targets) {
      const dir = dirname(t.sourcePath);
      const config = configOf(dir);
      if ('error' in config) {
        results[job][t.index] = notChecked(config.error);
        continue;
      }
      const key = JSON.stringify([config.path ?? dir, opts.targetModule]);
      const group = groups.get(key) ?? { config, targetModule: opts.targetModule, targets: [] as Target[], companions: new Map<string, string>() };
      groups.set(key, group);
      group.targets.push(t);
      for (const [path, text] of companions) group.companions.set(path, text);
    }
  }
  for (const group of groups.values()) {
    // a file that is not a module would declare globals the other modules' checks would see
    const script = (text: string) => !/^[ \t]*(import|export)\b/m.test(text);
    const shared = group.targets.length === 1 || !group.targets.some((t) => script(t.sourceText) || script(t.outputText));
    const programs = shared ? [group.targets] : group.targets.map((t) => [t]);
    for (const targets of programs) {
      const companions = shared ? group.companions : new Map(jobs[targets[0].job].opts.companions?.map((c) => [resolve(c.path), unpinned(c.text)]) ?? []);
      checkProgram(group.config, group.targetModule, contract, targets, companions, checker, results);
    }
  }
}

function checkProgram(
  config: Config,
  targetModule: string,
  contract: string,
  targets: Target[],
  companions: Map<string, string>,
  checker: CheckerKind,
  results: VerifyResult[][],
): void {
  const base = config.path ? dirname(config.path) : dirname(targets[0].sourcePath);
  const files = new Map<string, string>();
  for (const t of targets) files.set(t.outputPath, t.outputText);
  for (const [path, text] of companions) files.set(path, text);
  for (const t of targets) files.set(t.sourcePath, t.sourceText);
  const program: ProgramInput = {
    configPath: config.path,
    options: config.options,
    base,
    contract: targetModule === CONTRACT_MODULE ? contract : contract.replace(`declare module '${CONTRACT_MODULE}'`, `declare module ${JSON.stringify(targetModule)}`),
    declarations: declarationFiles(config, (f) => files.has(resolve(f))),
    files: [...files].map(([path, text]) => ({ path, text })),
  };
  // while tsc checks, the ports are parsed for attributing their diagnostics (a 10k-line port:
  // about 0.2 s, as long as tsc takes); no more than the parses kept, and none once tsc is done
  const meanwhile = (running: () => boolean) => {
    for (const t of targets.slice(0, PARSES_KEPT)) if (running() && hasMarkers(t.outputText)) portSyntax(t.outputText);
  };
  const { diagnostics, note } = diagnoseProgram(program, checker, meanwhile);
  try {
    for (const t of targets) {
      const result = analyse(t, diagnostics.of, base);
      if (config.path) result.tsconfig = toPosix(relative(dirname(t.sourcePath), config.path));
      if (note) result.note = note;
      results[t.job][t.index] = result;
    }
  } finally {
    diagnostics.done?.();
  }
}

/**
 * Type-checks a program with the checker asked for; when the native one cannot run, with
 * TypeScript 6's instead, and `note` says so.
 */
export function diagnoseProgram(program: ProgramInput, checker: CheckerKind, meanwhile?: (running: () => boolean) => void): { diagnostics: ReturnType<Diagnose>; note?: string } {
  try {
    return { diagnostics: (checker === 'native' ? nativeDiagnose : jsDiagnose)(program, meanwhile) };
  } catch (e) {
    if (!(e instanceof NativeFailed)) throw e;
    return { diagnostics: jsDiagnose(program), note: `${e.message}; checked with TypeScript 6's checker instead` };
  }
}

/** The declaration files (.d.ts, .d.mts, .d.cts) a tsconfig includes, less those the program writes itself. */
export function declarationFiles(config: { fileNames: string[] }, own: (path: string) => boolean = () => false): string[] {
  return config.fileNames.filter((f) => /\.d\.[cm]?ts$/.test(f) && !own(f));
}

/** The new diagnostics of one port: its errors less the source module's, each manual or not. */
function analyse(t: Target, of: (path: string) => Diag[], base: string): VerifyResult {
  const outputDiagnostics = of(t.outputPath);
  const result: VerifyResult = { checked: true, diagnostics: outputDiagnostics.length, newDiagnostics: 0, manualDiagnostics: 0, items: [] };
  if (outputDiagnostics.length === 0) return result;
  const own = [t.sourcePath, t.outputPath];
  const keys = new Map<string, number>();
  for (const d of of(t.sourcePath)) {
    const key = keyOf(d, t.sourcePath, own, base);
    keys.set(key, (keys.get(key) ?? 0) + 1);
  }
  // parsed only when a diagnostic is left once the source's are taken away
  let manual: ReturnType<typeof manualAttribution> | undefined;
  const lineStarts = [0];
  for (let i = t.outputText.indexOf('\n'); i >= 0; i = t.outputText.indexOf('\n', i + 1)) lineStarts.push(i + 1);
  const lineOf = (at: number) => {
    let lo = 0;
    let hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (lineStarts[mid] <= at) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  };
  for (const d of outputDiagnostics) {
    const key = keyOf(d, t.outputPath, own, base);
    const left = keys.get(key) ?? 0;
    if (left > 0) {
      keys.set(key, left - 1);
      continue;
    }
    result.items.push({ line: lineOf(d.start), code: d.code, message: oneLine(relativizePaths(d.text, base)), manual: (manual ??= manualAttribution(t.outputText))(d.start, d.text) });
  }
  result.items.sort((a, b) => a.line - b.line || a.code - b.code || compare(a.message, b.message));
  result.manualDiagnostics = result.items.filter((i) => i.manual).length;
  result.newDiagnostics = result.items.length - result.manualDiagnostics;
  return result;
}

// -- the configuration --------------------------------------------------------

type Config = { path?: string; options: ts.CompilerOptions; fileNames: string[] };
export type LoadedConfig = Config | { error: string };

/** The nearest tsconfig.json at or above `dir`, parsed (with `extends`), or the defaults. */
export function loadConfig(dir: string): LoadedConfig {
  const path = ts.findConfigFile(dir, ts.sys.fileExists, 'tsconfig.json');
  if (!path) return { options: DEFAULT_OPTIONS, fileNames: [] };
  const shown = toPosix(relative(dir, path));
  const read = ts.readConfigFile(path, ts.sys.readFile);
  if (read.error) return { error: `${shown} cannot be read: ${oneLine(ts.flattenDiagnosticMessageText(read.error.messageText, ' '))}` };
  const parsed = ts.parseJsonConfigFileContent(read.config, ts.sys, dirname(path), undefined, path);
  const errors = parsed.errors.filter((e) => e.code !== NO_INPUTS && e.category === ts.DiagnosticCategory.Error);
  if (errors.length > 0) {
    const text = relativizePaths(ts.flattenDiagnosticMessageText(errors[0].messageText, ' '), dirname(path));
    return { error: `${shown} is not valid: ${oneLine(text)}` };
  }
  return { path, options: parsed.options, fileNames: parsed.fileNames };
}

// -- messages -----------------------------------------------------------------

/** What makes two diagnostics counterparts: the code and the message, lines and own paths aside. */
function keyOf(d: Diag, file: string, own: string[], base: string): string {
  let text = absoluteSpecifiers(d.text, file);
  for (const path of own) {
    for (const form of pathForms(path)) text = text.split(form).join('<module>');
  }
  return `${d.code} ${stripLines(relativizePaths(text, base))}`;
}

/**
 * Relative module specifiers quoted in a message (`'./models'` in the source module,
 * `'../sqlalchemy/models'` in the port) resolved to the file they name, so that both match.
 */
function absoluteSpecifiers(text: string, file: string): string {
  return text.replace(/(["'])(\.\.?\/[^"'\s]*)\1/g, (_whole, quote: string, spec: string) => quote + toPosix(resolve(dirname(file), spec)) + quote);
}

/** A path as the compiler may print it: with and without extension, native and forward slashes. */
function pathForms(path: string): string[] {
  const forms = new Set<string>();
  for (const p of [path, toPosix(path)]) {
    forms.add(p);
    forms.add(p.replace(/\.[cm]?tsx?$/, ''));
  }
  return [...forms].sort((a, b) => b.length - a.length);
}

/** Absolute paths quoted in a message (`'/home/x/app/models'`, `import("C:/x/models")`), relative to `base`. */
function relativizePaths(text: string, base: string): string {
  const from = toPosix(base);
  return text.replace(/(["'`(])(\/[^"'`()\s]*|[A-Za-z]:[\\/][^"'`()\s]*)/g, (_whole, open: string, path: string) => {
    const rel = toPosix(relative(from, toPosix(path)));
    return open + (rel === '' ? '.' : rel);
  });
}

/** Line numbers in a message (`line 12`, `:12:3`) do not make two diagnostics different. */
function stripLines(message: string): string {
  return message.replace(/\bline \d+/gi, 'line #').replace(/:\d+(?::\d+)?\b/g, ':#');
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
