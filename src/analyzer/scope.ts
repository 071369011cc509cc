import ts from '../ts.cjs';
import { walk } from './parse.js';

/**
 * Answers which import declaration an identifier refers to, by scope, not by text: a local
 * `const session = get_session()` or a `{ session }` parameter shadows
 * `import * as session from 'oslo.db/sqlalchemy/session'`.
 *
 * The compiler's own name resolution answers (a one-file program, no lib, nothing resolved).
 * Its checker binds the whole module, so it is only built when some imported name is also
 * declared inside the module; otherwise every reference to an imported name is the import.
 */
export function importResolver(sf: ts.SourceFile, importedNames: ReadonlySet<string>): (id: ts.Identifier) => ts.ImportDeclaration | undefined {
  const shadowed = declaredNames(sf, importedNames);
  const importOf = new Map<string, ts.ImportDeclaration>();
  for (const st of sf.statements) {
    if (!ts.isImportDeclaration(st)) continue;
    for (const name of boundNames(st)) importOf.set(name, st);
  }
  let checker: ts.TypeChecker | undefined;
  return (id) => {
    const decl = importOf.get(id.text);
    if (!decl || !shadowed.has(id.text)) return decl;
    checker ??= oneFileChecker(sf);
    const symbol = checker.resolveName(id.text, id, ts.SymbolFlags.Value | ts.SymbolFlags.Type | ts.SymbolFlags.Namespace | ts.SymbolFlags.Alias, false);
    const at = symbol?.declarations?.[0];
    return at && (ts.isImportSpecifier(at) || ts.isNamespaceImport(at) || ts.isImportClause(at)) ? decl : undefined;
  };
}

/** The local names an import declaration binds. */
function boundNames(decl: ts.ImportDeclaration): string[] {
  const clause = decl.importClause;
  const out: string[] = [];
  if (clause?.name) out.push(clause.name.text);
  const nb = clause?.namedBindings;
  if (nb && ts.isNamespaceImport(nb)) out.push(nb.name.text);
  if (nb && ts.isNamedImports(nb)) for (const el of nb.elements) out.push(el.name.text);
  return out;
}

/** Which of `names` are declared again somewhere in the module (variables, parameters, functions, classes). */
function declaredNames(sf: ts.SourceFile, names: ReadonlySet<string>): Set<string> {
  const out = new Set<string>();
  if (names.size === 0) return out;
  walk(sf, (n) => {
    if (
      (ts.isVariableDeclaration(n) || ts.isParameter(n) || ts.isBindingElement(n) || ts.isFunctionDeclaration(n) || ts.isClassDeclaration(n) || ts.isFunctionExpression(n) || ts.isClassExpression(n)) &&
      n.name &&
      ts.isIdentifier(n.name) &&
      names.has(n.name.text)
    ) {
      out.add(n.name.text);
    }
  });
  return out;
}

function oneFileChecker(sf: ts.SourceFile): ts.TypeChecker {
  const host: ts.CompilerHost = {
    getSourceFile: (file) => (file === sf.fileName ? sf : undefined),
    getDefaultLibFileName: () => 'lib.d.ts',
    writeFile: () => {},
    getCurrentDirectory: () => '',
    getCanonicalFileName: (file) => file,
    useCaseSensitiveFileNames: () => true,
    getNewLine: () => '\n',
    fileExists: (file) => file === sf.fileName,
    readFile: () => undefined,
  };
  const options: ts.CompilerOptions = { noLib: true, noResolve: true, types: [], target: ts.ScriptTarget.Latest };
  return ts.createProgram({ rootNames: [sf.fileName], options, host }).getTypeChecker();
}
