// Module hooks of an equiv worker (node:module `register`): the service's TypeScript runs as it
// is, its SQL or ROME imports resolve to the reference runtime of the worker's side, and its
// relative imports resolve as a bundler's would (no extension, or a folder's index.ts).
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/** Bare specifier → URL of the module it stands for on this side (`sqlalchemy` → the reference's). */
export interface HookData {
  aliases: Record<string, string>;
}

type Resolve = (specifier: string, context: { parentURL?: string }) => Promise<{ url: string; format?: string; shortCircuit?: boolean }>;
type Load = (url: string, context: { format?: string }) => Promise<{ format: string; source?: string | Uint8Array; shortCircuit?: boolean }>;

let aliases: Record<string, string> = {};

export async function initialize(data: HookData): Promise<void> {
  aliases = data.aliases;
}

const isFile = (path: string) => existsSync(path) && statSync(path).isFile();

/**
 * A module graph is named by a query (`api.ts?graph=3`): the service's relative imports carry it,
 * so each scenario loads the service's modules afresh (their module-level state its own) while
 * the runtime's modules, reached by bare names, are loaded once per worker.
 */
export async function resolve(specifier: string, context: { parentURL?: string }, next: Resolve) {
  const alias = aliases[specifier];
  if (alias) return { url: alias, shortCircuit: true };
  const parent = context.parentURL ? new URL(context.parentURL) : undefined;
  if (/^\.\.?\//.test(specifier) && parent?.pathname.endsWith('.ts')) {
    const base = new URL(specifier, parent);
    base.search = '';
    for (const candidate of [base.href, `${base.href}.ts`, `${base.href}/index.ts`]) {
      if (isFile(fileURLToPath(candidate))) return { url: `${candidate}${parent.search}`, shortCircuit: true };
    }
  }
  return next(specifier, context);
}

/** The compiler's transpiler (ts-morph's TypeScript), loaded once per worker. */
let transpiler: { transpileModule(text: string, options: object): { outputText: string } } | undefined;

/** Transpiled output by file: each graph loads the same files again. */
const transpiled = new Map<string, string>();

export async function load(url: string, context: { format?: string }, next: Load) {
  // a file URL's path without its graph query
  const path = url.startsWith('file:') ? fileURLToPath(url) : '';
  if (!path.endsWith('.ts') || path.endsWith('.d.ts')) return next(url, context);
  let outputText = transpiled.get(path);
  if (outputText === undefined) {
    transpiler ??= createRequire(import.meta.url)('../../ts.cjs');
    const ts = transpiler as unknown as typeof import('typescript');
    outputText = ts.transpileModule(readFileSync(path, 'utf8'), {
      fileName: path,
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, sourceMap: false, inlineSourceMap: true, verbatimModuleSyntax: false, isolatedModules: true },
    }).outputText;
    transpiled.set(path, outputText);
  }
  return { format: 'module', source: outputText, shortCircuit: true };
}
