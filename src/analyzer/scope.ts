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

/** Whether a binding name (an identifier or a destructuring pattern) binds `name`. */
export function bindsName(b: ts.BindingName, name: string): boolean {
  if (ts.isIdentifier(b)) return b.text === name;
  return b.elements.some((el) => !ts.isOmittedExpression(el) && bindsName(el.name, name));
}

/**
 * The node that declares `name` as seen from `at`, by lexical scope: a variable declaration (of a
 * block, a module, a case clause or a loop; its name may be a pattern), a parameter, a catch
 * variable, a function or class declaration, a function expression's own name. Undefined for a
 * global. Written by hand rather than with the checker: rewriters ask it of trees they never bind.
 */
export function declarationOf(at: ts.Node, name: string): ts.Node | undefined {
  const inList = (l: ts.VariableDeclarationList) => l.declarations.find((d) => bindsName(d.name, name));
  for (let scope: ts.Node | undefined = at.parent; scope; scope = scope.parent) {
    if (ts.isBlock(scope) || ts.isSourceFile(scope) || ts.isModuleBlock(scope) || ts.isCaseClause(scope) || ts.isDefaultClause(scope)) {
      for (const st of scope.statements) {
        const d = ts.isVariableStatement(st) ? inList(st.declarationList) : (ts.isFunctionDeclaration(st) || ts.isClassDeclaration(st)) && st.name?.text === name ? st : undefined;
        if (d) return d;
      }
    } else if ((ts.isForStatement(scope) || ts.isForOfStatement(scope) || ts.isForInStatement(scope)) && scope.initializer && ts.isVariableDeclarationList(scope.initializer)) {
      const d = inList(scope.initializer);
      if (d) return d;
    } else if (ts.isCatchClause(scope) && scope.variableDeclaration && bindsName(scope.variableDeclaration.name, name)) {
      return scope.variableDeclaration;
    } else if (ts.isFunctionLike(scope)) {
      const param = scope.parameters.find((p) => bindsName(p.name, name));
      if (param) return param;
      if (ts.isFunctionExpression(scope) && scope.name?.text === name) return scope;
    }
  }
  return undefined;
}
