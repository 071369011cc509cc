import ts from '../ts.cjs';
import { collectDirectives, type Directives } from '../analyzer/directives.js';
import { analyzeModule, boundNames, ModuleGraph, parseSource, type Binding, type ModuleInfo, type Verdict } from './module-info.js';
import { classifySql, SUBSTITUTION } from '../analyzer/sql-classifier.js';
import { isDiscoveryModule, isSqlModule, isSqlalchemyPath } from '../analyzer/specifiers.js';
import type { FileScanResult, Finding, RawFinding, ScanConfig } from '../analyzer/check-types.js';

/** Calls whose first argument is SQL text when it is a string (`text('SELECT ...')`). */
const SQL_TEXT_CALLEES = new Set(['text', 'execute', 'exec', 'executemany', 'executeQuery', 'raw', 'rawQuery', 'query', 'prepare', 'unsafe']);

const SNIPPET_LENGTH = 60;

/** Query methods that answer rows or a count, not a query. */
const QUERY_TERMINALS = new Set(['first', 'all', 'count', 'one', 'one_or_none', 'oneOrNone', 'scalar', 'distinct', 'update', 'delete', 'soft_delete', 'softDelete', 'exists']);

/**
 * Checks one file: parses it once, runs every rule in one walk, then applies manual markers
 * (folding) and suppressions. `file` is the absolute path (for import resolution), `rel` the
 * path reported.
 */
export function scanSource(text: string, file: string, rel: string, config: ScanConfig, graph: ModuleGraph): FileScanResult {
  const source = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const sf = parseSource(file, source);
  // Not added to the graph: keeping every scanned AST alive would only feed the garbage collector.
  const info = analyzeModule(sf, file, config);
  const wantsComments = source.includes('port-db');
  const boundaries: number[] = [];
  const raw = new FileRules(sf, info, config, graph).run(wantsComments ? boundaries : undefined);
  const directives: Directives = wantsComments ? collectDirectives(sf, boundaries) : { markers: [], suppressions: [] };
  return placeFindings(sf, rel, raw, directives);
}

/** The rules of DESIGN §7 over one parsed file. */
class FileRules {
  private readonly findings: RawFinding[] = [];
  /** Literals already classified as part of a larger expression. */
  private readonly handled = new Set<ts.Node>();
  /** Ancestors of the node being visited, outermost first (the tree has no parent pointers). */
  private readonly ancestors: ts.Node[] = [];
  private readonly discovery: boolean;

  constructor(
    private readonly sf: ts.SourceFile,
    private readonly info: ModuleInfo,
    private readonly config: ScanConfig,
    private readonly graph: ModuleGraph,
  ) {
    this.discovery = isDiscoveryModule(info.file);
  }

  run(boundaries: number[] | undefined): RawFinding[] {
    const visit = (node: ts.Node): void => {
      if (boundaries) boundaries.push(node.pos, node.end);
      if (!this.visitNode(node)) return;
      this.ancestors.push(node);
      ts.forEachChild(node, visit);
      this.ancestors.pop();
    };
    visit(this.sf);
    return this.findings;
  }

  private report(node: ts.Node, rule: RawFinding['rule'], message: string): void {
    this.findings.push({ pos: node.getStart(this.sf), rule, message });
  }

  /** Checks one node; returns false when its children need no visit. */
  private visitNode(node: ts.Node): boolean {
    switch (node.kind) {
      case ts.SyntaxKind.ImportDeclaration:
      case ts.SyntaxKind.ExportDeclaration: {
        const decl = node as ts.ImportDeclaration | ts.ExportDeclaration;
        if (decl.moduleSpecifier && ts.isStringLiteral(decl.moduleSpecifier)) {
          this.checkImport(node, decl.moduleSpecifier.text, ts.isImportDeclaration(decl) ? 'import' : 're-export');
        }
        return false;
      }
      case ts.SyntaxKind.ImportEqualsDeclaration: {
        const ref = (node as ts.ImportEqualsDeclaration).moduleReference;
        if (ts.isExternalModuleReference(ref) && ts.isStringLiteral(ref.expression)) this.checkImport(node, ref.expression.text, 'import');
        return false;
      }
      case ts.SyntaxKind.LiteralType:
      case ts.SyntaxKind.ImportType:
        return false;
      case ts.SyntaxKind.CallExpression:
        this.checkCall(node as ts.CallExpression);
        return true;
      case ts.SyntaxKind.PropertyAccessExpression:
        if (this.discovery) this.checkAttribute(node as ts.PropertyAccessExpression);
        return true;
      case ts.SyntaxKind.NewExpression:
        this.checkFactoryCall(node as ts.NewExpression);
        return true;
      case ts.SyntaxKind.TaggedTemplateExpression: {
        const tagged = node as ts.TaggedTemplateExpression;
        this.checkLiteral(tagged.template, isSqlTag(tagged.tag), tagged);
        return true;
      }
      case ts.SyntaxKind.BinaryExpression:
        this.checkConcatenation(node as ts.BinaryExpression, false);
        return true;
      case ts.SyntaxKind.StringLiteral:
      case ts.SyntaxKind.NoSubstitutionTemplateLiteral:
      case ts.SyntaxKind.TemplateExpression:
        this.checkLiteral(node, false);
        return node.kind === ts.SyntaxKind.TemplateExpression;
      default:
        return true;
    }
  }

