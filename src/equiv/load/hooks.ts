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

/**
 * Python modules are mutable and OpenStack patches them (Manila's query.py assigns
 * `orm.get_maker`); an ES namespace is read-only, so that assignment throws a TypeError. A
 * namespace import of a dialect module in the service's code (`import * as orm from
 * 'oslo.db/sqlalchemy/orm'`) is bound instead to the module's mutable object
 * (sql/runtime/python-modules.ts), one per worker and shared by every importer, the runtime
 * included: a patch is seen by all, as in Python. Named imports are left as they are.
 */
const PYTHON_MODULE = 'python-module:';
const pythonModules = new URL('../sql/runtime/python-modules.js', import.meta.url).href;
const isDialect = (specifier: string) => specifier in aliases && specifier !== 'port-db/equiv';

function bindNamespaceImports(code: string): string {
  return code.replace(/^(\s*)import \* as ([A-Za-z_$][\w$]*) from (["'])([^"']+)\3;?/gm, (line, indent: string, name: string, _q: string, specifier: string) =>
    isDialect(specifier) ? `${indent}import ${name} from ${JSON.stringify(PYTHON_MODULE + specifier)};` : line,
  );
}

/** The module that answers the mutable object of a dialect module. */
function pythonModuleSource(specifier: string): string {
  return [
    `import { pythonModule } from ${JSON.stringify(pythonModules)};`,
    `import * as namespace from ${JSON.stringify(aliases[specifier])};`,
    `export default pythonModule(${JSON.stringify(specifier)}, namespace);`,
  ].join('\n');
}

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
  if (specifier.startsWith(PYTHON_MODULE) && isDialect(specifier.slice(PYTHON_MODULE.length))) {
    return { url: `${aliases[specifier.slice(PYTHON_MODULE.length)]}?${PYTHON_MODULE}${encodeURIComponent(specifier.slice(PYTHON_MODULE.length))}`, shortCircuit: true };
  }
  const parent = context.parentURL ? new URL(context.parentURL) : undefined;
  if (/^\.\.?\//.test(specifier) && parent?.pathname.endsWith('.ts')) {
    const base = new URL(specifier, parent);
    base.search = '';
    for (const candidate of [base.href, `${base.href}.ts`, `${base.href}/index.ts`]) {
      // a node's instance of the ported module imports the graph's shared modules (`&node=` is its own)
      if (isFile(fileURLToPath(candidate))) return { url: `${candidate}${parent.search.replace(/&node=\d+$/, '')}`, shortCircuit: true };
    }
  }
  return next(specifier, context);
}

/** The compiler's transpiler (ts-morph's TypeScript), loaded once per worker. */
let transpiler: { transpileModule(text: string, options: object): { outputText: string } } | undefined;

/** Transpiled output by file: each graph loads the same files again. */
const transpiled = new Map<string, string>();

export async function load(url: string, context: { format?: string }, next: Load) {
  const wrapped = new URL(url).search.match(new RegExp(`^\\?${PYTHON_MODULE}(.+)$`));
  if (wrapped) return { format: 'module', source: pythonModuleSource(decodeURIComponent(wrapped[1])), shortCircuit: true };
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
    outputText = bindNamespaceImports(outputText);
    transpiled.set(path, outputText);
  }
  return { format: 'module', source: outputText, shortCircuit: true };
}
