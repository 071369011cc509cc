import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import ts from '../ts.cjs';
import { isSqlModule, isSqlalchemyPath, isTargetModule } from '../analyzer/specifiers.js';
import type { ScanConfig } from '../analyzer/check-types.js';

/** A name a module imports. `imported` is the exported name, `default`, or `*` for a namespace. */
export interface ImportBinding {
  spec: string;
  imported: string;
  typeOnly: boolean;
}

type ExportTarget = { kind: 'local'; name: string } | { kind: 'reexport'; spec: string; imported: string };

/** Top-level facts of one module: enough to resolve a name without a type checker. */
export interface ModuleInfo {
  /** Absolute path. */
  file: string;
  sf: ts.SourceFile;
  imports: Map<string, ImportBinding>;
  /** Top-level declarations by name. */
  locals: Map<string, ts.Node>;
  exports: Map<string, ExportTarget>;
  starExports: string[];
  /** The module imports an SQL library or a `db/sqlalchemy` module. */
  importsSql: boolean;
}

/** How a name resolved: to SQL (with the reason, for the message), to ROME, or to neither. */
export interface Verdict {
  kind: 'sql' | 'rome' | 'other';
  why: string;
}

/** Where an identifier is bound, found by walking its enclosing scopes. */
export type Binding =
  | { kind: 'import'; binding: ImportBinding }
  | { kind: 'decl'; node: ts.Node }
  | { kind: 'param'; node?: ts.ParameterDeclaration }
  | { kind: 'none' };

const MAX_DEPTH = 8;

/**
 * Parses a file the way every scan does: one `createSourceFile`, without parent pointers (setting
 * them is a second walk over the tree; the scan keeps its own ancestor stack instead).
 */
export function parseSource(file: string, text: string): ts.SourceFile {
  const kind = /\.tsx$/i.test(file) ? ts.ScriptKind.TSX : ts.ScriptKind.TS;
  return ts.createSourceFile(file, text, ts.ScriptTarget.Latest, false, kind);
}

