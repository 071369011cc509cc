import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import ignore, { type Ignore } from 'ignore';
import { CheckInputError } from './errors.js';
import { toPosix } from '../analyzer/specifiers.js';

/** Extensions a directory walk picks up. Declaration files (`.d.ts`) hold no code and are skipped. */
const SOURCE_FILE = /\.(?:ts|tsx|mts|cts)$/i;
const DECLARATION_FILE = /\.d\.(?:ts|mts|cts)$/i;
// `.port-db` holds port-db's own state (the previous generated text, the base of the next merge):
// copies of a port, whose markers the port itself already reports
const ALWAYS_SKIPPED = new Set(['node_modules', '.git', '.port-db']);

/** A `.gitignore` (or `.git/info/exclude`) and the folder its patterns are relative to. */
interface IgnoreLayer {
  base: string;
  rules: Ignore;
}

/**
 * The files to check, as absolute paths, sorted and without duplicates. Files named in `paths`
 * are always included; directories are walked, skipping `node_modules`, `.git`, `.port-db` and whatever
 * the `.gitignore` files of the repository say (those above the directory and inside it). The
 * directories of `paths` in which the walk found no file are pushed to `empty`, as given.
 */
export async function collectFiles(paths: string[], cwd: string, empty?: string[]): Promise<string[]> {
  const files = new Set<string>();
  for (const given of paths) {
    const abs = path.resolve(cwd, given);
    let stat;
    try {
      stat = await fs.stat(abs);
    } catch (error) {
      throw inputError(given, error);
    }
    if (stat.isDirectory()) {
      const found = await walkDirectory(abs, given, cwd);
      if (found.length === 0) empty?.push(given);
      for (const file of found) files.add(file);
    } else {
      files.add(abs);
    }
  }
  return [...files].sort((a, b) => (toPosix(a) < toPosix(b) ? -1 : toPosix(a) > toPosix(b) ? 1 : 0));
}

async function walkDirectory(root: string, given: string, cwd: string): Promise<string[]> {
  const out: string[] = [];
  let layers = await ancestorLayers(root);
  // A directory the user names is walked even when an ancestor .gitignore excludes it.
  if (isIgnored(layers, root, true)) layers = [];
  const walk = async (dir: string, inherited: IgnoreLayer[]): Promise<void> => {
    let entries;
    try {
      entries = await fs.readdir(dir, { withFileTypes: true });
    } catch (error) {
      throw inputError(dir === root ? given : toPosix(path.relative(cwd, dir)), error);
    }
    let own = inherited;
    if (entries.some((e) => e.name === '.gitignore' && e.isFile())) {
      own = [...inherited, await readLayer(dir, path.join(dir, '.gitignore'))];
    }
    const subdirs: string[] = [];
    for (const entry of entries) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (!ALWAYS_SKIPPED.has(entry.name) && !isIgnored(own, full, true)) subdirs.push(full);
      } else if (entry.isFile() && SOURCE_FILE.test(entry.name) && !DECLARATION_FILE.test(entry.name)) {
        if (!isIgnored(own, full, false)) out.push(full);
      }
    }
    await Promise.all(subdirs.map((sub) => walk(sub, own)));
  };
  await walk(root, layers);
  return out;
}

/** Git's precedence: the deepest layer with a matching rule wins; a later `!pattern` re-includes. */
function isIgnored(layers: IgnoreLayer[], file: string, isDir: boolean): boolean {
  let ignored = false;
  for (const layer of layers) {
    const rel = toPosix(path.relative(layer.base, file));
    if (rel === '' || rel.startsWith('..')) continue;
    const result = layer.rules.test(isDir ? `${rel}/` : rel);
    if (result.ignored) ignored = true;
    else if (result.unignored) ignored = false;
  }
  return ignored;
}

/** `.gitignore` files from the repository root (the nearest folder with `.git`) down to `dir`'s parent. */
async function ancestorLayers(dir: string): Promise<IgnoreLayer[]> {
  const chain: string[] = [];
  let repoRoot: string | undefined;
  for (let d = path.dirname(dir); ; d = path.dirname(d)) {
    chain.unshift(d);
    if (existsSync(path.join(d, '.git'))) {
      repoRoot = d;
      break;
    }
    if (path.dirname(d) === d) break;
  }
  if (existsSync(path.join(dir, '.git'))) repoRoot = dir;
  if (repoRoot === undefined) return [];
  const layers: IgnoreLayer[] = [];
  const exclude = path.join(repoRoot, '.git', 'info', 'exclude');
  if (existsSync(exclude)) layers.push(await readLayer(repoRoot, exclude));
  if (repoRoot === dir) return layers;
  for (const d of chain) {
    const file = path.join(d, '.gitignore');
    if (existsSync(file)) layers.push(await readLayer(d, file));
  }
  return layers;
}

async function readLayer(base: string, file: string): Promise<IgnoreLayer> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (error) {
    throw inputError(file, error);
  }
  return { base, rules: ignore().add(text) };
}

export function inputError(shown: string, error: unknown): CheckInputError {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'ENOTDIR') {
    return new CheckInputError(`${shown}: no such file or directory`, 'Check the path; `port-db check` takes TypeScript files and directories.');
  }
  return new CheckInputError(
    `${shown}: cannot read (${code ?? (error as Error).message})`,
    'Check the file permissions, or leave the path out of the command.',
  );
}
