import type { Progress } from '../tty.js';
import { createHash } from 'node:crypto';
import { lstatSync, mkdirSync, readdirSync, readFileSync, realpathSync, renameSync, rmSync, statSync, writeFileSync, type Stats } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { codeFrame, OutputError, PortDbError, SourceError, UsageError } from '../errors.js';
import { findConflictMarkers, mergeThreeWay, type MergeConflict } from './merge.js';
import type { ModelCatalog } from '../analyzer/models.js';
import { projectFormatter } from '../format.js';
import { portModule } from './port-module.js';
import { portModels } from './port-models.js';
import { toPosix } from '../analyzer/specifiers.js';
import { findSqlModules } from '../tree.js';
import { verifyAll, type CheckerKind, type VerifyJob, type VerifyResult } from '../verify/index.js';
import { pinPort } from '../verify/pins.js';
import { checkLocks } from '../verify/locks.js';
import { combineWiring, planWiring, type ConfigFile } from './wire.js';
import type { PortReport } from '../report/model.js';
import type { MergeInfo, MergeStatus, ModuleResult, OutputFile, PortResult } from '../report/result.js';
import { renderJson, renderMarkdown } from '../report/markdown.js';
import { loadRulePack, resolveRulesSpec, type RulePack } from '../rules.js';

export type { MergeInfo, MergeStatus, ModuleResult, OutputFile, PortResult } from '../report/result.js';

/** Config files per root, read once per run for the wiring of every module under it. */
type WiringCache = Map<string, ConfigFile[]>;