/** Collects imports, exports and top-level declarations of a parsed module. */
export function analyzeModule(sf: ts.SourceFile, file: string, config: ScanConfig): ModuleInfo {
  const info: ModuleInfo = {
    file,
    sf,
    imports: new Map(),
    locals: new Map(),
    exports: new Map(),
    starExports: [],
    importsSql: false,
  };
  const noteSpec = (spec: string) => {
    if (isSqlModule(spec, config.sqlModules) || isSqlalchemyPath(spec, file)) info.importsSql = true;
  };
  const isExported = (node: ts.Node) =>
    ts.canHaveModifiers(node) && (ts.getModifiers(node) ?? []).some((m) => m.kind === ts.SyntaxKind.ExportKeyword);
  const isDefault = (node: ts.Node) =>
    ts.canHaveModifiers(node) && (ts.getModifiers(node) ?? []).some((m) => m.kind === ts.SyntaxKind.DefaultKeyword);

  for (const stmt of sf.statements) {
    if (ts.isImportDeclaration(stmt) && ts.isStringLiteral(stmt.moduleSpecifier)) {
      const spec = stmt.moduleSpecifier.text;
      noteSpec(spec);
      const clause = stmt.importClause;
      if (!clause) continue;
      const typeOnly = clause.isTypeOnly;
      if (clause.name) info.imports.set(clause.name.text, { spec, imported: 'default', typeOnly });
      const bindings = clause.namedBindings;
      if (bindings && ts.isNamespaceImport(bindings)) {
        info.imports.set(bindings.name.text, { spec, imported: '*', typeOnly });
      } else if (bindings) {
        for (const el of bindings.elements) {
          info.imports.set(el.name.text, {
            spec,
            imported: (el.propertyName ?? el.name).text,
            typeOnly: typeOnly || el.isTypeOnly,
          });
        }
      }
    } else if (ts.isImportEqualsDeclaration(stmt)) {
      const ref = stmt.moduleReference;
      if (ts.isExternalModuleReference(ref) && ts.isStringLiteral(ref.expression)) {
        noteSpec(ref.expression.text);
        info.imports.set(stmt.name.text, { spec: ref.expression.text, imported: '*', typeOnly: stmt.isTypeOnly });
      } else {
        info.locals.set(stmt.name.text, stmt);
      }
    } else if (ts.isExportDeclaration(stmt)) {
      const spec = stmt.moduleSpecifier && ts.isStringLiteral(stmt.moduleSpecifier) ? stmt.moduleSpecifier.text : undefined;
      if (spec !== undefined) noteSpec(spec);
      const clause = stmt.exportClause;
      if (!clause) {
        if (spec !== undefined) info.starExports.push(spec);
      } else if (ts.isNamespaceExport(clause)) {
        if (spec !== undefined) info.exports.set(clause.name.text, { kind: 'reexport', spec, imported: '*' });
      } else {
        for (const el of clause.elements) {
          const local = (el.propertyName ?? el.name).text;
          info.exports.set(
            el.name.text,
            spec !== undefined ? { kind: 'reexport', spec, imported: local } : { kind: 'local', name: local },
          );
        }
      }
    } else if (ts.isExportAssignment(stmt) && ts.isIdentifier(stmt.expression)) {
      info.exports.set('default', { kind: 'local', name: stmt.expression.text });
    } else if (ts.isFunctionDeclaration(stmt) || ts.isClassDeclaration(stmt) || ts.isEnumDeclaration(stmt)) {
      if (!stmt.name) continue;
      info.locals.set(stmt.name.text, stmt);
      if (isExported(stmt)) {
        info.exports.set(isDefault(stmt) ? 'default' : stmt.name.text, { kind: 'local', name: stmt.name.text });
      }
    } else if (ts.isVariableStatement(stmt)) {
      for (const decl of stmt.declarationList.declarations) {
        for (const name of boundNames(decl.name)) {
          info.locals.set(name, decl);
          if (isExported(stmt)) info.exports.set(name, { kind: 'local', name });
        }
      }
    }
  }
  return info;
}

/** The names a binding pattern introduces. */
export function boundNames(name: ts.BindingName): string[] {
  if (ts.isIdentifier(name)) return [name.text];
  const out: string[] = [];
  for (const el of name.elements) {
    if (ts.isBindingElement(el)) out.push(...boundNames(el.name));
  }
  return out;
}

/**
 * Loads and analyses the modules a file imports, so that `import { get_session } from './session'`
 * can be followed to its definition. One parse per module, cached for the whole scan.
 */
export class ModuleGraph {
  private readonly cache = new Map<string, ModuleInfo | null>();
  private readonly resolved = new Map<string, string | undefined>();

  constructor(readonly config: ScanConfig) {}

  /** Analyses the module `spec` resolves to from `fromFile`, or null when it is not a readable local file. */
  load(fromFile: string, spec: string): ModuleInfo | null {
    if (!spec.startsWith('.') && !path.isAbsolute(spec)) return null;
    const base = path.resolve(path.dirname(fromFile), spec);
    let file = this.resolved.get(base);
    if (!this.resolved.has(base)) {
      file = resolveModuleFile(base);
      this.resolved.set(base, file);
    }
    if (!file) return null;
    let info = this.cache.get(file);
    if (info === undefined) {
      try {
        const text = readFileSync(file, 'utf8');
        info = analyzeModule(parseSource(file, text), file, this.config);
      } catch {
        info = null;
      }
      this.cache.set(file, info);
    }
    return info;
  }

  /** Resolves a top-level name of `info` (imported or declared). Undefined when the module does not bind it. */
  classifyName(info: ModuleInfo, name: string, depth = 0): Verdict | undefined {
    const imported = info.imports.get(name);
    if (imported) return this.classifyImport(info, imported, depth);
    const decl = info.locals.get(name);
    if (decl) return this.classifyDecl(info, decl);
    return undefined;
  }