  private checkImport(node: ts.Node, spec: string, how: string): void {
    const names = importedNames(node);
    const suffix = names ? ` (${names})` : '';
    if (isSqlModule(spec, this.config.sqlModules)) {
      this.report(node, 'sql-import', `${how} of SQL library '${spec}'${suffix}`);
    } else if (this.discovery && isSqlalchemyPath(spec, this.info.file)) {
      this.report(node, 'sql-import', `${how} of db/sqlalchemy module '${spec}' from a discovery module${suffix}`);
    }
  }

  private checkCall(call: ts.CallExpression): void {
    const callee = call.expression;
    const first = call.arguments[0];
    if (first && (ts.isStringLiteral(first) || ts.isNoSubstitutionTemplateLiteral(first))) {
      if (callee.kind === ts.SyntaxKind.ImportKeyword) {
        this.checkImport(call, first.text, 'dynamic import');
        this.handled.add(first);
      } else if (ts.isIdentifier(callee) && callee.text === 'require') {
        this.checkImport(call, first.text, 'require');
        this.handled.add(first);
      }
    }
    const name = calleeName(callee);
    if (name === undefined) return;
    if (this.config.rowLocks.includes(name)) {
      const at = ts.isPropertyAccessExpression(callee) ? callee.name : callee;
      this.report(at, 'row-lock', `row lock ${name}(): a key/value store has no SELECT ... FOR UPDATE; take a DLM lock instead`);
    }
    this.checkFactoryCall(call);
    if (this.discovery) this.checkUnsupported(call, name);
    if (first && SQL_TEXT_CALLEES.has(name)) {
      if (ts.isBinaryExpression(first)) this.checkConcatenation(first, true);
      else this.checkLiteral(first, true);
    }
  }

  /** `get_session()`, `facade.get_session()`, `new EngineFacade(...)`, `create_engine(...)`. */
  private checkFactoryCall(call: ts.CallExpression | ts.NewExpression): void {
    const callee = call.expression;
    const name = calleeName(callee);
    if (name === undefined) return;
    const isSession = this.config.sessionFactories.includes(name);
    if (!isSession && !this.config.engineFactories.includes(name)) return;
    let verdict: Verdict;
    if (ts.isIdentifier(callee)) {
      verdict = this.resolveIdentifier(callee);
    } else if (ts.isPropertyAccessExpression(callee)) {
      verdict = this.resolveMember(callee.expression, name);
    } else {
      return;
    }
    if (verdict.kind !== 'sql') return;
    const what = isSession ? 'SQL session factory' : 'SQL engine factory';
    const shown = ts.isNewExpression(call) ? `new ${name}()` : `${name}()`;
    this.report(call, 'sql-session', `${what} ${shown} ${verdict.why}`);
  }

  /**
   * In a discovery module, what ROME lacks or silently ignores (the pack's `target.lacks`): a
   * `limit()` on a query held in a variable, `one()`, `execute()`, ... Port-db marks what it
   * sees; what it could not see runs on ROME without the SQL meaning, so it is reported.
   */
  private checkUnsupported(call: ts.CallExpression, name: string): void {
    const callee = call.expression;
    if (!ts.isPropertyAccessExpression(callee)) return;
    if (this.config.targetLacks.includes(name)) {
      this.report(callee.name, 'rome-unsupported', `\`${name}()\`: ROME lacks it or ignores it; the code runs on ROME without what SQL did`);
    } else if ((name === 'in_' || name === 'notin_') && call.arguments.length === 1 && this.isQuery(call.arguments[0], 0)) {
      this.report(callee.name, 'rome-unsupported', `\`${name}(<query>)\`: an SQL subquery; ROME has none and tests membership in a list: pass the values`);
    }
  }

