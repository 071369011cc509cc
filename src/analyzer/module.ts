import ts from '../ts.cjs';
import type { RulePack } from '../rules.js';
import { flattenChain, type Chain } from './chains.js';
import { walk } from './parse.js';
import type { ModelCatalog } from './models.js';
import { importResolver } from './scope.js';

/** One import declaration and what it binds. */
export interface ImportInfo {
  decl: ts.ImportDeclaration;
  specifier: string;
  /** From an SQL library (sqlModules) and not re-pointed by an import mapping. */
  isSql: boolean;
  /** The mapped specifier when an importMappings prefix applies. */
  mappedTo?: string;
  typeOnly: boolean;
  /** local name → imported name (namespace and default imports: '*' and 'default'). */
  bindings: Map<string, string>;
}

/** A top-level function (or class method) as the report names it. */
export interface FunctionUnit {
  name: string;
  /** The top-level statement or class member that holds it. */
  node: ts.Node;
  /** The function itself (innermost function of a guard chain for `export const f = g(async () => ...)`). */
  fn?: ts.FunctionLikeDeclaration;
}

export type ValueKind = 'query' | 'entity' | 'list';

/** Everything the rewriters read about one module. Built once, never mutated after. */
export interface ModuleFacts {
  sf: ts.SourceFile;
  text: string;
  rules: RulePack;
  imports: ImportInfo[];
  units: FunctionUnit[];
  /** Local name → function of every top-level function, including guarded `const f = g(...)`. */
  localFunctions: Map<string, ts.FunctionLikeDeclaration>;
  /** Local session-factory names in use (imported or defined). */
  sessionFactories: Set<string>;
  /** Local query-helper names in use (imported or defined). */
  queryHelpers: Set<string>;
  /** Local name of the models namespace import (`import * as models from './models'`). */
  modelsNamespace?: string;
  /** What each local function returns when that is a query, an entity or a list of entities. */
  returns: Map<string, ValueKind>;
  /** Names bound by SQL imports: local name → import. */
  sqlBindings: Map<string, ImportInfo>;
  /** The import an identifier refers to, by scope (a local declaration of the same name shadows it). */
  importOf: (id: ts.Identifier) => ImportInfo | undefined;
  /** Line ending of the module. */
  eol: string;
  /** The models module's catalog, when it could be read. */
  models?: ModelCatalog;
  /** Why the models module could not be read. */
  modelsError?: string;
}

const TERMINALS: Record<string, ValueKind | null> = {
  first: 'entity',
  one: 'entity',
  one_or_none: 'entity',
  oneOrNone: 'entity',
  all: 'list',
  count: null,
  update: null,
  delete: null,
  soft_delete: null,
  softDelete: null,
  exists: null,
  scalar: null,
};

/** True when a module specifier names an SQL library (`sqlalchemy`, `sqlalchemy/*`, ...). */
export function matchesModule(specifier: string, patterns: string[]): boolean {
  return patterns.some((p) => (p.endsWith('/*') ? specifier.startsWith(p.slice(0, -1)) : specifier === p));
}

/** Applies the pack's prefix mappings (`oslo.db` → `oslo_db`) to a specifier. */
export function mapSpecifier(specifier: string, mappings: Record<string, string>): string | undefined {
  for (const [from, to] of Object.entries(mappings)) {
    if (specifier === from || specifier.startsWith(from + '/')) return to + specifier.slice(from.length);
  }
  return undefined;
}

function collectImports(sf: ts.SourceFile, rules: RulePack): ImportInfo[] {
  const out: ImportInfo[] = [];
  for (const st of sf.statements) {
    if (!ts.isImportDeclaration(st) || !ts.isStringLiteral(st.moduleSpecifier)) continue;
    const specifier = st.moduleSpecifier.text;
    const bindings = new Map<string, string>();
    const clause = st.importClause;
    if (clause?.name) bindings.set(clause.name.text, 'default');
    const nb = clause?.namedBindings;
    if (nb && ts.isNamespaceImport(nb)) bindings.set(nb.name.text, '*');
    if (nb && ts.isNamedImports(nb)) {
      for (const el of nb.elements) bindings.set(el.name.text, (el.propertyName ?? el.name).text);
    }
    const mappedTo = mapSpecifier(specifier, rules.importMappings);
    out.push({
      decl: st,
      specifier,
      isSql: !mappedTo && matchesModule(specifier, rules.sqlModules),
      mappedTo,
      typeOnly: clause?.isTypeOnly ?? false,
      bindings,
    });
  }
  return out;
}