  /** Resolves an imported binding by its specifier, following local modules. */
  classifyImport(info: ModuleInfo, binding: ImportBinding, depth = 0, member?: string): Verdict {
    const { spec } = binding;
    if (isSqlModule(spec, this.config.sqlModules)) return { kind: 'sql', why: `imported from '${spec}'` };
    if (isSqlalchemyPath(spec, info.file)) return { kind: 'sql', why: `imported from '${spec}' (a db/sqlalchemy module)` };
    if (isTargetModule(spec, this.config.targetModule)) return { kind: 'rome', why: `imported from '${spec}'` };
    const name = binding.imported === '*' ? member : binding.imported;
    if (name !== undefined && depth < MAX_DEPTH) {
      const target = this.load(info.file, spec);
      const verdict = target ? this.classifyExport(target, name, depth + 1) : undefined;
      if (verdict) return verdict.kind === 'sql' ? { kind: 'sql', why: `imported from '${spec}'` } : verdict;
    }
    return info.importsSql
      ? { kind: 'sql', why: `imported from '${spec}' into a module that imports SQL` }
      : { kind: 'other', why: `imported from '${spec}'` };
  }

  private classifyExport(info: ModuleInfo, name: string, depth: number): Verdict | undefined {
    if (depth >= MAX_DEPTH) return undefined;
    const target = info.exports.get(name);
    if (target?.kind === 'local') return this.classifyName(info, target.name, depth);
    if (target?.kind === 'reexport') {
      return this.classifyImport(info, { spec: target.spec, imported: target.imported, typeOnly: false }, depth);
    }
    for (const spec of info.starExports) {
      if (isSqlModule(spec, this.config.sqlModules) || isTargetModule(spec, this.config.targetModule)) continue;
      const next = this.load(info.file, spec);
      const verdict = next ? this.classifyExport(next, name, depth + 1) : undefined;
      if (verdict) return verdict;
    }
    return undefined;
  }

  /**
   * A factory the module defines: ROME when it mentions the target session class (returns or
   * constructs a `RomeSession`), SQL when it builds on an engine factory or lives in a module
   * that imports SQL, otherwise neither.
   */
  classifyDecl(info: ModuleInfo, decl: ts.Node): Verdict {
    let mentionsRome = false;
    let engine: string | undefined;
    // The declaration's own name is not a use: `function get_engine()` does not build on get_engine.
    const ownName = (decl as { name?: ts.Node }).name;
    const visit = (node: ts.Node): void => {
      if (mentionsRome || node === ownName) return;
      if (ts.isIdentifier(node)) {
        if (node.text === this.config.targetSession) mentionsRome = true;
        else if (engine === undefined && this.config.engineFactories.includes(node.text)) engine = node.text;
        return;
      }
      ts.forEachChild(node, visit);
    };
    visit(decl);
    if (mentionsRome) return { kind: 'rome', why: `defined here on ${this.config.targetSession}` };
    if (engine !== undefined) return { kind: 'sql', why: `defined here on the SQL engine factory ${engine}` };
    if (info.importsSql) return { kind: 'sql', why: 'defined in a module that imports SQL' };
    return { kind: 'other', why: 'defined here' };
  }
}

/** The TypeScript file an import of `base` loads, trying the usual extensions and index files. */
export function resolveModuleFile(base: string): string | undefined {
  const candidates: string[] = [];
  const ext = /\.[cm]?[jt]sx?$/.exec(base)?.[0];
  if (ext && /^\.[cm]?tsx?$/.test(ext)) candidates.push(base);
  if (ext && /^\.[cm]?jsx?$/.test(ext)) {
    const stem = base.slice(0, -ext.length);
    const tsExt = ext.replace('j', 't');
    candidates.push(stem + tsExt, stem + tsExt.replace(/x?$/, 'x'));
  }
  candidates.push(`${base}.ts`, `${base}.tsx`, `${base}.mts`, `${base}.cts`, `${base}/index.ts`, `${base}/index.tsx`);
  for (const candidate of candidates) {
    if (statSync(candidate, { throwIfNoEntry: false })?.isFile()) return candidate;
  }
  return undefined;
}