  /** `M.__mapper__`, `M.attr.property.columns` (mapper introspection), `query.session`. */
  private checkAttribute(access: ts.PropertyAccessExpression): void {
    const name = access.name.text;
    if (name === '__mapper__' && this.config.targetLacks.includes(name)) {
      this.report(access.name, 'rome-unsupported', '`__mapper__`: mapper introspection; ROME has no SQLAlchemy mapper');
    } else if (name === 'columns' && ts.isPropertyAccessExpression(access.expression) && access.expression.name.text === 'property') {
      this.report(access.expression.name, 'rome-unsupported', '`.property.columns`: mapper introspection; ROME has no SQLAlchemy mapper');
    } else if (name === 'session' && this.isQuery(access.expression, 0)) {
      this.report(access.name, 'rome-unsupported', '`query.session`: a RomeQuery carries no session');
    }
  }

  /** Whether an expression is a query, as far as the text tells: a query chain, or a name bound to one or typed as one. */
  private isQuery(expr: ts.Expression, depth: number): boolean {
    let e = expr;
    while (ts.isParenthesizedExpression(e) || ts.isNonNullExpression(e) || ts.isAsExpression(e)) e = e.expression;
    if (ts.isIdentifier(e) && depth < 3) {
      const binding = lookupBinding(e.text, this.ancestors, this.info);
      if (binding.kind === 'param') {
        const type = binding.node?.type?.getText(this.sf) ?? '';
        return type.includes(this.config.targetQuery) || /\bQuery\b/.test(type);
      }
      if (binding.kind === 'decl' && ts.isVariableDeclaration(binding.node) && binding.node.initializer) return this.isQuery(binding.node.initializer, depth + 1);
      return false;
    }
    if (!ts.isCallExpression(e)) return false;
    // the last call decides: a terminal answers rows, not a query
    const last = calleeName(e.expression);
    if (last === undefined || QUERY_TERMINALS.has(last)) return false;
    for (let n: ts.Expression = e; ; ) {
      if (ts.isCallExpression(n)) {
        const callee = n.expression;
        if (ts.isIdentifier(callee)) return this.config.queryHelpers.includes(callee.text);
        if (ts.isPropertyAccessExpression(callee) && callee.name.text === 'query') return true;
        n = callee;
      } else if (ts.isPropertyAccessExpression(n)) {
        n = n.expression;
      } else {
        return ts.isIdentifier(n) && this.isQuery(n, depth + 1);
      }
    }
  }

  /** What an identifier refers to, from the innermost scope that binds it out to the module. */
  private resolveIdentifier(id: ts.Identifier): Verdict {
    const binding = lookupBinding(id.text, this.ancestors, this.info);
    switch (binding.kind) {
      case 'import':
        return this.graph.classifyImport(this.info, binding.binding);
      case 'decl':
        return this.graph.classifyDecl(this.info, binding.node);
      case 'param':
        // Whatever the caller passes in: not the module's SQL factory.
        return { kind: 'other', why: 'a parameter' };
      default:
        return this.info.importsSql
          ? { kind: 'sql', why: 'not defined or imported here, in a module that imports SQL' }
          : { kind: 'other', why: 'unresolved' };
    }
  }

  /** `x.get_session()`: resolved through the leftmost name of `x`. */
  private resolveMember(receiver: ts.Expression, member: string): Verdict {
    let root: ts.Expression = receiver;
    while (ts.isPropertyAccessExpression(root) || ts.isCallExpression(root) || ts.isElementAccessExpression(root) || ts.isParenthesizedExpression(root) || ts.isNonNullExpression(root)) {
      root = root.expression;
    }
    if (ts.isIdentifier(root)) {
      const binding = lookupBinding(root.text, this.ancestors, this.info);
      if (binding.kind === 'import') return this.graph.classifyImport(this.info, binding.binding, 0, member);
      if (binding.kind === 'decl') return this.graph.classifyDecl(this.info, binding.node);
    }
    return this.info.importsSql
      ? { kind: 'sql', why: 'on an object of a module that imports SQL' }
      : { kind: 'other', why: 'unresolved' };
  }

