import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import ts from '../ts.cjs';
import { collectDirectives } from '../check/directives.js';
import { toPosix } from '../check/specifiers.js';
import { rulesDir } from '../rules.js';
import { unpinned } from './pins.js';

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
   * `// port-db: manual` marker, or it goes away once the bindings of manual-marked imports
   * (the SQL models module, SQL names kept for manual code) are typed `any` — the code
   * compiles once the manual items are done.
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
 * Type-checks the emitted module against the ROME contract with the compiler options of the
 * nearest tsconfig.json above the source module, and the source module in the same program. A
 * diagnostic of the output is new when the source module has no diagnostic with the same code
 * and message (line numbers and the modules' own paths aside; compared as multisets). Never
 * throws: a check that cannot run answers `checked: false` and a reason.
 */
export function verifyModule(opts: VerifyOptions): VerifyResult {
  try {
    return verify(opts);
  } catch (e) {
    return notChecked(`the type check failed: ${e instanceof Error ? e.message : String(e)}`);
  }
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

/**
 * `verifyModule` for the main module and, in the same program (one program build and one
 * checker instead of one per module), each of `also`: the results in that order. Each result is
 * what `verifyModule` answers for that module alone; when the modules cannot share a program
 * without possibly changing each other's diagnostics (a file that is not a module declares
 * globals), each is checked on its own.
 */
export function verifyModules(opts: VerifyOptions, also: VerifyAlso[]): VerifyResult[] {
  try {
    return verify(opts, also);
  } catch (e) {
    const failed = notChecked(`the type check failed: ${e instanceof Error ? e.message : String(e)}`);
    return [failed, ...also.map(() => ({ ...failed, items: [] }))];
  }
}

function verify(opts: VerifyOptions): VerifyResult;
function verify(opts: VerifyOptions, also: VerifyAlso[]): VerifyResult[];
function verify(opts: VerifyOptions, also?: VerifyAlso[]): VerifyResult | VerifyResult[] {
  const separately = (): VerifyResult[] => {
    const companions = opts.companions ?? [];
    const results = [verifyModule(opts)];
    for (const a of also!) {
      const text = companions.find((c) => resolve(c.path) === resolve(a.outputPath))?.text ?? '';
      results.push(verifyModule({ sourcePath: a.sourcePath, sourceText: a.sourceText, outputPath: a.outputPath, outputText: text, targetModule: opts.targetModule }));
    }
    return results;
  };
  const sourcePath = resolve(opts.sourcePath);
  const outputPath = resolve(opts.outputPath);
  let contract = contractText();
  if (contract === undefined) {
    const reason = `the ROME contract rules/${CONTRACT_FILE} is missing from port-db`;
    return also ? [notChecked(reason), ...also.map(() => notChecked(reason))] : notChecked(reason);
  }
  if (opts.targetModule !== CONTRACT_MODULE) {
    contract = contract.replace(`declare module '${CONTRACT_MODULE}'`, `declare module ${JSON.stringify(opts.targetModule)}`);
  }
  const config = loadConfig(dirname(sourcePath));
  if ('error' in config) return also ? [notChecked(config.error), ...also.map(() => notChecked(config.error))] : notChecked(config.error);
  const base = config.path ? dirname(config.path) : dirname(sourcePath);
  // The further modules share the program only when they see the same configuration.
  if (also && also.length > 0) {
    const companions = new Set((opts.companions ?? []).map((c) => resolve(c.path)));
    const same = also.every((a) => companions.has(resolve(a.outputPath)) && ts.findConfigFile(dirname(resolve(a.sourcePath)), ts.sys.fileExists, 'tsconfig.json') === config.path && (config.path !== undefined || dirname(resolve(a.sourcePath)) === dirname(sourcePath)));
    if (!same) return separately();
  }
  // Declaration files of the project hold the ambient modules and globals no import reaches;
  // the rest of the project is loaded through the imports of the two modules.
  const declarations = config.fileNames.filter((f) => /\.d\.[cm]?ts$/.test(f) && resolve(f) !== sourcePath && resolve(f) !== outputPath);
  const checker = new Checker({ ...config.options, ...FORCED_OPTIONS });
  const contractFile = checker.put(join(base, '.port-db', CONTRACT_FILE), contract);
  const tsconfig = config.path ? { tsconfig: toPosix(relative(dirname(sourcePath), config.path)) } : {};
  const configPath = config.path;
  let fallback = false;
  const results = check();
  return fallback ? separately() : also ? results : results[0];

  function check(): VerifyResult[] {
  try {
    // Both modules in one program; the source module is checked only if the output has errors.
    // pins silence the errors they stand for: the check sees them (same lines), to count them
    const output = checker.put(outputPath, unpinned(opts.outputText));
    const source = checker.put(sourcePath, opts.sourceText);
    const companionFiles = new Map<string, { path: string; text: string }>();
    for (const c of opts.companions ?? []) companionFiles.set(checker.put(resolve(c.path), unpinned(c.text)), c);
    const alsoFiles = (also ?? []).map((a) => ({ a, output: checker.nameOf(resolve(a.outputPath)), source: checker.put(resolve(a.sourcePath), a.sourceText) }));
    let program = checker.build(declarations);
    // a file that is not a module would declare globals the other modules' checks would see
    if (also && also.length > 0 && checker.given().some((path) => path !== contractFile && !ts.isExternalModule(program.getSourceFile(path)!))) {
      fallback = true;
      return [];
    }

    const targets = [
      { outputFile: output, sourceFile: source, outputPath, sourcePath, outputText: unpinned(opts.outputText) },
      ...alsoFiles.map((f) => ({ outputFile: f.output, sourceFile: f.source, outputPath: resolve(f.a.outputPath), sourcePath: resolve(f.a.sourcePath), outputText: unpinned(companionFiles.get(f.output)!.text) })),
    ];
    const analyses = targets.map((t) => {
      const outputSf = program.getSourceFile(t.outputFile)!;
      const outputDiagnostics = diagnosticsOf(program, outputSf);
      const result: VerifyResult = {
        checked: true,
        diagnostics: outputDiagnostics.length,
        newDiagnostics: 0,
        manualDiagnostics: 0,
        items: [],
        ...(t === targets[0] ? tsconfig : configPath ? { tsconfig: toPosix(relative(dirname(t.sourcePath), configPath)) } : {}),
      };
      const fresh: { d: ts.Diagnostic; line: number; marked: boolean }[] = [];
      if (outputDiagnostics.length === 0) return { t, result, fresh, outputSf, markers: [] as [number, number][] };
      const sourceSf = program.getSourceFile(t.sourceFile)!;
      const keys = new Map<string, number>();
      for (const d of diagnosticsOf(program, sourceSf)) {
        const key = keyOf(d, t.sourcePath, [t.sourcePath, t.outputPath], base);
        keys.set(key, (keys.get(key) ?? 0) + 1);
      }
      const markers = markedRanges(outputSf);
      for (const d of outputDiagnostics) {
        const key = keyOf(d, t.outputPath, [t.sourcePath, t.outputPath], base);
        const left = keys.get(key) ?? 0;
        if (left > 0) {
          keys.set(key, left - 1);
          continue;
        }
        const start = d.start ?? 0;
        fresh.push({
          d,
          line: outputSf.getLineAndCharacterOfPosition(start).line + 1,
          marked: markers.some(([from, to]) => from <= start && start < to),
        });
      }
      return { t, result, fresh, outputSf, markers };
    });

    // Diagnostics outside marked statements may still come from a manual item: a binding of a
    // manual-marked import (the SQL models, SQL names kept for manual code) used in ported code.
    // Check once more with those imports typed `any` (same lines): what goes away was theirs.
    // One module at a time: its own text is put back before the next one is redirected.
    let redirectedBefore: { path: string; text: string } | undefined;
    for (const { t, result, fresh, outputSf, markers } of analyses) {
      let remaining: Set<string> | undefined;
      if (fresh.some((f) => !f.marked)) {
        const redirected = redirectMarkedImports(outputSf, markers);
        if (redirected) {
          // the module redirected before this one is put back as emitted
          if (redirectedBefore) checker.put(redirectedBefore.path, redirectedBefore.text);
          checker.put(join(base, '.port-db', 'manual-imports.d.ts'), redirected.declarations);
          const second = checker.put(t.outputPath, redirected.text);
          redirectedBefore = { path: t.outputPath, text: t.outputText };
          program = checker.build(declarations);
          const secondSf = program.getSourceFile(second)!;
          remaining = new Set(diagnosticsOf(program, secondSf).map((d) => `${secondSf.getLineAndCharacterOfPosition(d.start ?? 0).line + 1}:${d.code}`));
        }
      }
      for (const f of fresh) {
        const manual = f.marked || (remaining !== undefined && !remaining.has(`${f.line}:${f.d.code}`));
        result.items.push({ line: f.line, code: f.d.code, message: oneLine(displayOf(f.d, base)), manual });
      }
      result.items.sort((a, b) => a.line - b.line || a.code - b.code || compare(a.message, b.message));
      result.manualDiagnostics = result.items.filter((i) => i.manual).length;
      result.newDiagnostics = result.items.length - result.manualDiagnostics;
    }
    return analyses.map((a) => a.result);
  } finally {
    checker.done();
  }
  }
}

// -- the program --------------------------------------------------------------

type LoadedConfig = { path?: string; options: ts.CompilerOptions; fileNames: string[] } | { error: string };

/** The nearest tsconfig.json at or above `dir`, parsed (with `extends`), or the defaults. */
function loadConfig(dir: string): LoadedConfig {
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

/** Syntactic and semantic errors of one file (suggestions are never computed). */
function diagnosticsOf(program: ts.Program, sf: ts.SourceFile): ts.Diagnostic[] {
  const all = [...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf)];
  return all.filter((d) => d.category === ts.DiagnosticCategory.Error);
}

// -- manual items -------------------------------------------------------------

/** The statements under `// port-db: manual` markers, as [start, end) offsets. */
function markedRanges(sf: ts.SourceFile): [number, number][] {
  if (!sf.text.includes('port-db')) return [];
  const boundaries: number[] = [];
  const visit = (node: ts.Node): void => {
    boundaries.push(node.pos, node.end);
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return collectDirectives(sf, boundaries).markers.map((m) => [m.start, m.end]);
}

/**
 * The output with the specifier of every manual-marked import replaced by a module declared
 * without a body (everything it exports is `any`), on the same lines; undefined when none.
 */
function redirectMarkedImports(sf: ts.SourceFile, markers: [number, number][]): { text: string; declarations: string } | undefined {
  const edits: { start: number; end: number; name: string }[] = [];
  for (const statement of sf.statements) {
    if (!ts.isImportDeclaration(statement) || !statement.importClause || !ts.isStringLiteral(statement.moduleSpecifier)) continue;
    const start = statement.getStart(sf);
    if (!markers.some(([from, to]) => from <= start && start < to)) continue;
    const spec = statement.moduleSpecifier;
    edits.push({ start: spec.getStart(sf), end: spec.end, name: `port-db-manual:${edits.length}` });
  }
  if (edits.length === 0) return undefined;
  let text = sf.text;
  for (const edit of [...edits].reverse()) text = text.slice(0, edit.start) + JSON.stringify(edit.name) + text.slice(edit.end);
  const declarations = edits.map((e) => `declare module ${JSON.stringify(e.name)};\n`).join('');
  return { text, declarations };
}

// -- messages -----------------------------------------------------------------

/** What makes two diagnostics counterparts: the code and the message, lines and own paths aside. */
function keyOf(d: ts.Diagnostic, file: string, own: string[], base: string): string {
  let text = absoluteSpecifiers(ts.flattenDiagnosticMessageText(d.messageText, '\n'), file);
  for (const path of own) {
    for (const form of pathForms(path)) text = text.split(form).join('<module>');
  }
  return `${d.code} ${stripLines(relativizePaths(text, base))}`;
}

/** The message as shown: relative specifiers as written, absolute paths made relative. */
function displayOf(d: ts.Diagnostic, base: string): string {
  return relativizePaths(ts.flattenDiagnosticMessageText(d.messageText, '\n'), base);
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