/** The innermost function of `g(h(async () => ...))`, or the function itself. */
export function unwrapGuards(expr: ts.Expression | undefined): ts.FunctionLikeDeclaration | undefined {
  let e = expr;
  while (e) {
    if (ts.isArrowFunction(e) || ts.isFunctionExpression(e)) return e;
    if (ts.isParenthesizedExpression(e) || ts.isAsExpression(e) || ts.isSatisfiesExpression(e)) {
      e = e.expression;
      continue;
    }
    if (ts.isCallExpression(e)) {
      e = e.arguments.find((a) => ts.isArrowFunction(a) || ts.isFunctionExpression(a) || ts.isCallExpression(a));
      continue;
    }
    return undefined;
  }
  return undefined;
}

/** The module's top-level functions and class methods, named as the report names them. */
export function collectUnits(sf: ts.SourceFile): { units: FunctionUnit[]; localFunctions: Map<string, ts.FunctionLikeDeclaration> } {
  const units: FunctionUnit[] = [];
  const localFunctions = new Map<string, ts.FunctionLikeDeclaration>();
  for (const st of sf.statements) {
    if (ts.isFunctionDeclaration(st) && st.name) {
      units.push({ name: st.name.text, node: st, fn: st });
      localFunctions.set(st.name.text, st);
    } else if (ts.isVariableStatement(st)) {
      for (const d of st.declarationList.declarations) {
        if (!ts.isIdentifier(d.name)) continue;
        const fn = unwrapGuards(d.initializer);
        if (!fn) continue;
        units.push({ name: d.name.text, node: st, fn });
        localFunctions.set(d.name.text, fn);
      }
    } else if (ts.isClassDeclaration(st) && st.name) {
      for (const m of st.members) {
        if ((ts.isMethodDeclaration(m) || ts.isConstructorDeclaration(m)) && m.body) {
          const name = ts.isConstructorDeclaration(m) ? 'constructor' : m.name.getText(sf);
          units.push({ name: `${st.name.text}.${name}`, node: m, fn: m });
        }
      }
    }
  }
  return { units, localFunctions };
}

/** Builds the facts of one parsed module. Pure. */
export function analyzeModule(sf: ts.SourceFile, rules: RulePack, models?: { catalog?: ModelCatalog; error?: string }): ModuleFacts {
  const text = sf.text;
  const imports = collectImports(sf, rules);
  const { units, localFunctions } = collectUnits(sf);
  const sessionFactories = new Set<string>();
  const queryHelpers = new Set<string>();
  const sqlBindings = new Map<string, ImportInfo>();
  let modelsNamespace: string | undefined;
  for (const imp of imports) {
    for (const [local, imported] of imp.bindings) {
      if (rules.sessionFactories.includes(imported)) sessionFactories.add(local);
      if (rules.queryHelpers.includes(imported)) queryHelpers.add(local);
      if (imp.isSql) sqlBindings.set(local, imp);
      // the service's own models module: an SQL library's models (`oslo.db/sqlalchemy/models`,
      // the base classes) is no module of entities, and the port drops it when unused, so taking
      // it would leave the creates unlocked the first time and lock them the second
      if (imported === '*' && (imp.specifier === rules.modelsModule || (!imp.isSql && !imp.mappedTo && imp.specifier.endsWith('/models')))) modelsNamespace = local;
    }
  }
  for (const name of localFunctions.keys()) {
    if (rules.sessionFactories.includes(name)) sessionFactories.add(name);
    if (rules.queryHelpers.includes(name)) queryHelpers.add(name);
  }
  const resolve = importResolver(sf, new Set(imports.flatMap((i) => [...i.bindings.keys()])));
  const byDecl = new Map(imports.map((i) => [i.decl, i]));
  const facts: ModuleFacts = {
    sf,
    text,
    rules,
    imports,
    units,
    localFunctions,
    sessionFactories,
    queryHelpers,
    modelsNamespace,
    returns: new Map(),
    sqlBindings,
    importOf: (id) => {
      const decl = resolve(id);
      return decl && byDecl.get(decl);
    },
    eol: text.includes('\r\n') ? '\r\n' : '\n',
    models: models?.catalog,
    modelsError: models?.error,
  };
  inferReturns(facts);
  return facts;
}

/** Which local functions return a query, an entity or a list (to a fixpoint: helpers call helpers). */
function inferReturns(facts: ModuleFacts): void {
  for (let round = 0; round < 5; round++) {
    let changed = false;
    for (const [name, fn] of facts.localFunctions) {
      if (facts.returns.has(name) || !fn.body) continue;
      const env = variableKinds(facts, fn);
      let kind: ValueKind | null = null;
      if (!ts.isBlock(fn.body)) kind = kindOf(facts, fn.body, env);
      else {
        walk(fn.body, (n) => {
          if (ts.isReturnStatement(n) && n.expression && enclosingFunction(n) === fn) kind = kind ?? kindOf(facts, n.expression, env);
        });
      }
      if (kind) {
        facts.returns.set(name, kind);
        changed = true;
      }
    }
    if (!changed) break;
  }
}