  /** A `+` chain with string parts is classified as one text (`'SELECT * ' + 'FROM t'`). */
  private checkConcatenation(node: ts.BinaryExpression, hinted: boolean): void {
    if (node.operatorToken.kind !== ts.SyntaxKind.PlusToken || this.handled.has(node)) return;
    if (!hinted) {
      let k = this.ancestors.length - 1;
      while (k >= 0 && ts.isParenthesizedExpression(this.ancestors[k])) k--;
      const parent = this.ancestors[k];
      if (parent && ts.isBinaryExpression(parent) && parent.operatorToken.kind === ts.SyntaxKind.PlusToken) return;
    }
    const parts: ts.Expression[] = [];
    const flatten = (e: ts.Expression): void => {
      const inner = skipParensDown(e);
      if (ts.isBinaryExpression(inner) && inner.operatorToken.kind === ts.SyntaxKind.PlusToken) {
        flatten(inner.left);
        flatten(inner.right);
      } else {
        parts.push(inner);
      }
    };
    flatten(node);
    const literals = parts.filter((p) => literalText(p) !== undefined);
    if (literals.length === 0 || parts.length < 2) return;
    this.handled.add(node);
    const joined = parts.map((p) => literalText(p) ?? SUBSTITUTION).join('');
    const statement = classifySql(joined, { hinted });
    if (!statement) return;
    for (const literal of literals) this.handled.add(literal);
    this.findings.push({ pos: node.getStart(this.sf), rule: 'raw-sql', message: rawSqlMessage(statement.kind, joined) });
  }

  private checkLiteral(node: ts.Node, hinted: boolean, reportAt: ts.Node = node): void {
    if (this.handled.has(node)) return;
    this.handled.add(node);
    const text = literalText(node);
    if (text === undefined || text.length < 6) return;
    const statement = classifySql(text, { hinted });
    if (statement) this.findings.push({ pos: reportAt.getStart(this.sf), rule: 'raw-sql', message: rawSqlMessage(statement.kind, text) });
  }
}

/**
 * Finds the declaration `name` refers to at a call, walking the call's enclosing scopes
 * (`ancestors`, outermost first) from the inside out.
 */
function lookupBinding(name: string, ancestors: readonly ts.Node[], info: ModuleInfo): Binding {
  for (let k = ancestors.length - 1; k >= 0; k--) {
    const node = ancestors[k];
    if (ts.isSourceFile(node)) {
      const imported = info.imports.get(name);
      if (imported) return { kind: 'import', binding: imported };
      const decl = info.locals.get(name);
      return decl ? { kind: 'decl', node: decl } : { kind: 'none' };
    }
    if (ts.isFunctionLike(node)) {
      for (const param of node.parameters) {
        if (boundNames(param.name).includes(name)) return { kind: 'param', node: param };
      }
      if ((ts.isFunctionExpression(node) || ts.isClassExpression(node)) && node.name?.text === name) return { kind: 'decl', node };
    }
    if (ts.isBlock(node) || ts.isModuleBlock(node) || ts.isCaseClause(node) || ts.isDefaultClause(node)) {
      const found = findInStatements(node.statements, name);
      if (found) return { kind: 'decl', node: found };
    }
    if ((ts.isForStatement(node) || ts.isForOfStatement(node) || ts.isForInStatement(node)) && node.initializer && ts.isVariableDeclarationList(node.initializer)) {
      const decl = node.initializer.declarations.find((d) => boundNames(d.name).includes(name));
      if (decl) return { kind: 'decl', node: decl };
    }
    if (ts.isCatchClause(node) && node.variableDeclaration && boundNames(node.variableDeclaration.name).includes(name)) {
      return { kind: 'param' };
    }
  }
  return { kind: 'none' };
}

function findInStatements(statements: ts.NodeArray<ts.Statement>, name: string): ts.Node | undefined {
  for (const stmt of statements) {
    if ((ts.isFunctionDeclaration(stmt) || ts.isClassDeclaration(stmt) || ts.isEnumDeclaration(stmt)) && stmt.name?.text === name) return stmt;
    if (ts.isVariableStatement(stmt)) {
      const decl = stmt.declarationList.declarations.find((d) => boundNames(d.name).includes(name));
      if (decl) return decl;
    }
  }
  return undefined;
}

function calleeName(callee: ts.Expression): string | undefined {
  if (ts.isIdentifier(callee)) return callee.text;
  if (ts.isPropertyAccessExpression(callee)) return callee.name.text;
  return undefined;
}