export interface PortOptions {
  roots: string[];
  /** Type-check each port against the ROME contract (default true). */
  verify?: boolean;
  /** The compiler that checks: TypeScript 7's native `tsc` (default; falls back to `js` when it cannot run) or TypeScript 6's. */
  checker?: CheckerKind;
  out?: string;
  rules?: string;
  dryRun?: boolean;
  force?: boolean;
  /** Add the discovery backend to the service's dispatcher and select it in its config (issue 9). */
  wire?: boolean;
  cwd?: string;
  /** Told what the run is doing, once per module and once for the type check (the CLI shows it on a terminal). */
  progress?: Progress;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** Offset of the first byte that is not valid UTF-8, or -1. */
function invalidUtf8At(buf: Uint8Array): number {
  let i = 0;
  while (i < buf.length) {
    const b = buf[i];
    if (b < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let min: number;
    if (b >= 0xc2 && b <= 0xdf) [need, min] = [1, 0x80];
    else if (b >= 0xe0 && b <= 0xef) [need, min] = [2, 0x800];
    else if (b >= 0xf0 && b <= 0xf4) [need, min] = [3, 0x10000];
    else return i;
    if (i + need >= buf.length) return i;
    let cp = b & (0x3f >> need);
    for (let k = 1; k <= need; k++) {
      const c = buf[i + k];
      if (c === undefined || (c & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (c & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += need + 1;
  }
  return -1;
}

/** 1-based line and column (in characters) of a byte offset. */
function positionOf(buf: Buffer, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset; i++) if (buf[i] === 0x0a) [line, lineStart] = [line + 1, i + 1];
  return { line, column: [...buf.subarray(lineStart, offset).toString('utf8')].length + 1 };
}

/**
 * Decodes a text file strictly: a NUL byte (binary file) or bytes that are not UTF-8 are bad input,
 * reported at their line and column. Returns undefined when the text is fine.
 */
function checkText(buf: Buffer): { line: number; column: number; message: string; frame?: string } | undefined {
  const nul = buf.indexOf(0);
  if (nul >= 0) {
    const at = positionOf(buf, nul);
    return { line: at.line, column: at.column, message: 'binary file (contains a NUL byte), not a TypeScript module' };
  }
  const bad = invalidUtf8At(buf);
  if (bad >= 0) {
    const at = positionOf(buf, bad);
    return { line: at.line, column: at.column, message: `the file is not valid UTF-8 (byte 0x${buf[bad].toString(16).padStart(2, '0')})`, frame: codeFrame(buf.toString('utf8'), at.line, at.column, 0) };
  }
  return undefined;
}

/** Reads a source file (the module, its models): anything but a readable UTF-8 text file is bad input. */
function readSource(path: string, display: string, what = 'the module'): string {
  let buf: Buffer;
  try {
    const st = statSync(path);
    if (!st.isFile()) {
      throw new SourceError(display, 1, 1, `cannot read ${what}: it is ${kindOf(st)}, not a file`, `port-db expects a TypeScript file at ${display}; move the ${kindOf(st)} away`);
    }
    buf = readFileSync(path);
  } catch (e) {
    if (e instanceof PortDbError) throw e;
    throw new SourceError(display, 1, 1, `cannot read ${what}: ${(e as Error).message}`, 'check the file exists and is readable (permissions), then run port-db again; nothing was written');
  }
  const bad = checkText(buf);
  if (bad) {
    const hint = bad.message.startsWith('binary')
      ? `point port-db at TypeScript source; ${display} is not text`
      : `convert ${display} to UTF-8 (e.g. iconv -f latin1 -t utf-8) and run port-db again; nothing was written`;
    throw new SourceError(display, bad.line, bad.column, bad.message, hint, bad.frame);
  }
  // a byte order mark is dropped, as a UTF-8 decoder does: the port is written without one
  const text = buf.toString('utf8');
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

function kindOf(st: Stats): string {
  if (st.isDirectory()) return 'a folder';
  if (st.isSymbolicLink()) return 'a symbolic link';
  if (st.isFIFO()) return 'a named pipe';
  if (st.isSocket()) return 'a socket';
  if (st.isBlockDevice() || st.isCharacterDevice()) return 'a device';
  return 'not a regular file';
}

/**
 * Ports every module under the roots. Everything is computed in memory first; files are
 * written only when every module ported, each through a temporary file and a rename.
 */
export function port(options: PortOptions): PortResult {
  const cwd = options.cwd ?? process.cwd();
  if (options.roots.length === 0) throw new UsageError('no root given', 'usage: port-db port <root...>');
  const outDir = options.out !== undefined ? outFolder(resolve(cwd, options.out), options.out) : undefined;
  // --rules wins, then the root's port-db.config.json, then the bundled pack; each loaded once
  const packs = new Map<string, RulePack>();
  const packFor = (root: string): RulePack => {
    const { spec } = resolveRulesSpec(root, options.rules, cwd);
    let pack = packs.get(spec);
    if (!pack) packs.set(spec, (pack = loadRulePack(spec, cwd)));
    return pack;
  };
  let rules: RulePack | undefined;
  const ported: PortedModule[] = [];
  const configs: WiringCache = new Map();
  for (const rootArg of options.roots) {
    const root = rootFolder(resolve(cwd, rootArg), rootArg);
    rules = packFor(root);
    const sources = findSqlModules(root);
    if (sources.length === 0) {
      throw new UsageError(
        `no db/sqlalchemy/api.ts found under ${rootArg}`,
        'port-db expects the layout <service>/db/sqlalchemy/api.ts (with models.ts beside it); pass the folder that holds it',
      );
    }
    for (const [i, sourcePath] of sources.entries()) {
      options.progress?.(`port-db: porting ${toPosix(relative(cwd, sourcePath))} (${i + 1}/${sources.length})`);
      ported.push(portOne(root, sourcePath, rules, options, cwd, configs));
    }
  }
  // every port of the run type-checked at once: one program (one compiler run) for the whole tree
  const jobs = ported.flatMap((p) => (p.job ? [p.job] : []));
  if (jobs.length > 0) options.progress?.(`port-db: type-checking ${jobs.length} port${jobs.length === 1 ? '' : 's'}`);
  const verdicts = jobs.length > 0 ? verifyAll(jobs, options.checker) : [];
  const modules = ported.map((p) => p.finish(p.job && verdicts[jobs.indexOf(p.job)]));
  shareWiring(modules);
  const seen = new Set<string>();
  for (const m of modules) {
    for (const f of [...m.files, ...m.state, ...m.wiring]) {
      if (seen.has(f.path)) throw new OutputError(`two modules would write ${f.display}`, 'port the roots one at a time, or give each its own --out');
      seen.add(f.path);
    }
  }
  if (!options.dryRun) writeAll(modules);
  return { modules, written: !options.dryRun, rules: rules!, ...(outDir !== undefined ? { outDir } : {}) };
}

/**
 * The --out folder, absolute. A filesystem root is refused: `--out /` would write
 * `/<service>/db/discovery/...` beside the system's own folders, never what was meant.
 */
function outFolder(abs: string, given: string): string {
  if (dirname(abs) === abs) {
    throw new UsageError(
      `--out ${given} is the root of the filesystem: port-db would write ${join(abs, '<service>', 'db', 'discovery')} there`,
      'pass a folder of its own, e.g. --out ./ported (port-db mirrors each root under it), or leave --out out to write beside the sources',
    );
  }
  return abs;
}

/** Modules that wire the same file (a shared config) write it once, with all their edits. */
function shareWiring(modules: ModuleResult[]): void {
  const byPath = new Map<string, OutputFile[]>();
  for (const m of modules) for (const f of m.wiring) byPath.set(f.path, [...(byPath.get(f.path) ?? []), f]);
  for (const [, files] of byPath) {
    if (files.length < 2) continue;
    const [first] = files;
    const content = combineWiring(first.wiring!.text, files.map((f) => f.wiring!.edits));
    if (content === undefined) throw new OutputError(`two modules would change the same lines of ${first.display} differently to wire their backends`, 'wire the modules one at a time (port each with --wire on its own)');
    first.content = content;
    first.hold = files.some((f) => f.hold);
    for (const m of modules) m.wiring = m.wiring.filter((f) => f.path !== first.path || f === first);
  }
}

function rootFolder(root: string, rootArg: string): string {
  let st: Stats;
  try {
    st = statSync(root);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new UsageError(`root not found: ${rootArg}`, 'pass a folder that holds a db/sqlalchemy/api.ts module');
    throw new UsageError(`cannot read root ${rootArg}: ${(e as Error).message}`, 'check the folder exists and is readable');
  }
  if (!st.isDirectory()) throw new UsageError(`root is not a folder: ${rootArg}`, 'pass the folder above db/sqlalchemy/, not a file');
  return root;
}

/** A module ported in memory: what to type-check (absent with --no-verify), and the rest of its port once checked. */
interface PortedModule {
  job?: VerifyJob;
  finish: (verdicts?: VerifyResult[]) => ModuleResult;
}

function portOne(root: string, sourcePath: string, rules: RulePack, options: PortOptions, cwd: string, configs: WiringCache): PortedModule {
  const rel = relative(root, sourcePath);
  const relOut = join(dirname(dirname(rel)), 'discovery');
  const outDir = options.out ? join(resolve(cwd, options.out), relOut) : join(root, relOut);
  const outputPath = join(outDir, 'api.ts');
  const display = (p: string) => toPosix(relative(options.out ? resolve(cwd, options.out) : root, p));
  const sourceDisplay = toPosix(rel);
  const text = readSource(sourcePath, sourceDisplay);
  // the ports as imported: beside the source (with --out they are written elsewhere, but their
  // relative imports resolve from there), and as shown
  const home = join(dirname(dirname(sourcePath)), 'discovery');
  const shownHome = toPosix(relOut);
  const modelsSource = readModelsFile(join(dirname(sourcePath), 'models.ts'), toPosix(join(dirname(rel), 'models.ts')));
  const modelsHome = join(home, 'models.ts');
  const modelsDisplay = { source: toPosix(join(dirname(rel), 'models.ts')), output: `${shownHome}/models.ts` };
  const models = modelsSource ? portModelsOf(modelsSource, modelsHome, modelsDisplay, rules) : undefined;
  let { output, report } = portModule({
    sourcePath,
    outputPath: join(home, 'api.ts'),
    text,
    rules,
    displaySource: sourceDisplay,
    displayOutput: `${shownHome}/api.ts`,
    models: modelsSource && { ...modelsSource, display: modelsDisplay.source, catalog: models?.catalog },
    modelsPorted: models !== undefined,
    // the project's style where the port lives in it (the same port with --out)
    format: () => projectFormatter(join(home, 'api.ts')),
  });
  let modelsOutput = models?.output;
  let job: VerifyJob | undefined;
  if (options.verify !== false) {
    // type-check the port against the ROME contract, with the user's own tsconfig (issue 5)
    const companions = modelsOutput !== undefined ? [{ path: modelsHome, text: modelsOutput }] : [];
    // the models port in the same program as the api port
    const also = models && modelsSource && modelsOutput !== undefined ? [{ sourcePath: modelsSource.path, sourceText: modelsSource.text, outputPath: modelsHome }] : [];
    job = { opts: { sourcePath, sourceText: text, outputPath: join(home, 'api.ts'), outputText: output, targetModule: rules.target.module, companions }, also };
  }
  return { job, finish };

  function finish(verdicts?: VerifyResult[]): ModuleResult {
    if (verdicts) {
      const [verify, modelsVerify] = verdicts;
      report.verify = verify;
      if (models && modelsVerify) models.report.verify = modelsVerify;
      // each error inside a manual item pinned on its line: the port compiles as written
      output = pinPort(output, eolOf(output), verify, report);
      if (models && modelsVerify && modelsOutput !== undefined) modelsOutput = pinPort(modelsOutput, eolOf(modelsOutput), modelsVerify, models.report);
    }
    report.outputSha256 = sha256(output);
    if (models) {
      if (modelsOutput !== undefined) models.report.outputSha256 = sha256(modelsOutput);
      report.models = models.report;
    }
    const wiring = planWiring(root, sourcePath, !!options.wire && !options.dryRun, configs);
    report.wiring = wiring.report;
    const files: OutputFile[] = [
      { path: outputPath, display: display(outputPath), content: output },
      // the reports are rendered once the module's text is known (below)
      { path: join(outDir, 'PORT-REPORT.md'), display: display(join(outDir, 'PORT-REPORT.md')), content: '' },
      { path: join(outDir, 'port-report.json'), display: display(join(outDir, 'port-report.json')), content: '' },
    ];
    const stateFile = (p: string): OutputFile => ({ path: p, display: display(p), content: '' });
    const ownOf = (name: string) => ({
      base: stateFile(join(outDir, STATE_DIR, `${name}.base.ts`)),
      pending: stateFile(join(outDir, STATE_DIR, `${name}.pending.ts`)),
      conflict: stateFile(join(outDir, `${name}.conflict.ts`)),
    });
    const own = ownOf('api');
    const modelsOwn = ownOf('models');
    let modelsFile: OutputFile | undefined;
    if (modelsSource && modelsOutput !== undefined) {
      const path = join(outDir, 'models.ts');
      modelsFile = { path, display: display(path), content: modelsOutput, from: { display: modelsDisplay.source, text: modelsSource.text } };
      files.push(modelsFile);
    }
    const outRoot = options.out ? resolve(cwd, options.out) : root;
    for (const f of [...files, own.base, own.pending, own.conflict, ...(modelsFile ? [modelsOwn.base, modelsOwn.pending, modelsOwn.conflict] : [])]) {
      checkOutputPath(outRoot, f.path, f.display, options.out ? '--out' : 'the root');
      // what is merged must be UTF-8; the reports are port-db's own (rewritten whole), and --force overwrites
      f.previous = readOutput(f.path, f.display, !options.force && !f.path.endsWith('.md') && !f.path.endsWith('.json'));
    }
    const plan = planModule(files, own, options.force ?? false, sourceDisplay);
    // the lock paths of api.ts as this run writes it, hand edits merged in (issue 17 §7): the
    // rewriters always release in a finally, an edit may not
    if (verdicts) attachLocks(report, files[0].content);
    files[1].content = renderMarkdown(report);
    files[2].content = renderJson(report);
    // the service's own files: with --out they are written under DIR like the port, never in place
    const wired: OutputFile[] = (options.wire ? wiring.files : []).map((w) => {
      const path = options.out ? join(outRoot, w.rel) : w.path;
      const f: OutputFile = { path, display: display(path), content: w.content, hold: files[0].hold, wiring: { text: w.previous, edits: w.edits } };
      checkOutputPath(outRoot, f.path, f.display, options.out ? '--out' : 'the root');
      f.previous = options.out ? readOutput(f.path, f.display, false) : w.previous;
      return f;
    });
    const result: ModuleResult = { root, sourcePath, sourceDisplay, sourceText: text, report, files, ...plan, wiring: wired };
    // models.ts: merged on its own base; held with everything else when api.ts is held by a conflict
    if (modelsFile && !modelsFile.hold && models) {
      const recorded = recordedHash(files[2].previous, 'models');
      const mplan = planModule(files, modelsOwn, options.force ?? false, models.report.source, { target: modelsFile, recorded, held: [modelsFile] });
      result.state.push(...mplan.state);
      result.remove.push(...mplan.remove);
      result.modelsMerge = mplan.merge;
    }
    return result;
  }
}

/** The lock-path findings of the port on its report entries, and their count in the summary. */
function attachLocks(report: PortReport, text: string): void {
  const check = checkLocks(text, report.functions.map((f) => f.name));
  for (const f of report.functions) {
    const found = check.functions.get(f.name);
    if (found) f.locks = found;
  }
  if (check.module.length > 0) report.module.locks = check.module;
  report.summary.lockFindings = check.module.length + [...check.functions.values()].reduce((n, l) => n + l.length, 0);
}

/** The line ending a text uses (its first one). */
function eolOf(text: string): string {
  const nl = text.indexOf('\n');
  return nl > 0 && text[nl - 1] === '\r' ? '\r\n' : '\n';
}

/** port-db's own files beside the port: the previous generated text (the base of the next merge). */
const STATE_DIR = '.port-db';

/** The models module beside the source: absent is fine (creates get flagged); unreadable is bad input. */
function readModelsFile(path: string, display = basename(path)): { path: string; text: string } | undefined {
  try {
    lstatSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
  }
  return { path, text: readSource(path, display, 'the models module') };
}

/**
 * The models port. A models module that does not parse is bad input (exit 2), like the api module:
 * porting api.ts against the SQL models instead would drop every create's lock and uniqueness
 * check, and replace a good earlier port with that weaker one.
 */
function portModelsOf(
  source: { path: string; text: string },
  outputPath: string,
  shown: { source: string; output: string },
  rules: RulePack,
): { output?: string; catalog?: ModelCatalog; report: NonNullable<PortReport['models']> } {
  return portModels({ sourcePath: source.path, outputPath, text: source.text, rules, displaySource: shown.source, displayOutput: shown.output, format: () => projectFormatter(outputPath) });
}

/** sha256 that port-report.json recorded for the module (or the models) port-db wrote. */
function recordedHash(json: string | undefined, which: 'api' | 'models' = 'api'): string | undefined {
  if (json === undefined) return undefined;
  try {
    const report = JSON.parse(json) as PortReport | null;
    const hash = which === 'models' ? report?.models?.outputSha256 : report?.outputSha256;
    return typeof hash === 'string' ? hash : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Decides what to write for one module so that hand edits are never lost:
 * the module on disk (ours) is merged with the new port (theirs) on the port port-db wrote last
 * (base, kept in `.port-db/api.base.ts`). See MergeStatus.
 */
function planModule(
  files: OutputFile[],
  own: { base: OutputFile; pending: OutputFile; conflict: OutputFile },
  force: boolean,
  sourceDisplay: string,
  /** The file merged (default api.ts), the hash the reports recorded for it, and what a conflict holds (default: every output). */
  which: { target: OutputFile; recorded: string | undefined; held: OutputFile[] } = { target: files[0], recorded: recordedHash(files[2].previous), held: files },
): Pick<ModuleResult, 'state' | 'remove' | 'merge'> {
  const api = which.target;
  const generated = api.content;
  const state: OutputFile[] = [];
  const remove: ModuleResult['remove'] = [];
  const info = (status: MergeStatus, conflicts: MergeConflict[] = [], conflictFile?: string): MergeInfo => ({ status, module: api.display, conflicts, conflictFile });
  /** Writes the module (merged or not), the reports and the new base; drops a resolved conflict. */
  const commit = (content: string, status: MergeStatus) => {
    api.content = content;
    state.push({ ...own.base, content: generated });
    // the conflict file goes before the pending port: an interrupted run never leaves a conflict file without it
    for (const f of [own.conflict, own.pending]) if (f.previous !== undefined) remove.push({ path: f.path, display: f.display });
    return { state, remove, merge: info(status, [], status === 'resolved' ? own.conflict.display : undefined) };
  };
  const hold = () => {
    for (const f of which.held) f.hold = true;
  };
  const pristine = (text: string) => text === own.base.previous || sha256(text) === which.recorded;

  if (force) {
    const edited = api.previous !== undefined && api.previous !== generated && !pristine(api.previous);
    return commit(generated, edited || own.conflict.previous !== undefined ? 'forced' : api.previous === undefined ? 'new' : api.previous === generated ? 'unchanged' : 'updated');
  }
  let ours = api.previous;
  let base = own.base.previous;
  let resolving = false;
  if (own.conflict.previous !== undefined) {
    const markers = findConflictMarkers(own.conflict.previous);
    if (markers.length > 0) {
      hold();
      const conflicts = markers.map((line) => ({ line, endLine: line, oursLine: 0, oursLength: 0, theirsLine: 0, theirsLength: 0 }));
      return { state, remove, merge: info('unresolved', conflicts, own.conflict.display) };
    }
    // the user resolved the conflict file: it is ours now, merged on the port it was merged with
    ours = own.conflict.previous;
    base = own.pending.previous;
    resolving = true;
  }
  if (ours === undefined) return commit(generated, 'new');
  if (ours === generated) return commit(generated, resolving ? 'resolved' : 'unchanged');
  if (ours === base || (!resolving && pristine(ours))) return commit(generated, resolving ? 'resolved' : 'updated');
  if (!resolving && base === generated) return commit(ours, 'kept');
  const merged = mergeThreeWay(base, ours, generated, {
    ours: `${resolving ? own.conflict.display : api.display} (your edits)`,
    base: `${resolving ? own.pending.display : own.base.display} (the port port-db wrote before)`,
    theirs: `the new port of ${sourceDisplay}`,
  });
  if (merged.conflicts.length === 0) return commit(merged.text, resolving ? 'resolved' : 'merged');
  // a conflict: the module, its base and its reports stay as they are; the merge goes beside it
  hold();
  state.push({ ...own.pending, content: generated }, { ...own.conflict, content: merged.text });
  return { state, remove, merge: info('conflict', merged.conflicts, own.conflict.display) };
}

/** A previous output; undefined when there is none. `strict`: bytes that are not UTF-8 are bad input. */
function readOutput(path: string, display: string, strict: boolean): string | undefined {
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new OutputError(`cannot read ${display}: ${(e as Error).message}`, 'port-db reads what it wrote before to keep hand edits; make it readable, or move it away');
  }
  const bad = strict ? checkText(buf) : undefined;
  if (bad) {
    throw new OutputError(
      `${display}:${bad.line}:${bad.column}: ${bad.message}; port-db will not merge into it`,
      `convert ${display} to UTF-8, move it away, or pass --force to overwrite it`,
    );
  }
  return buf.toString('utf8');
}

const isInside = (dir: string, path: string) => {
  const rel = relative(dir, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
};

/** The real path of a path that may not exist yet: its nearest existing ancestor, resolved, plus the rest. */
function realPathOf(path: string): string {
  const rest: string[] = [];
  let cur = path;
  for (;;) {
    try {
      return join(realpathSync(cur), ...rest.reverse());
    } catch {
      const parent = dirname(cur);
      if (parent === cur) return path;
      rest.push(basename(cur));
      cur = parent;
    }
  }
}

/**
 * Output paths never leave the root (or --out): no `..`, no symbolic link that leads outside, and
 * what exists on the way is a folder, and the file itself a regular file (a link is never written through).
 */
function checkOutputPath(outRoot: string, path: string, display: string, where: string): void {
  const rel = relative(outRoot, path);
  const parts = rel.split(sep);
  if (rel === '' || isAbsolute(rel) || parts.includes('..')) {
    throw new OutputError(`${display} would be written outside ${where}`, 'port-db writes only under the root or --out DIR');
  }
  const realRoot = realPathOf(outRoot);
  let cur = outRoot;
  for (let i = 0; i < parts.length; i++) {
    cur = join(cur, parts[i]);
    const shown = toPosix(parts.slice(0, i + 1).join(sep));
    const last = i === parts.length - 1;
    let st: Stats;
    try {
      st = lstatSync(cur);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw new OutputError(`cannot read ${shown}: ${(e as Error).message}`, 'check the output folder is readable');
    }
    if (st.isSymbolicLink()) {
      if (last) throw new OutputError(`${display} is a symbolic link; port-db replaces only regular files`, 'remove the link (or move it away), or pass --out DIR');
      let target: string;
      try {
        target = realpathSync(cur);
      } catch {
        throw new OutputError(`${shown} is a symbolic link that leads nowhere`, 'remove the link, or pass --out DIR');
      }
      if (!isInside(realRoot, target)) {
        throw new OutputError(`${shown} is a symbolic link to ${target}, outside ${where}`, 'port-db writes only under the root or --out DIR: remove the link, or pass --out DIR');
      }
      if (!statSync(cur).isDirectory()) throw new OutputError(`${shown} exists and is not a folder`, 'move it away, or pass --out DIR');
    } else if (!last && !st.isDirectory()) {
      throw new OutputError(`${shown} exists and is not a folder`, 'move it away, or pass --out DIR');
    } else if (last && !st.isFile()) {
      throw new OutputError(`${display} exists and is not a regular file (it is ${kindOf(st)})`, 'move it away, or pass --out DIR');
    }
  }
}

const TEMP = /\.port-db-(\d+)\.tmp$/;

/** Temporary files a killed run left beside the outputs (their process is gone): removed. */
function removeStaleTemps(dirs: Iterable<string>): void {
  for (const dir of dirs) {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      continue;
    }
    for (const name of names) {
      const m = TEMP.exec(name);
      if (!m || Number(m[1]) === process.pid) continue;
      try {
        process.kill(Number(m[1]), 0);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ESRCH') rmSync(join(dir, name), { force: true });
      }
    }
  }
}

/**
 * Writes every module's outputs at the end: each file to a temporary file first, then all are renamed
 * into place. Per module the module is renamed first and its base last, so a run killed halfway leaves
 * a module that the next run merges correctly. A failure restores what was already renamed.
 */
function writeAll(modules: ModuleResult[]): void {
  const writes = modules.flatMap((m) => [...m.files, ...m.wiring].filter((f) => !f.hold).concat(m.state)).filter((f) => f.previous !== f.content);
  const temps: Array<[string, OutputFile]> = [];
  const renamed: OutputFile[] = [];
  try {
    for (const dir of new Set(writes.map((f) => dirname(f.path)))) mkdirSync(dir, { recursive: true });
    removeStaleTemps(new Set(writes.map((f) => dirname(f.path))));
    for (const f of writes) {
      const tmp = `${f.path}.port-db-${process.pid}.tmp`;
      writeFileSync(tmp, f.content);
      temps.push([tmp, f]);
    }
    for (const [tmp, f] of temps) {
      renameSync(tmp, f.path);
      renamed.push(f);
    }
  } catch (e) {
    for (const [tmp] of temps) rmSync(tmp, { force: true });
    for (const f of renamed.reverse()) {
      try {
        if (f.previous === undefined) rmSync(f.path, { force: true });
        else writeFileSync(f.path, f.previous);
      } catch {
        // best effort: the error below names the folder
      }
    }
    if (e instanceof PortDbError) throw e;
    throw new OutputError(`cannot write the port: ${(e as Error).message}`, 'check the output folder is writable; nothing was changed');
  }
  for (const f of modules.flatMap((m) => m.remove)) {
    try {
      rmSync(f.path, { force: true });
    } catch (e) {
      throw new OutputError(`wrote the port but cannot remove ${f.display}: ${(e as Error).message}`, 'remove it by hand; running port-db again is safe');
    }
  }
}
