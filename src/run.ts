import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { OutputError, PortDbError, SourceError, UsageError } from './errors.js';
import { portModule } from './port-module.js';
import type { PortReport } from './report/model.js';
import { renderJson, renderMarkdown } from './report/markdown.js';
import { loadRulePack, type RulePack } from './rules.js';

export interface PortOptions {
  roots: string[];
  out?: string;
  rules?: string;
  dryRun?: boolean;
  force?: boolean;
  cwd?: string;
}

/** One file the port writes (or would write, in a dry run). */
export interface OutputFile {
  path: string;
  /** Path as shown to the user (relative to the root, or to --out). */
  display: string;
  content: string;
  /** What is on disk now, if anything. */
  previous?: string;
}

export interface ModuleResult {
  root: string;
  sourcePath: string;
  sourceDisplay: string;
  sourceText: string;
  report: PortReport;
  files: OutputFile[];
}

export interface PortResult {
  modules: ModuleResult[];
  written: boolean;
  rules: RulePack;
}

const SKIP_DIRS = new Set(['node_modules', '.git', 'dist', 'discovery', '.port-db']);
const toPosix = (p: string) => p.split(sep).join('/');

/** Every `db/sqlalchemy/api.ts` below a root, sorted (deterministic order). */
export function findModules(root: string): string[] {
  const found: string[] = [];
  const visit = (dir: string) => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch (e) {
      throw new UsageError(`cannot read folder ${dir}: ${(e as Error).message}`, 'check the folder exists and is readable');
    }
    for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      const path = join(dir, entry.name);
      if (entry.isDirectory() && !SKIP_DIRS.has(entry.name)) visit(path);
      else if (entry.isFile() && entry.name === 'api.ts' && toPosix(path).endsWith('db/sqlalchemy/api.ts')) found.push(path);
    }
  };
  visit(root);
  return found;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

function readSource(path: string, display: string): string {
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch (e) {
    throw new SourceError(display, 1, 1, `cannot read the module: ${(e as Error).message}`, 'check the file permissions');
  }
  const text = new TextDecoder('utf-8', { fatal: false }).decode(buf);
  if (text.includes('\uFFFD') && !buf.toString('latin1').includes('\uFFFD')) {
    const at = text.indexOf('\uFFFD');
    const line = text.slice(0, at).split('\n').length;
    throw new SourceError(display, line, 1, 'the file is not valid UTF-8', 'convert the module to UTF-8 and run port-db again');
  }
  return text;
}

/**
 * Ports every module under the roots. Everything is computed in memory first; files are
 * written only when every module ported, each through a temporary file and a rename.
 */
export function port(options: PortOptions): PortResult {
  const cwd = options.cwd ?? process.cwd();
  if (options.roots.length === 0) throw new UsageError('no root given', 'usage: port-db port <root...>');
  const rules = loadRulePack(options.rules);
  const modules: ModuleResult[] = [];
  for (const rootArg of options.roots) {
    const root = resolve(cwd, rootArg);
    if (!existsSync(root)) throw new UsageError(`root not found: ${rootArg}`, 'pass a folder that holds a db/sqlalchemy/api.ts module');
    if (!statSync(root).isDirectory()) throw new UsageError(`root is not a folder: ${rootArg}`, 'pass the folder above db/sqlalchemy/, not a file');
    const sources = findModules(root);
    if (sources.length === 0) {
      throw new UsageError(
        `no db/sqlalchemy/api.ts found under ${rootArg}`,
        'port-db expects the layout <service>/db/sqlalchemy/api.ts (with models.ts beside it); pass the folder that holds it',
      );
    }
    for (const sourcePath of sources) modules.push(portOne(root, sourcePath, rules, options, cwd));
  }
  const seen = new Set<string>();
  for (const m of modules) {
    for (const f of m.files) {
      if (seen.has(f.path)) throw new OutputError(`two modules would write ${f.display}`, 'port the roots one at a time, or give each its own --out');
      seen.add(f.path);
    }
  }
  if (!options.dryRun) writeAll(modules.flatMap((m) => m.files));
  return { modules, written: !options.dryRun, rules };
}

