import { createRequire } from 'node:module';
import { join } from 'node:path';
import ts from '../ts.cjs';
import { toPosix } from '../analyzer/specifiers.js';
import type { Diag, Diagnose } from './index.js';

/** Options forced on top of the user's: check only, never emit, never check libraries. */
const FORCED_OPTIONS: ts.CompilerOptions = {
  noEmit: true,
  skipLibCheck: true,
  skipDefaultLibCheck: true,
  incremental: false,
  composite: false,
  tsBuildInfoFile: undefined,
  declaration: false,
  declarationMap: false,
  emitDeclarationOnly: false,
  sourceMap: false,
  inlineSourceMap: false,
};

/**
 * The JS checker (TypeScript 6, the compiler ts-morph bundles): one program over the files given
 * as text (in memory) and the project's declarations; each file's errors computed when asked.
 */
export const jsDiagnose: Diagnose = (program) => {
  const checker = new Checker({ ...program.options, ...FORCED_OPTIONS });
  checker.put(join(program.base, '.port-db', 'rome-orm.d.ts'), program.contract);
  const names = new Map(program.files.map((f) => [f.path, checker.put(f.path, f.text)]));
  const built = checker.build(program.declarations);
  return {
    of: (path) => {
      const sf = built.getSourceFile(names.get(path) ?? checker.nameOf(path));
      if (!sf) return [];
      const all = [...built.getSyntacticDiagnostics(sf), ...built.getSemanticDiagnostics(sf)];
      return all.filter((d) => d.category === ts.DiagnosticCategory.Error).map((d): Diag => ({ start: d.start ?? 0, code: d.code, text: ts.flattenDiagnosticMessageText(d.messageText, '\n') }));
    },
    done: () => checker.done(),
  };
};

/** Where ts-morph's compiler finds its lib files (`libFolderInMemoryPath` of @ts-morph/common): in memory. */
const LIB_FOLDER = '/node_modules/typescript/lib';

/** The compiler's lib files, as ts-morph ships them for the compiler it bundles (read once). */
let libTexts: Map<string, string> | undefined;
function libText(fileName: string): string | undefined {
  if (!libTexts) {
    // required, not imported: see ts.cjs (Node would scan this 3 MB CommonJS bundle for ES syntax)
    const { getLibFiles } = createRequire(import.meta.url)('@ts-morph/common') as typeof import('@ts-morph/common');
    libTexts = new Map(getLibFiles().map((f) => [`${LIB_FOLDER}/${f.fileName}`, f.text]));
  }
  return libTexts.get(fileName);
}

/**
 * Parsed files kept between checks of one run, by path, with the text and the parse settings
 * they were parsed from: the lib files, libraries and the project's declarations are parsed
 * once per run (a tree of modules shares them), and a file that changed is parsed again.
 */
const parsed = new Map<string, { text: string; settings: string; sf: ts.SourceFile }>();

/** Files kept after a check: the ones the next module's check is likely to read again. */
function keepAfterCheck(path: string, declarations: Set<string>): boolean {
  return path.startsWith(`${LIB_FOLDER}/`) || path.includes('/node_modules/') || declarations.has(path);
}

/**
 * A compiler host over the file system with some files given as text (the port, not written
 * yet): each program of one check is built from it, the next reusing the last one's files.
 */
class Checker {
  private readonly memory = new Map<string, string>();
  private readonly settings: string;
  private readonly host: ts.CompilerHost;
  private program: ts.Program | undefined;
  private declarations = new Set<string>();

  constructor(private readonly options: ts.CompilerOptions) {
    const settingsOf = (lv: ts.ScriptTarget | ts.CreateSourceFileOptions) => JSON.stringify(typeof lv === 'object' ? { ...lv, setExternalModuleIndicator: undefined } : lv);
    // the options that change a parsed and bound file (TypeScript's own list, as its document
    // registry uses it): a file is reused only by a check with the same ones
    // (computed: `alwaysStrict` follows `strict`, `target` has a default)
    const internal = ts as unknown as {
      sourceFileAffectingCompilerOptions?: { name: string }[];
      computedOptions?: Record<string, { computeValue(o: ts.CompilerOptions): unknown } | undefined>;
    };
    const names = internal.sourceFileAffectingCompilerOptions?.map((o) => o.name) ?? ['target', 'module', 'moduleDetection', 'moduleResolution', 'alwaysStrict', 'jsx'];
    this.settings = JSON.stringify(names.map((name) => internal.computedOptions?.[name]?.computeValue(options) ?? options[name]));
    const sys = ts.createCompilerHost(options, true);
    const read = (path: string) => this.memory.get(path) ?? libText(path) ?? sys.readFile(path);
    this.host = {
      ...sys,
      fileExists: (path) => this.memory.has(path) || libText(path) !== undefined || sys.fileExists(path),
      readFile: read,
      // the port's folder may not exist yet: module resolution looks for it before its files
      directoryExists: (dir) => sys.directoryExists?.(dir) !== false || this.given().some((path) => path.startsWith(`${dir.replace(/\/$/, '')}/`)),
      getDefaultLibLocation: () => LIB_FOLDER,
      getDefaultLibFileName: (o) => `${LIB_FOLDER}/${ts.getDefaultLibFileName(o)}`,
      // the compiler checks JSDoc only where it can be a type error (what tsc does)
      jsDocParsingMode: ts.JSDocParsingMode.ParseForTypeErrors,
      writeFile: () => undefined,
      getSourceFile: (path, languageVersion, onError) => {
        const text = read(path);
        if (text === undefined) {
          onError?.(`cannot read ${path}`);
          return undefined;
        }
        const settings = this.settings + settingsOf(languageVersion);
        const known = parsed.get(path);
        if (known && known.settings === settings && known.text === text) return known.sf;
        const sf = ts.createSourceFile(path, text, languageVersion, false);
        parsed.set(path, { text, settings, sf });
        return sf;
      },
    };
  }

  /** The compiler's name of a file. */
  nameOf(path: string): string {
    return toPosix(path);
  }

  /** Gives (or replaces) a file's text, in memory only; answers the compiler's name of it. */
  put(path: string, text: string): string {
    const name = this.nameOf(path);
    this.memory.set(name, text);
    return name;
  }

  /** The files given as text. */
  given(): string[] {
    return [...this.memory.keys()];
  }

  /** A program of the given files and the project's declarations (from the last one, when there is one). */
  build(declarations: string[]): ts.Program {
    this.declarations = new Set(declarations.map((d) => this.nameOf(d)));
    const rootNames = [...this.declarations, ...this.memory.keys()];
    this.program = ts.createProgram({ rootNames, options: this.options, host: this.host, oldProgram: this.program });
    return this.program;
  }

  /** Forgets the files given as text and the user's files read from disk: the next check reads them again. */
  done(): void {
    for (const path of [...parsed.keys()]) if (!keepAfterCheck(path, this.declarations)) parsed.delete(path);
    this.memory.clear();
    this.program = undefined;
  }
}
