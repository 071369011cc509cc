import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Project, ts } from 'ts-morph';
import { ROOT } from '../helpers.js';

/** The shipped contract. */
export const CONTRACT = readFileSync(join(ROOT, 'rules', 'rome-orm.d.ts'), 'utf8');

export interface SnippetDiagnostic {
  line: number;
  code: number;
  message: string;
}

const projects = new Map<string, Project>();

/**
 * Type-checks a module against the contract alone (plus @types/node for host globals such as
 * setTimeout, unless `node` is false: then the snippet declares its own). `strict` picks the
 * compiler's strict family; lines are 1-based.
 */
export function checkSnippet(code: string, { strict = false, node: withNode = true }: { strict?: boolean; node?: boolean } = {}): SnippetDiagnostic[] {
  const key = `${strict} ${withNode}`;
  let project = projects.get(key);
  if (!project) {
    project = new Project({
      compilerOptions: {
        target: ts.ScriptTarget.ES2022,
        lib: ['lib.es2022.d.ts'],
        module: ts.ModuleKind.ESNext,
        moduleResolution: ts.ModuleResolutionKind.Bundler,
        strict,
        noEmit: true,
        skipLibCheck: true,
        types: withNode ? ['node'] : [],
        typeRoots: [join(ROOT, 'node_modules', '@types')],
      },
      skipAddingFilesFromTsConfig: true,
    });
    project.createSourceFile(join(ROOT, '.snippets', 'rome-orm.d.ts'), CONTRACT);
    projects.set(key, project);
  }
  const sf = project.createSourceFile(join(ROOT, '.snippets', 'snippet.ts'), code, { overwrite: true });
  const program = project.getProgram().compilerObject;
  const node = program.getSourceFile(sf.getFilePath())!;
  const diagnostics = [...program.getSyntacticDiagnostics(node), ...program.getSemanticDiagnostics(node)];
  return diagnostics
    .map((d) => ({
      line: node.getLineAndCharacterOfPosition(d.start ?? 0).line + 1,
      code: d.code,
      message: ts.flattenDiagnosticMessageText(d.messageText, ' '),
    }))
    .sort((a, b) => a.line - b.line || a.code - b.code);
}

/** 1-based line of the first line of `text` that contains `needle`. */
export function lineOf(text: string, needle: string): number {
  const index = text.split('\n').findIndex((l) => l.includes(needle));
  if (index < 0) throw new Error(`not in the text: ${needle}`);
  return index + 1;
}