/** The function a node belongs to. */
export function enclosingFunction(node: ts.Node): ts.FunctionLikeDeclaration | undefined {
  let n = node.parent;
  while (n && !ts.isFunctionLike(n)) n = n.parent;
  return n as ts.FunctionLikeDeclaration | undefined;
}

/** Kinds of the local variables of a function (queries, entities, lists), by name. */
export function variableKinds(facts: ModuleFacts, fn: ts.Node): Map<string, ValueKind> {
  const env = new Map<string, ValueKind>();
  walk(fn, (n) => {
    if (ts.isVariableDeclaration(n) && ts.isIdentifier(n.name) && n.initializer) {
      const k = kindOf(facts, n.initializer, env);
      if (k && !env.has(n.name.text)) env.set(n.name.text, k);
    } else if (ts.isBinaryExpression(n) && n.operatorToken.kind === ts.SyntaxKind.EqualsToken && ts.isIdentifier(n.left)) {
      const k = kindOf(facts, n.right, env);
      if (k && !env.has(n.left.text)) env.set(n.left.text, k);
    }
  });
  return env;
}

/** Strips `await`, parentheses, `!` and `as`. */
export function bare(expr: ts.Expression): ts.Expression {
  let e = expr;
  for (;;) {
    if (ts.isAwaitExpression(e) || ts.isParenthesizedExpression(e) || ts.isNonNullExpression(e) || ts.isAsExpression(e)) e = e.expression;
    else return e;
  }
}

/**
 * True for a session expression: a `session` variable or option, the session option of a
 * function's parameters under another name (`{ session: db }: { session: any }`), or a
 * session-factory call.
 */
export function isSessionExpr(facts: ModuleFacts, expr: ts.Expression): boolean {
  const e = bare(expr);
  // an imported module named `session` (oslo.db's) is not a session, unless a local name shadows it
  if (ts.isIdentifier(e)) return (/^session$|Session$|_session$/.test(e.text) && !/^Rome/.test(e.text) && !facts.importOf(e)) || isRenamedSessionOption(facts, e);
  if (ts.isPropertyAccessExpression(e)) return e.name.text === 'session';
  if (ts.isCallExpression(e) && ts.isIdentifier(e.expression)) return facts.sessionFactories.has(e.expression.text);
  return false;
}

/** `db` in a function whose parameters destructure `{ session: db }` (the pack's session option names). */
function isRenamedSessionOption(facts: ModuleFacts, id: ts.Identifier): boolean {
  for (let p: ts.Node | undefined = id.parent; p; p = p.parent) {
    if (!ts.isFunctionLike(p)) continue;
    for (const param of p.parameters) {
      if (!ts.isObjectBindingPattern(param.name)) continue;
      for (const el of param.name.elements) {
        const option = el.propertyName;
        if (option && ts.isIdentifier(option) && facts.rules.queryOptions.session.includes(option.text) && ts.isIdentifier(el.name) && el.name.text === id.text) return true;
      }
    }
  }
  return false;
}

/** Where the query part of a chain starts: after `session.query` or at a query root. */
export function queryStart(facts: ModuleFacts, chain: Chain, env: Map<string, ValueKind>): number {
  const root = bare(chain.root);
  if (ts.isCallExpression(root) && ts.isIdentifier(root.expression)) {
    const name = root.expression.text;
    if (facts.queryHelpers.has(name) || facts.returns.get(name) === 'query') return 0;
  }
  if (ts.isIdentifier(root) && env.get(root.text) === 'query') return 0;
  // `db_api.model_query(...)`: the query helper through a namespace (or default) import of the package's own module
  if (ts.isIdentifier(root) && chain.links[0] && facts.rules.queryHelpers.includes(chain.links[0].name)) {
    const imp = facts.importOf(root);
    const binding = imp?.bindings.get(root.text);
    if (imp && imp.specifier.startsWith('.') && (binding === '*' || binding === 'default')) return 1;
  }
  if (isSessionExpr(facts, root) && chain.links[0]?.name === 'query') return 1;
  return -1;
}