/** `sql`, `SQL`, `Prisma.sql`, `db.rawSql`: a tag that says its template is SQL. */
function isSqlTag(tag: ts.Expression): boolean {
  const name = calleeName(tag);
  return name !== undefined && /sql/i.test(name);
}

function skipParensDown(node: ts.Expression): ts.Expression {
  while (ts.isParenthesizedExpression(node)) node = node.expression;
  return node;
}

/** The cooked text of a string-like literal, `${...}` substitutions replaced by {@link SUBSTITUTION}. */
function literalText(node: ts.Node): string | undefined {
  if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) return node.text;
  if (ts.isTemplateExpression(node)) {
    return node.head.text + node.templateSpans.map((span) => SUBSTITUTION + span.literal.text).join('');
  }
  return undefined;
}

/** `text, func` for `import { text, func } from ...`, `* as sa` for a namespace import. */
function importedNames(node: ts.Node): string | undefined {
  if (ts.isImportDeclaration(node)) {
    const clause = node.importClause;
    if (!clause) return undefined;
    const names: string[] = [];
    if (clause.name) names.push(clause.name.text);
    const bindings = clause.namedBindings;
    if (bindings && ts.isNamespaceImport(bindings)) names.push(`* as ${bindings.name.text}`);
    else if (bindings) names.push(...bindings.elements.map((e) => e.name.text));
    const list = names.join(', ');
    return clause.isTypeOnly ? `type ${list}` : list || undefined;
  }
  if (ts.isExportDeclaration(node) && node.exportClause && ts.isNamedExports(node.exportClause)) {
    return node.exportClause.elements.map((e) => e.name.text).join(', ') || undefined;
  }
  return undefined;
}

function rawSqlMessage(kind: string, text: string): string {
  const flat = text.split(SUBSTITUTION).join('${…}').replace(/\s+/g, ' ').trim();
  const snippet = flat.length > SNIPPET_LENGTH ? `${flat.slice(0, SNIPPET_LENGTH - 1)}…` : flat;
  return `raw SQL ${kind} statement: ${snippet}`;
}

/**
 * Applies suppressions, folds findings inside marked statements into their marker, adds the
 * marker and dead-suppression findings, and turns offsets into 1-based line and column.
 */
function placeFindings(sf: ts.SourceFile, rel: string, raw: RawFinding[], directives: Directives): FileScanResult {
  const lineOf = (pos: number) => sf.getLineAndCharacterOfPosition(pos).line;
  const all: RawFinding[] = [...raw, ...directives.markers.map((m) => ({ pos: m.pos, rule: 'manual-marker' as const, message: m.reason }))];
  let suppressed = 0;
  const kept = all.filter((finding) => {
    const line = lineOf(finding.pos);
    let silenced = false;
    for (const s of directives.suppressions) {
      if (s.kind === 'next-line' && s.endLine + 1 !== line) continue;
      if (s.rules.length === 0) {
        if (s.unknown.length > 0) continue;
        s.used.add('*');
        silenced = true;
      } else if (s.rules.includes(finding.rule)) {
        s.used.add(finding.rule);
        silenced = true;
      }
    }
    if (silenced) suppressed++;
    return !silenced;
  });
  const reported = kept.filter(
    (finding) => finding.rule === 'manual-marker' || !directives.markers.some((m) => m.start <= finding.pos && finding.pos < m.end),
  );
  for (const s of directives.suppressions) {
    const comment = `port-db-ignore-${s.kind}`;
    for (const name of s.unknown) {
      reported.push({ pos: s.pos, rule: 'unused-suppression', message: `${comment} names unknown rule '${name}'` });
    }
    const unused = s.rules.length === 0 ? (s.unknown.length === 0 && s.used.size === 0 ? [''] : []) : s.rules.filter((r) => !s.used.has(r));
    if (unused.length === 0) continue;
    const where = s.kind === 'file' ? 'in this file' : `on line ${s.endLine + 2}`;
    const what = unused[0] === '' ? comment : `${comment} ${unused.join(', ')}`;
    reported.push({ pos: s.pos, rule: 'unused-suppression', message: `${what} suppresses nothing ${where}; remove it` });
  }
  const findings: Finding[] = reported.map((f) => {
    const { line, character } = sf.getLineAndCharacterOfPosition(f.pos);
    return { file: rel, line: line + 1, column: character + 1, rule: f.rule, message: f.message };
  });
  return { rel, findings, suppressed };
}
