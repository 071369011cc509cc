import ts from '../ts.cjs';
import { isReference } from '../analyzer/parse.js';
import { portSyntax } from './syntax.js';

/**
 * Which diagnostics of a port belong to manual items, from the port's text alone (no second
 * program, whichever compiler checked it): a diagnostic is manual when it starts inside a
 * statement under a `// port-db: manual` marker, or when the statement it starts in uses a
 * name that comes from a manual-marked import (the SQL models, SQL names kept for manual code),
 * directly or through a variable or parameter declared from one, or when a type its message
 * quotes names a binding of such an import. The code compiles once the manual items are done.
 */
export function manualAttribution(text: string): (start: number, message: string) => boolean {
  if (!hasMarkers(text)) return () => false;
  const syntax = portSyntax(text);
  const sf = syntax.sf;
  const markers = syntax.markers.map((m): [number, number] => [m.start, m.end]);
  const marked = (at: number) => markers.some(([from, to]) => from <= at && at < to);
  // what the manual imports taint is worked out only when a diagnostic outside markers asks
  let tainted: Tainted | undefined;
  let quoted: (message: string) => boolean = () => false;
  const taint = () => {
    if (tainted) return tainted;
    tainted = taintedDeclarations(sf, marked);
    // the bindings of the marked imports, as the compiler names them in messages; a type the
    // message quotes (`type 'typeof Instance'`), not a member name (`Property 'text'`)
    const importedNames = new Set([...tainted.imports].map((d) => d.text));
    quoted = (message) => [...message.matchAll(/\btype '([^']*)'/g)].some((m) => (m[1].match(/[A-Za-z_$][\w$]*/g) ?? []).some((name) => importedNames.has(name)));
    return tainted;
  };
  return (start, message) => {
    if (marked(start)) return true;
    const t = taint();
    if (t.all.size === 0) return false;
    if (quoted(message)) return true;
    const statement = statementAt(sf, start);
    return statement !== undefined && usesTainted(statement, t);
  };
}

/** False when the port has no `port-db` comment at all: then nothing in it is manual (and it is not parsed). */
export function hasMarkers(text: string): boolean {
  return text.includes('port-db');
}

interface Tainted {
  /** Bindings of manual-marked imports. */
  imports: Set<ts.Identifier>;
  /** Those and every variable or parameter declared from one (its initializer or type uses one). */
  all: Set<ts.Identifier>;
  /** The declarations a name used at this identifier may be. */
  resolve: (id: ts.Identifier) => ts.Identifier[];
}

/** A name is looked up in the functions around it, innermost first, then the module (blocks are not scopes here: a name declared twice in one function is tainted when either is). */
type Scopes = Map<ts.Node, Map<string, ts.Identifier[]>>;

const isScope = (n: ts.Node) => ts.isSourceFile(n) || ts.isFunctionLike(n) || ts.isClassLike(n);

function scopeOf(n: ts.Node): ts.Node {
  let p = n.parent;
  while (!isScope(p)) p = p.parent;
  return p;
}

function taintedDeclarations(sf: ts.SourceFile, marked: (at: number) => boolean): Tainted {
  const imports = new Set<ts.Identifier>();
  for (const s of sf.statements) {
    if (!marked(s.getStart(sf))) continue;
    if (ts.isImportEqualsDeclaration(s)) imports.add(s.name);
    const clause = ts.isImportDeclaration(s) ? s.importClause : undefined;
    if (!clause) continue;
    if (clause.name) imports.add(clause.name);
    const bindings = clause.namedBindings;
    if (bindings && ts.isNamespaceImport(bindings)) imports.add(bindings.name);
    if (bindings && ts.isNamedImports(bindings)) for (const e of bindings.elements) imports.add(e.name);
  }
  const all = new Set(imports);
  if (imports.size === 0) return { imports, all, resolve: () => [] };
  // every declared name, by scope, and where its value or type comes from
  const scopes: Scopes = new Map();
  const origins: { names: ts.Identifier[]; from: ts.Node[] }[] = [];
  const declare = (name: ts.Identifier) => {
    // a function's or class's own name belongs to the scope around it
    const scope = scopeOf(ts.isFunctionDeclaration(name.parent) || ts.isClassDeclaration(name.parent) ? name.parent : name);
    const byName = scopes.get(scope) ?? new Map<string, ts.Identifier[]>();
    scopes.set(scope, byName);
    byName.set(name.text, [...(byName.get(name.text) ?? []), name]);
  };
  const names = (n: ts.BindingName): ts.Identifier[] => (ts.isIdentifier(n) ? [n] : n.elements.flatMap((e) => (ts.isBindingElement(e) ? names(e.name) : [])));
  const visit = (n: ts.Node): void => {
    if (ts.isImportClause(n) && n.name) declare(n.name);
    else if (ts.isNamespaceImport(n) || ts.isImportSpecifier(n) || ts.isImportEqualsDeclaration(n)) declare(n.name);
    else if ((ts.isFunctionDeclaration(n) || ts.isClassDeclaration(n)) && n.name) declare(n.name);
    else if (ts.isVariableDeclaration(n) || ts.isParameter(n)) {
      const ns = names(n.name);
      ns.forEach(declare);
      const from: ts.Node[] = [n.type, n.initializer].filter((x): x is ts.TypeNode | ts.Expression => x !== undefined);
      // `for (const row of rows)`: the row comes from the rows
      const loop = n.parent?.parent;
      if (ts.isVariableDeclaration(n) && loop && (ts.isForOfStatement(loop) || ts.isForInStatement(loop))) from.push(loop.expression);
      if (from.length > 0) origins.push({ names: ns, from });
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  const resolve = (id: ts.Identifier): ts.Identifier[] => {
    for (let s: ts.Node | undefined = scopeOf(id); s; s = ts.isSourceFile(s) ? undefined : scopeOf(s)) {
      const found = scopes.get(s)?.get(id.text);
      if (found) return found;
    }
    return [];
  };
  const uses = (n: ts.Node): boolean => {
    if (ts.isIdentifier(n) && n.parent && isReference(n) && resolve(n).some((d) => all.has(d))) return true;
    return ts.forEachChild(n, uses) === true;
  };
  // until nothing changes: a name declared from a tainted one is tainted
  for (let changed = true; changed; ) {
    changed = false;
    for (const o of origins) {
      if (o.names.every((n) => all.has(n)) || !o.from.some(uses)) continue;
      o.names.forEach((n) => all.add(n));
      changed = true;
    }
  }
  return { imports, all, resolve };
}

/** The innermost statement (or class member) where a diagnostic starts. */
function statementAt(sf: ts.SourceFile, at: number): ts.Node | undefined {
  let found: ts.Node | undefined;
  const visit = (n: ts.Node): void => {
    if (n.getStart(sf) > at || n.end <= at) return;
    if ((ts.isStatement(n) && !ts.isBlock(n)) || ts.isClassElement(n)) found = n;
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return found;
}

/** True when the statement itself (not the statements nested in it) uses a tainted name. */
function usesTainted(statement: ts.Node, { all, resolve }: Tainted): boolean {
  const visit = (n: ts.Node): boolean => {
    if (n !== statement && (ts.isBlock(n) || (ts.isStatement(n) && !ts.isBlock(n)) || ts.isClassElement(n))) return false;
    if (ts.isIdentifier(n) && isReference(n) && resolve(n).some((d) => all.has(d))) return true;
    return ts.forEachChild(n, visit) === true;
  };
  return visit(statement);
}