/** The kind of value an expression produces, when port-db can tell. */
export function kindOf(facts: ModuleFacts, expr: ts.Expression, env: Map<string, ValueKind>): ValueKind | null {
  const e = bare(expr);
  if (ts.isIdentifier(e)) return env.get(e.text) ?? null;
  if (!ts.isCallExpression(e)) return null;
  if (ts.isIdentifier(e.expression)) {
    const name = e.expression.text;
    if (facts.queryHelpers.has(name)) return 'query';
    return facts.returns.get(name) ?? null;
  }
  const chain = flattenChain(e);
  const start = queryStart(facts, chain, env);
  if (start < 0) return null;
  const last = chain.links[chain.links.length - 1];
  if (!last || chain.links.length === start) return 'query';
  if (last.name in TERMINALS) return TERMINALS[last.name];
  return 'query';
}

/**
 * The text of a session a unit or a call names: a name (`session`), or a name's field
 * (`context.session`, `this.session`), blanks dropped. Not a call (`get_context().session`):
 * each call may answer another.
 */
export function sessionText(facts: ModuleFacts, e: ts.Expression): string | undefined {
  if (ts.isIdentifier(e)) return e.text;
  if (!isSessionExpr(facts, e) || !ts.isPropertyAccessExpression(e)) return undefined;
  let root: ts.Expression = e;
  while (ts.isPropertyAccessExpression(root)) root = root.expression;
  return ts.isIdentifier(root) || root.kind === ts.SyntaxKind.ThisKeyword ? e.getText().replace(/\s+/g, '') : undefined;
}

/**
 * The session a call passes, as `sessionText` writes it: `f(x, session)`, `f(x, { session })`,
 * `{ session: s }` (option names from the pack), and a name's field: `f(x, context.session)`,
 * `f(x, { session: context.session })`.
 */
export function passesSession(facts: ModuleFacts, call: ts.CallExpression): string | undefined {
  for (const arg of call.arguments) {
    if (ts.isIdentifier(arg) && isSessionExpr(facts, arg)) return arg.text;
    if (ts.isPropertyAccessExpression(arg)) {
      const text = sessionText(facts, arg);
      if (text) return text;
    }
    if (!ts.isObjectLiteralExpression(arg)) continue;
    for (const p of arg.properties) {
      // the option names come from the pack (queryOptions.session)
      if (p.name === undefined || !facts.rules.queryOptions.session.includes(p.name.getText())) continue;
      if (ts.isShorthandPropertyAssignment(p)) return p.name.text;
      if (!ts.isPropertyAssignment(p)) continue;
      if (ts.isIdentifier(p.initializer) && isSessionExpr(facts, p.initializer)) return p.initializer.text;
      if (ts.isPropertyAccessExpression(p.initializer)) {
        const text = sessionText(facts, p.initializer);
        if (text) return text;
      }
    }
  }
  return undefined;
}

/** Variable kinds by function, shared by the rewriters of one module (facts never change). */
const kindsOf = new WeakMap<ModuleFacts, Map<ts.Node, Map<string, ValueKind>>>();

/**
 * Variable kinds per function, computed once per function and module for all rewriters. A
 * rewriter that adds to them (`mutable`) gets its own copy per function, as it had before.
 */
export function kindCache(facts: ModuleFacts, mutable = false): (node: ts.Node) => Map<string, ValueKind> {
  let cache = kindsOf.get(facts);
  if (!cache) kindsOf.set(facts, (cache = new Map()));
  const shared = cache;
  const copies = new Map<ts.Node, Map<string, ValueKind>>();
  return (node) => {
    const fn = enclosingFunction(node) ?? facts.sf;
    let env = shared.get(fn);
    if (!env) shared.set(fn, (env = variableKinds(facts, fn)));
    if (!mutable) return env;
    let copy = copies.get(fn);
    if (!copy) copies.set(fn, (copy = new Map(env)));
    return copy;
  };
}

/**
 * `orm.relationship`, `sa_orm.exc.NoResultFound`, `sqlalchemy.orm.Session` (a value or a type):
 * a name the target has, reached through a namespace of an SQL import. `id` is the chain's root;
 * answers the whole chain and the target's name for it, like a named import of that name.
 */
export function mappedChain(facts: ModuleFacts, id: ts.Identifier): { node: ts.PropertyAccessExpression | ts.QualifiedName; to: string } | undefined {
  let top: ts.Node = id;
  for (;;) {
    const p: ts.Node = top.parent;
    if ((ts.isPropertyAccessExpression(p) && p.expression === top) || (ts.isQualifiedName(p) && p.left === top)) top = p;
    else break;
  }
  if (top === id || !(ts.isPropertyAccessExpression(top) || ts.isQualifiedName(top))) return undefined;
  const name = ts.isPropertyAccessExpression(top) ? top.name.text : top.right.text;
  const to = Object.hasOwn(facts.rules.mappedNames, name) ? facts.rules.mappedNames[name] : undefined;
  if (!to || !facts.importOf(id)?.isSql) return undefined;
  return { node: top, to };
}
