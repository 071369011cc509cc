import ts from '../ts.cjs';
import { SourceError, codeFrame } from '../errors.js';

/**
 * Parses one module with the compiler's parser alone (no program, no type checker: cheap).
 * TypeScript parses almost anything, so its parse diagnostics are what tells bad input.
 */
export function parseModule(file: string, text: string): ts.SourceFile {
  if (text.includes('\u0000')) {
    throw new SourceError(file, 1, 1, 'binary file (contains NUL bytes)', 'point port-db at a TypeScript source module');
  }
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const diagnostics = (sf as unknown as { parseDiagnostics?: ts.Diagnostic[] }).parseDiagnostics ?? [];
  if (diagnostics.length > 0) {
    const d = diagnostics[0];
    const { line, character } = sf.getLineAndCharacterOfPosition(d.start ?? 0);
    throw new SourceError(
      file,
      line + 1,
      character + 1,
      `syntax error: ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`,
      'fix the source module so that it compiles, then run port-db again (nothing was written)',
      codeFrame(text, line + 1, character + 1),
    );
  }
  return sf;
}

/** 1-based line of an offset. */
export function lineOf(sf: ts.SourceFile, pos: number): number {
  return sf.getLineAndCharacterOfPosition(pos).line + 1;
}

/** The whitespace that starts the line holding `pos`. */
export function indentAt(text: string, pos: number): string {
  const lineStart = text.lastIndexOf('\n', pos - 1) + 1;
  const m = /^[ \t]*/.exec(text.slice(lineStart, pos));
  return m ? m[0] : '';
}

/**
 * Every node below a module, depth first, in source order: listed by its first walk. The rewriters
 * walk the whole module some twenty times; from a list that costs a fraction of descending the
 * tree again (about 0.15 s of a 10k-line module). Modules are never changed once parsed (edits
 * are text ranges).
 */
const moduleNodes = new WeakMap<ts.SourceFile, ts.Node[]>();

/** Calls `visit` on every node below `node`, depth first, in source order. */
export function walk(node: ts.Node, visit: (n: ts.Node) => void): void {
  if (ts.isSourceFile(node)) {
    let nodes = moduleNodes.get(node);
    if (!nodes) {
      const list: ts.Node[] = [];
      const add = (n: ts.Node): void => {
        list.push(n);
        ts.forEachChild(n, add);
      };
      ts.forEachChild(node, add);
      moduleNodes.set(node, (nodes = list));
    }
    for (let i = 0; i < nodes.length; i++) visit(nodes[i]);
    return;
  }
  const go = (n: ts.Node): void => {
    visit(n);
    ts.forEachChild(n, go);
  };
  ts.forEachChild(node, go);
}

/** The innermost statement (not a block) that contains `node`. */
export function enclosingStatement(node: ts.Node): ts.Statement {
  let cur: ts.Node = node;
  while (cur.parent && !(isStatementNode(cur) && !ts.isBlock(cur))) cur = cur.parent;
  return cur as ts.Statement;
}

function isStatementNode(n: ts.Node): boolean {
  return (
    n.parent !== undefined &&
    (ts.isSourceFile(n.parent) || ts.isBlock(n.parent) || ts.isCaseClause(n.parent) || ts.isDefaultClause(n.parent) || ts.isModuleBlock(n.parent) || isLoopOrIfBody(n)) &&
    !ts.isBlock(n)
  ) || ts.isClassElement(n);
}

function isLoopOrIfBody(n: ts.Node): boolean {
  const p = n.parent;
  return (
    (ts.isIfStatement(p) && (p.thenStatement === n || p.elseStatement === n)) ||
    ((ts.isForStatement(p) || ts.isForOfStatement(p) || ts.isForInStatement(p) || ts.isWhileStatement(p) || ts.isDoStatement(p)) && p.statement === n)
  );
}

/** Whether a function is declared `async`. */
export function isAsyncFunction(fn: ts.Node): boolean {
  return ts.canHaveModifiers(fn) && (ts.getModifiers(fn)?.some((m) => m.kind === ts.SyntaxKind.AsyncKeyword) ?? false);
}

/**
 * Whether an identifier reads a binding: not the name a declaration, an import, a property, a
 * member or a destructured key gives (`{ session }` shorthand is a read; `x.session` is not).
 */
export function isReference(n: ts.Identifier): boolean {
  const p = n.parent;
  if (ts.isImportSpecifier(p) || ts.isImportClause(p) || ts.isNamespaceImport(p)) return false;
  if (ts.isPropertyAccessExpression(p)) return p.name !== n;
  if (ts.isQualifiedName(p)) return p.right !== n;
  if (ts.isBindingElement(p) && p.propertyName === n) return false;
  return ts.isShorthandPropertyAssignment(p) || (p as { name?: ts.Node }).name !== n;
}