function portOne(root: string, sourcePath: string, rules: RulePack, options: PortOptions, cwd: string): ModuleResult {
  const rel = relative(root, sourcePath);
  const relOut = join(dirname(dirname(rel)), 'discovery');
  const outDir = options.out ? join(resolve(cwd, options.out), relOut) : join(root, relOut);
  const outputPath = join(outDir, 'api.ts');
  const display = (p: string) => toPosix(relative(options.out ? resolve(cwd, options.out) : root, p));
  const sourceDisplay = toPosix(rel);
  const text = readSource(sourcePath, sourceDisplay);
  // relative imports are re-pointed for where the module will be imported from: beside the source
  const { output, report } = portModule({
    sourcePath,
    outputPath: join(dirname(dirname(sourcePath)), 'discovery', 'api.ts'),
    text,
    rules,
    displaySource: sourceDisplay,
    displayOutput: toPosix(join(dirname(dirname(rel)), 'discovery', 'api.ts')),
    models: readModelsFile(join(dirname(sourcePath), 'models.ts')),
  });
  report.outputSha256 = sha256(output);
  const files: OutputFile[] = [
    { path: outputPath, display: display(outputPath), content: output },
    { path: join(outDir, 'PORT-REPORT.md'), display: display(join(outDir, 'PORT-REPORT.md')), content: renderMarkdown(report) },
    { path: join(outDir, 'port-report.json'), display: display(join(outDir, 'port-report.json')), content: renderJson(report) },
  ];
  for (const f of files) {
    if (!existsSync(f.path)) continue;
    if (!lstatSync(f.path).isFile()) throw new OutputError(`${f.display} exists and is not a regular file`, 'move it away, or pass --out DIR');
    f.previous = readFileSync(f.path, 'utf8');
  }
  guardHandEdits(files, options.force ?? false);
  return { root, sourcePath, sourceDisplay, sourceText: text, report, files };
}

function readModelsFile(path: string): { path: string; text: string } | undefined {
  try {
    return { path, text: readFileSync(path, 'utf8') };
  } catch {
    return undefined;
  }
}

/** A discovery module that differs from what port-db last wrote was edited by hand: keep it. */
function guardHandEdits(files: OutputFile[], force: boolean): void {
  const [api, , json] = files;
  if (force || api.previous === undefined || api.previous === api.content) return;
  let recorded: string | undefined;
  try {
    recorded = json.previous ? (JSON.parse(json.previous) as PortReport).outputSha256 : undefined;
  } catch {
    recorded = undefined;
  }
  if (recorded !== sha256(api.previous)) {
    throw new OutputError(
      `${api.display} was edited since port-db wrote it (or was not written by port-db); refusing to overwrite it`,
      'review the dry-run diff (--dry-run), then pass --force to overwrite, or --out DIR to write elsewhere',
    );
  }
}

/** Writes all files through temporary files, then renames them: a failure leaves no half-written output. */
function writeAll(files: OutputFile[]): void {
  const temps: Array<[string, string]> = [];
  try {
    for (const f of files) {
      if (f.previous === f.content) continue;
      mkdirSync(dirname(f.path), { recursive: true });
      const tmp = `${f.path}.port-db-${process.pid}.tmp`;
      writeFileSync(tmp, f.content);
      temps.push([tmp, f.path]);
    }
    for (const [tmp, path] of temps) renameSync(tmp, path);
  } catch (e) {
    for (const [tmp] of temps) if (existsSync(tmp)) unlinkSync(tmp);
    if (e instanceof PortDbError) throw e;
    throw new OutputError(`cannot write the port: ${(e as Error).message}`, 'check the output folder is writable');
  }
}
