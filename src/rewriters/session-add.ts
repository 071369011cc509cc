import ts from '../ts.cjs';
import { flattenChain } from '../analyzer/chains.js';
import { bare, isSessionExpr, kindOf, passesSession, queryStart, sessionText, type ModuleFacts, type ValueKind, kindCache } from '../analyzer/module.js';
import { entityDictHelpers } from '../analyzer/dicts.js';
import { enclosingStatement, indentAt, walk } from '../analyzer/parse.js';
import { declarationOf } from '../analyzer/scope.js';
import { assignThroughRow } from './loaded-row.js';
import { emptyResult, record, type ChangeRecord, type Rewriter, type RewriteResult } from './types.js';

/** A unit of work: the block whose session persists what it loaded. */
interface Unit {
  body: ts.Block;
  session: string;
  /** The session may be absent (`session?: Session`, a default): its changes are marked, not added. */
  optional?: boolean;
}

/**
 * `session.begin(async () => {...})` callbacks (on `context.session` too), and bodies of functions
 * that take a required `session` (or `{ session }`, or the option renamed: `{ session: db_session }`).
 */
function unitsOfWork(facts: ModuleFacts): Unit[] {
  const units: Unit[] = [];
  walk(facts.sf, (n) => {
    if (ts.isCallExpression(n) && ts.isPropertyAccessExpression(n.expression) && facts.rules.methods.begin.includes(n.expression.name.text)) {
      const target = n.expression.expression;
      const session = isSessionExpr(facts, target) ? sessionText(facts, target) : undefined;
      if (!session) return;
      for (const arg of n.arguments) {
        if ((ts.isArrowFunction(arg) || ts.isFunctionExpression(arg)) && ts.isBlock(arg.body)) units.push({ body: arg.body, session });
      }
    }
    if (ts.isFunctionLike(n) && 'body' in n && n.body && ts.isBlock(n.body)) {
      // `session: Session`, or a required option of an options object: `{ session }: { session: Session }`,
      // `{ session: db_session }: { session: Session }` (the session under the name it is given)
      const named = (b: ts.BindingName): string | undefined => {
        if (ts.isIdentifier(b)) return b.text === 'session' ? 'session' : undefined;
        if (!ts.isObjectBindingPattern(b)) return undefined;
        const el = sessionOption(b);
        return el && ts.isIdentifier(el.name) ? el.name.text : undefined;
      };
      const sessionOption = (b: ts.ObjectBindingPattern) =>
        b.elements.find((el) => {
          const option = el.propertyName ?? el.name;
          return !el.dotDotDotToken && ts.isIdentifier(el.name) && ts.isIdentifier(option) && facts.rules.queryOptions.session.includes(option.text);
        });
      const p = n.parameters.find((p) => named(p.name));
      // `session?: Session`, `session = null`, `{ session = get_session() }`: a caller may hand its unit of work
      if (p) units.push({ body: n.body, session: named(p.name)!, optional: !!(p.questionToken || p.initializer || (ts.isObjectBindingPattern(p.name) && sessionOption(p.name)?.initializer)) });
    }
  });
  return units;
}

/**
 * True when `expr` loads entities through the unit's session: directly, or through a query
 * variable built with it (`queries`: `const q = _get_query(ctx, { session }); await q.first()`).
 */
function loadsThroughSession(facts: ModuleFacts, expr: ts.Expression, session: string, env: Map<string, ValueKind>, queries: Set<string>): boolean {
  const e = bare(expr);
  if (!ts.isCallExpression(e)) return false;
  if (ts.isIdentifier(e.expression)) return passesSession(facts, e) === session;
  const chain = flattenChain(e);
  const start = queryStart(facts, chain, env);
  const root = bare(chain.root);
  if (start === 1) return sessionText(facts, root) === session;
  if (start === 0 && ts.isIdentifier(root)) return queries.has(root.text);
  return start === 0 && ts.isCallExpression(root) && passesSession(facts, root) === session;
}

/**
 * The unbound changes session-add binds to a name (bindUnboundChange): an update of a row loaded
 * through a unit's session. loaded-row.ts leaves those to it and rewrites any other.
 */
const boundChanges = new WeakMap<ModuleFacts, Set<ts.Node>>();

export function bindsUnboundChange(facts: ModuleFacts, n: ts.Node): boolean {
  let found = boundChanges.get(facts);
  if (!found) {
    const changes = new Set<ts.Node>();
    const envOf = kindCache(facts, true);
    for (const unit of unitsOfWork(facts)) {
      if (unit.optional) continue;
      const env = envOf(unit.body.statements[0] ?? unit.body);
      const queries = sessionQueries(facts, unit, env);
      walk(unit.body, (m) => {
        if (unboundLoad(facts, unit, env, queries, m)) changes.add(m);
      });
    }
    found = changes;
    boundChanges.set(facts, found);
  }
  return found.has(n);
}

/** The load an unbound change at `n` changes, when it is an entity loaded through the unit's session (rewrite() binds it). */
function unboundLoad(facts: ModuleFacts, unit: Unit, env: Map<string, ValueKind>, queries: Set<string>, n: ts.Node): ts.Expression | undefined {
  const load = changedExpression(facts, n);
  return load && ts.isCallExpression(bare(load)) && kindOf(facts, load, env) === 'entity' && loadsThroughSession(facts, load, unit.session, env, queries) ? load : undefined;
}

/** The top-level statement or class member holding `node`: the scope of names a rewrite may take. */
function topLevelOf(node: ts.Node): ts.Node {
  let n = node;
  while (n.parent && !ts.isSourceFile(n.parent) && !ts.isClassDeclaration(n.parent)) n = n.parent;
  return n;
}

/**
 * Names of query variables built with the unit's session, in the function around the unit too
 * (a query made before `session.begin(...)` and run inside it). They become queries in `env`.
 */
function sessionQueries(facts: ModuleFacts, unit: Unit, env: Map<string, ValueKind>): Set<string> {
  const names = new Set<string>();
  walk(topLevelOf(unit.body), (n) => {
    const bound = bindingOf(n);
    if (bound && kindOf(facts, bound.value, env) === 'query' && loadsThroughSession(facts, bound.value, unit.session, env, names)) {
      names.add(bound.name);
      env.set(bound.name, 'query');
    }
  });
  return names;
}

/** `const name = value` or `name = value` (or `name ??= value`, `||=`, `&&=`: the name may take the value). */
function bindingOf(n: ts.Node): { name: string; value: ts.Expression } | undefined {
  if (ts.isVariableDeclaration(n) && ts.isIdentifier(n.name) && n.initializer) return { name: n.name.text, value: n.initializer };
  if (ts.isBinaryExpression(n) && bindsValue(n.operatorToken.kind) && ts.isIdentifier(n.left)) return { name: n.left.text, value: n.right };
  return undefined;
}

/**
 * `=`, and the logical assignments `??=`, `||=`, `&&=`: after them the name may hold the value
 * (`ref ??= await _get(...)` loads the row it then changes; loaded-row.ts reads them so too).
 */
function bindsValue(op: ts.SyntaxKind): boolean {
  return op === ts.SyntaxKind.EqualsToken || op === ts.SyntaxKind.QuestionQuestionEqualsToken || op === ts.SyntaxKind.BarBarEqualsToken || op === ts.SyntaxKind.AmpersandAmpersandEqualsToken;
}

/**
 * Whether `e` is the entity `name`: a variable, or an element of a dict of entities written as
 * `usages[resource]` (`name` is then that text without spaces).
 */
function isRef(e: ts.Expression, name: string): boolean {
  if (ts.isIdentifier(e)) return e.text === name;
  return (ts.isElementAccessExpression(e) || ts.isPropertyAccessExpression(e)) && isElementName(name) && refText(e) === name;
}

/** Whether an entity's name is an element of a dict (`usages[res]`, `usages.volumes`), not a variable. */
function isElementName(name: string): boolean {
  return /[[.]/.test(name);
}

/** The text naming an entity reached through a dict: `usages[resource]`, spaces dropped. */
function refText(e: ts.Expression): string {
  return e.getText().replace(/\s+/g, '');
}

/** Is `n` a change of the entity `name`? update(values), field writes, Object.assign. */
function isMutation(facts: ModuleFacts, n: ts.Node, name: string): boolean {
  const isName = (e: ts.Expression) => isRef(e, name);
  if (ts.isCallExpression(n)) {
    const c = n.expression;
    if (ts.isPropertyAccessExpression(c) && isName(c.expression) && facts.rules.methods.update.includes(c.name.text)) return true;
    if (ts.isPropertyAccessExpression(c) && c.getText() === 'Object.assign' && n.arguments[0] && isName(n.arguments[0])) return true;
  }
  if (ts.isBinaryExpression(n) && n.operatorToken.kind >= ts.SyntaxKind.FirstAssignment && n.operatorToken.kind <= ts.SyntaxKind.LastAssignment) {
    return writesField(n.left, isName);
  }
  if ((ts.isPostfixUnaryExpression(n) || ts.isPrefixUnaryExpression(n)) && (n.operator === ts.SyntaxKind.PlusPlusToken || n.operator === ts.SyntaxKind.MinusMinusToken)) {
    const o = n.operand;
    return (ts.isPropertyAccessExpression(o) || ts.isElementAccessExpression(o)) && isName(o.expression);
  }
  return false;
}

/** Does an assignment target write a field of the entity? Destructuring too: `[a.host, b.host] = [x, y]`. */
function writesField(target: ts.Expression, isName: (e: ts.Expression) => boolean): boolean {
  const t = ts.isParenthesizedExpression(target) ? target.expression : target;
  if (ts.isPropertyAccessExpression(t) || ts.isElementAccessExpression(t)) return isName(t.expression);
  if (ts.isArrayLiteralExpression(t)) return t.elements.some((el) => writesField(ts.isSpreadElement(el) ? el.expression : el, isName));
  if (ts.isObjectLiteralExpression(t)) {
    return t.properties.some(
      (p) => (ts.isPropertyAssignment(p) && writesField(p.initializer, isName)) || (ts.isSpreadAssignment(p) && writesField(p.expression, isName)),
    );
  }
  // a default value: `[a.host = 'x'] = []`
  if (ts.isBinaryExpression(t) && t.operatorToken.kind === ts.SyntaxKind.EqualsToken) return writesField(t.left, isName);
  return false;
}

/** Is `n` an add or a save that persists `name` in this unit? */
function isPersist(facts: ModuleFacts, n: ts.Node, name: string, session: string): boolean {
  if (!ts.isCallExpression(n) || !ts.isPropertyAccessExpression(n.expression)) return false;
  const target = n.expression.expression;
  const method = n.expression.name.text;
  if (sessionText(facts, target) === session && facts.rules.methods.add.includes(method)) {
    return n.arguments.some((a) => (isElementName(name) ? refText(a).includes(name) : a.getText().split(/\W+/).includes(name)));
  }
  if (isRef(target, name)) {
    return facts.rules.methods.save.includes(method) || facts.rules.methods.softDelete.includes(method) || method === 'delete';
  }
  return false;
}

/** Hands out names no code in the top-level function uses; one name per site, however often it is visited. */
type Namer = (site: ts.Node, base: string) => string;

function namer(): Namer {
  const bySite = new Map<ts.Node, string>();
  const used = new Map<ts.Node, Set<string>>();
  return (site, base) => {
    const given = bySite.get(site);
    if (given) return given;
    const scope = topLevelOf(site);
    let names = used.get(scope);
    if (!names) {
      const found = new Set<string>();
      walk(scope, (n) => void (ts.isIdentifier(n) && found.add(n.text)));
      used.set(scope, (names = found));
    }
    let name = base;
    for (let i = 2; names.has(name); i++) name = `${base}${i}`;
    names.add(name);
    bySite.set(site, name);
    return name;
  };
}

/** Everything one rewrite of a unit needs to place adds. */
interface Site {
  facts: ModuleFacts;
  session: string;
  out: RewriteResult;
  names: Namer;
}

/** `name = ...` as a statement of its own: the name holds another value from here on. */
function rebinds(st: ts.Statement, name: string): boolean {
  if (!ts.isExpressionStatement(st)) return false;
  const e = st.expression;
  return ts.isBinaryExpression(e) && e.operatorToken.kind === ts.SyntaxKind.EqualsToken && isRef(e.left, name);
}

/** The return statement whose value holds `n`, up to `top`; none when a function lies between (its return is not this block's). */
function returnHolding(n: ts.Node, top: ts.Node): ts.ReturnStatement | undefined {
  let ret: ts.ReturnStatement | undefined;
  for (let p = n.parent; p && p !== top.parent; p = p.parent) {
    if (ts.isFunctionLike(p)) return undefined;
    if (ts.isReturnStatement(p)) ret ??= p;
  }
  return ret;
}

/** Whether `name` is changed in `body` after offset `pos`, and the body never adds nor saves it. */
function changedAfter(facts: ModuleFacts, body: ts.Node, name: string, session: string, pos: number): boolean {
  let changed = false;
  let persisted = false;
  walk(body, (n) => {
    if (n.pos >= pos && isMutation(facts, n, name)) changed = true;
    if (isPersist(facts, n, name, session)) persisted = true;
  });
  return changed && !persisted;
}

/**
 * Whether `st` can leave the block early: a return or a throw outside nested functions, a
 * `break` or `continue` whose loop, switch or label is not inside `st` (one that ends a loop or
 * a switch of `st` leaves that loop, not the block).
 */
function mayExit(st: ts.Node): boolean {
  let exits = false;
  const labels: string[] = [];
  const visit = (n: ts.Node, inLoop: boolean, inSwitch: boolean) => {
    if (exits || ts.isFunctionLike(n)) return;
    if (ts.isReturnStatement(n) || ts.isThrowStatement(n)) exits = true;
    else if (ts.isBreakOrContinueStatement(n)) {
      if (n.label) exits = !labels.includes(n.label.text);
      else exits = ts.isBreakStatement(n) ? !inLoop && !inSwitch : !inLoop;
    } else if (ts.isLabeledStatement(n)) {
      labels.push(n.label.text);
      visit(n.statement, inLoop, inSwitch);
      labels.pop();
    } else {
      const loop = ts.isIterationStatement(n, false);
      ts.forEachChild(n, (c) => visit(c, inLoop || loop, inSwitch || ts.isSwitchStatement(n)));
    }
  };
  visit(st, false, false);
  return exits;
}

/**
 * Inserts `session.add(name)` after the last statement of `block` that changes `name`, unless
 * persisted. `from`: the statement that binds `name` when it is an assignment (the scan starts
 * there); the scan ends where the block binds the name again (another value, with its own add).
 * A change made in a return's value gets its add before that return. Answers whether `block`
 * changes or persists `name` at all.
 */
function addAfterLastChange(site: Site, block: ts.Block | ts.CaseOrDefaultClause | ts.Statement, name: string, from?: ts.Statement): boolean {
  const { facts, session, out } = site;
  let stmts = holdsStatements(block) ? [...block.statements] : [block as ts.Statement];
  if (from) stmts = stmts.slice(stmts.indexOf(from));
  // an element of a dict written again (`usages[r] = await create(...)`) is changed after it as
  // the same slot: the add after the last change persists what the slot holds
  const rebound = isElementName(name) ? -1 : stmts.findIndex((st, i) => i > 0 && rebinds(st, name));
  if (rebound > 0) stmts = stmts.slice(0, rebound);
  let last: ts.Statement | undefined;
  let persisted = false;
  let lastMutation: ts.Node | undefined;
  const returns = new Map<ts.ReturnStatement, ts.Node>();
  for (const st of stmts) {
    let mutates = false;
    const visit = (n: ts.Node) => {
      if (isMutation(facts, n, name)) {
        const ret = returnHolding(n, st);
        if (ret) returns.set(ret, n);
        else {
          mutates = true;
          lastMutation = n;
        }
      }
      if (isPersist(facts, n, name, session)) persisted = true;
      ts.forEachChild(n, visit);
    };
    visit(st);
    if (mutates) last = st;
  }
  if (persisted) return true;
  for (const [ret, mutation] of returns) addBeforeReturn(site, ret, name, mutation);
  if (!last || !lastMutation) return returns.size > 0;
  // a return of the block that changes the entity again, and that every path from `last` reaches,
  // has the add already: a second add of one object would make flush lock it twice
  const i = stmts.indexOf(last);
  const j = stmts.findIndex((st, k) => k > i && ts.isReturnStatement(st) && returns.has(st));
  if (j > i && !stmts.slice(i + 1, j).some(mayExit)) return true;
  const change = lastMutation.getText(facts.sf).split('\n')[0].slice(0, 60);
  const detail = `adds \`${session}.add(${name})\` after \`${change}\` so the ROME session saves it (ROME has no dirty tracking)`;
  const indent = indentAt(facts.text, last.getStart(facts.sf));
  const line = `${session}.add(${name});`;
  if (!holdsStatements(block)) {
    // a loop body without braces: give it braces to hold the add (and end the body's statement
    // first when it was left to automatic semicolon insertion: `x.a = 1 session.add(x)` does not parse)
    out.edits.push({ start: block.getStart(facts.sf), end: block.getStart(facts.sf), text: '{ ' });
    const semi = needsSemicolon(facts, block) ? ';' : '';
    record(out, 'session-add', lastMutation.getStart(facts.sf), detail, { start: block.end, end: block.end, text: `${semi} ${line} }` });
  } else if (ts.isReturnStatement(last) || ts.isThrowStatement(last)) {
    record(out, 'session-add', lastMutation.getStart(facts.sf), detail, { start: last.getStart(facts.sf), end: last.getStart(facts.sf), text: `${line}${facts.eol}${indent}` });
  } else {
    record(out, 'session-add', lastMutation.getStart(facts.sf), detail, { start: last.end, end: last.end, text: `${facts.eol}${indent}${line}` });
  }
  return true;
}

/**
 * A block, or a `case` clause of a switch: its statements run in order, and an add can follow one
 * of them there (`case 'x': const ref = await _get(...); ref.x = 1; break;` declares in the clause).
 */
function holdsStatements(n: ts.Node): n is ts.Block | ts.CaseOrDefaultClause {
  return ts.isBlock(n) || ts.isCaseOrDefaultClause(n);
}

/**
 * `return ref.update(v)` → `const result = ref.update(v); session.add(ref); return result;`.
 * The add must follow the change, and the function must return what it returned: update()
 * answers nothing and Object.assign its target, so the value is kept as it was, not replaced by `ref`.
 */
function addBeforeReturn(site: Site, ret: ts.ReturnStatement, name: string, mutation: ts.Node): void {
  const { facts, session, out } = site;
  const value = ret.expression!;
  const result = site.names(ret, 'result');
  const change = mutation.getText(facts.sf).split('\n')[0].slice(0, 60);
  const detail = `adds \`${session}.add(${name})\` after \`${change}\`, before the return (which returns the same value, kept in \`${result}\`), so the ROME session saves it (ROME has no dirty tracking)`;
  const start = ret.getStart(facts.sf);
  const add = `${session}.add(${name});`;
  if (ts.isBlock(ret.parent)) {
    const indent = indentAt(facts.text, start);
    out.edits.push({ start, end: value.getStart(facts.sf), text: `const ${result} = ` });
    record(out, 'session-add', mutation.getStart(facts.sf), detail, { start: ret.end, end: ret.end, text: `${facts.eol}${indent}${add}${facts.eol}${indent}return ${result};` });
  } else {
    // `if (c) return ref.update(v);`: braces hold the three statements
    const semi = facts.text[ret.end - 1] === ';' ? '' : ';';
    out.edits.push({ start, end: value.getStart(facts.sf), text: `{ const ${result} = ` });
    record(out, 'session-add', mutation.getStart(facts.sf), detail, { start: ret.end, end: ret.end, text: `${semi} ${add} return ${result}; }` });
  }
}

/** A key that names the same entity wherever it is read in the unit: a name, a field of a name, a literal. */
function isPlainKey(e: ts.Expression): boolean {
  if (ts.isIdentifier(e) || ts.isStringLiteral(e) || ts.isNumericLiteral(e) || ts.isNoSubstitutionTemplateLiteral(e)) return true;
  return ts.isPropertyAccessExpression(e) && isPlainKey(e.expression);
}

function rootName(e: ts.Expression): string | undefined {
  if (ts.isIdentifier(e)) return e.text;
  return ts.isPropertyAccessExpression(e) ? rootName(e.expression) : undefined;
}

/** Whether `name` is declared (a variable, a parameter, a loop variable) anywhere in `node`. */
function declares(node: ts.Node, name: string): boolean {
  let found = false;
  const check = (n: ts.Node) => {
    if ((ts.isVariableDeclaration(n) || ts.isParameter(n) || ts.isBindingElement(n)) && ts.isIdentifier(n.name) && n.name.text === name) found = true;
  };
  check(node);
  walk(node, check);
  return found;
}

/** Whether `name` is written anywhere in `node` after its declaration (`=`, `+=`, `++`). */
function reassigned(node: ts.Node, name: string): boolean {
  let found = false;
  walk(node, (n) => {
    const isName = (e: ts.Expression) => ts.isIdentifier(e) && e.text === name;
    if (ts.isBinaryExpression(n) && n.operatorToken.kind >= ts.SyntaxKind.FirstAssignment && n.operatorToken.kind <= ts.SyntaxKind.LastAssignment && isName(n.left)) found = true;
    if ((ts.isPostfixUnaryExpression(n) || ts.isPrefixUnaryExpression(n)) && (n.operator === ts.SyntaxKind.PlusPlusToken || n.operator === ts.SyntaxKind.MinusMinusToken) && isName(n.operand)) found = true;
  });
  return found;
}

/**
 * `usages[res].in_use = x`: the entity is an element of a dict loaded through the unit's session.
 * Its add goes after the last change of the same element (same text) in the innermost block that
 * holds every change of it made under the same key variable. Marked manual when the key may name
 * another entity at the add than at the change, or the change is made in a nested function.
 */
function addAfterElementChange(site: Site, unit: Unit, n: ts.Node, element: ts.ElementAccessExpression | ts.PropertyAccessExpression): void {
  const { facts, session, out } = site;
  const name = refText(element);
  const key = ts.isElementAccessExpression(element) ? element.argumentExpression : element.name;
  const root = ts.isElementAccessExpression(element) ? rootName(key as ts.Expression) : undefined;
  const manual = (why: string): void => {
    out.manual.push({
      node: enclosingStatement(n),
      pos: n.getStart(facts.sf),
      reason: `\`${name}\` is an entity loaded through \`${session}\` and changed here, but ${why}: \`${session}.add\` it after its last change by hand (ROME has no dirty tracking)`,
    });
  };
  if (ts.isIdentifier(element.expression) && addsEveryValue(facts, unit, element.expression.text)) return;
  let persisted = false;
  walk(unit.body, (m) => void (persisted ||= isPersist(facts, m, name, session)));
  if (persisted) return;
  for (let p: ts.Node | undefined = n.parent; p && p !== unit.body; p = p.parent) {
    if (ts.isFunctionLike(p)) return manual('it is changed inside a nested function');
  }
  // the statement holding the change, in a block or as the body of an if or a loop
  let st: ts.Node = n;
  while (st.parent && !ts.isBlock(st.parent) && !isBody(st)) {
    if (ts.isFunctionLike(st.parent)) return manual('it is changed inside a nested function');
    st = st.parent;
  }
  if (ts.isExpression(key) && !isPlainKey(key)) return manual('its key is computed, so port-db cannot tell which entity a later add would name');
  if (root && reassigned(unit.body, root)) return manual(`its key \`${root}\` is reassigned in the unit of work, so port-db cannot tell which entity a later add would name`);
  let container: ts.Block | ts.Statement = ts.isBlock(st.parent) ? st.parent : (st as ts.Statement);
  // climb while an enclosing block changes the same element elsewhere, under the same key variable
  for (let p: ts.Node = container.parent; p && p !== unit.body.parent && !ts.isFunctionLike(p); p = p.parent) {
    if (!ts.isBlock(p)) continue;
    const inner = p.statements.find((s) => s.pos <= container.pos && container.end <= s.end);
    if (!inner || (root && declares(inner, root))) break;
    if (p.statements.some((s) => s !== inner && containsMutation(facts, s, name)) || changedInHeader(facts, inner, name)) container = p;
  }
  addAfterLastChange(site, container, name);
}

/** `for (const u of Object.values(usages)) session.add(u)`: the unit adds every entity of the dict already. */
function addsEveryValue(facts: ModuleFacts, unit: Unit, dict: string): boolean {
  let adds = false;
  walk(unit.body, (n) => {
    if (!ts.isForOfStatement(n) || !ts.isVariableDeclarationList(n.initializer)) return;
    const v = n.initializer.declarations[0]?.name;
    const it = bare(n.expression);
    if (!v || !ts.isIdentifier(v) || !ts.isCallExpression(it) || it.expression.getText(facts.sf) !== 'Object.values') return;
    const arg = it.arguments[0];
    if (!arg || !ts.isIdentifier(arg) || arg.text !== dict) return;
    walk(n.statement, (m) => void (adds ||= isPersist(facts, m, v.text, unit.session)));
    adds ||= isPersist(facts, n.statement, v.text, unit.session);
  });
  return adds;
}

function isBody(n: ts.Node): boolean {
  const p = n.parent;
  return (
    (ts.isIfStatement(p) && (p.thenStatement === n || p.elseStatement === n)) ||
    ((ts.isForStatement(p) || ts.isForOfStatement(p) || ts.isForInStatement(p) || ts.isWhileStatement(p) || ts.isDoStatement(p)) && p.statement === n)
  );
}

function containsMutation(facts: ModuleFacts, node: ts.Node, name: string): boolean {
  let found = isMutation(facts, node, name);
  walk(node, (m) => void (found ||= isMutation(facts, m, name)));
  return found;
}

/** Whether an if's or a loop's own header (its condition, `for` clauses) changes the element: the add then follows the statement. */
function changedInHeader(facts: ModuleFacts, st: ts.Statement, name: string): boolean {
  const header =
    ts.isIfStatement(st) || ts.isWhileStatement(st) || ts.isDoStatement(st)
      ? [st.expression]
      : ts.isForStatement(st)
        ? [st.initializer, st.condition, st.incrementor]
        : ts.isForOfStatement(st) || ts.isForInStatement(st)
          ? [st.initializer, st.expression]
          : [];
  return header.some((h) => h !== undefined && containsMutation(facts, h, name));
}

/** The load an unbound change changes: `(await _get(...)).update(v)`, `(await q.first()).x = 1`. */
function changedExpression(facts: ModuleFacts, n: ts.Node): ts.Expression | undefined {
  if (ts.isCallExpression(n) && ts.isPropertyAccessExpression(n.expression) && facts.rules.methods.update.includes(n.expression.name.text)) return n.expression.expression;
  if (ts.isCallExpression(n) && n.expression.getText(facts.sf) === 'Object.assign') return n.arguments[0];
  const target =
    ts.isBinaryExpression(n) && n.operatorToken.kind >= ts.SyntaxKind.FirstAssignment && n.operatorToken.kind <= ts.SyntaxKind.LastAssignment
      ? n.left
      : (ts.isPostfixUnaryExpression(n) || ts.isPrefixUnaryExpression(n)) && (n.operator === ts.SyntaxKind.PlusPlusToken || n.operator === ts.SyntaxKind.MinusMinusToken)
        ? n.operand
        : undefined;
  if (target && (ts.isPropertyAccessExpression(target) || ts.isElementAccessExpression(target))) return target.expression;
  return undefined;
}

/**
 * A change of an entity that has no name: bind it, change it, add it.
 * `(await _get(ctx, id, { session })).update(v);` → `const ref = await _get(...); ref.update(v); session.add(ref);`
 * Only the text around the load is replaced, so edits other rewriters make inside it still apply.
 */
function bindUnboundChange(site: Site, n: ts.Node, load: ts.Expression): void {
  const { facts, session, out } = site;
  const stmt = n.parent;
  const startsWithLoad = load.getStart(facts.sf) === n.getStart(facts.sf);
  const isStatement = ts.isExpressionStatement(stmt) && stmt.expression === n;
  const isReturn = ts.isReturnStatement(stmt) && stmt.expression === n;
  if (!startsWithLoad || !(isStatement || isReturn)) {
    out.manual.push({
      node: enclosingStatement(n),
      pos: n.getStart(facts.sf),
      reason: `an entity loaded through \`${session}\` is changed here without a name: bind it, change it and \`${session}.add\` it by hand (ROME has no dirty tracking)`,
    });
    return;
  }
  const call = bare(load);
  const callee = ts.isCallExpression(call) && ts.isIdentifier(call.expression) ? /^_?([a-z][a-z0-9]*(?:_[a-z0-9]+)*?)_get(?:_|$)/.exec(call.expression.text) : null;
  const ref = site.names(n, callee ? `${callee[1]}_ref` : 'ref');
  const result = isReturn ? site.names(stmt, 'result') : '';
  // a body without braces (`if (c) return (await _get(...)).update(v);`) gets braces and stays on its line
  const inBlock = ts.isBlock(stmt.parent);
  const sep = inBlock ? `${facts.eol}${indentAt(facts.text, stmt.getStart(facts.sf))}` : ' ';
  const paren = ts.isParenthesizedExpression(load);
  const inner = paren ? load.expression.getStart(facts.sf) : load.getStart(facts.sf);
  const close = paren ? load.end - 1 : load.end;
  out.edits.push({ start: stmt.getStart(facts.sf), end: inner, text: `${inBlock ? '' : '{ '}const ${ref} = ` });
  // an update of a row a query loaded sets the fields through the row (loaded-row.ts): `Object.assign(ref, v)`
  const assign = assignThroughRow(facts, n);
  const bound = assign ? `${isReturn ? 'void ' : ''}Object.assign(${ref}, ` : ref;
  const binding = { start: close, end: assign ? assign.argStart : load.end, text: `;${sep}${isReturn ? `const ${result} = ` : ''}${bound}` };
  if (assign) record(out, 'query', n.getStart(facts.sf), assign.detail, binding);
  else out.edits.push(binding);
  const loaded = load.getText(facts.sf).split('\n')[0].slice(0, 60);
  const change = n.getText(facts.sf).slice(load.end - n.getStart(facts.sf)).split('\n')[0].slice(0, 40);
  const detail =
    `binds \`${loaded}\` to \`${ref}\` and adds \`${session}.add(${ref})\` after \`${ref}${change}\` so the ROME session saves it (ROME has no dirty tracking)` +
    (isReturn ? `; the return returns the same value, kept in \`${result}\`` : '');
  const semi = inBlock || facts.text[stmt.end - 1] === ';' ? '' : ';';
  const tail = `${semi}${sep}${session}.add(${ref});` + (isReturn ? `${sep}return ${result};` : '') + (inBlock ? '' : ' }');
  record(out, 'session-add', n.getStart(facts.sf), detail, { start: stmt.end, end: stmt.end, text: tail });
}

/**
 * Whether code may not follow `st` on the same line without a `;` first: the innermost statement
 * that ends where `st` ends is a simple one (expression, declaration, return, ...) written
 * without its semicolon. Statements ending in a block (`if (c) { }`, `try`, a function) need none.
 */
function needsSemicolon(facts: ModuleFacts, st: ts.Statement): boolean {
  let s: ts.Statement = st;
  for (;;) {
    if (ts.isIfStatement(s)) s = s.elseStatement ?? s.thenStatement;
    else if (ts.isIterationStatement(s, false) && !ts.isDoStatement(s)) s = s.statement;
    else if (ts.isLabeledStatement(s) || ts.isWithStatement(s)) s = s.statement;
    else break;
  }
  const simple =
    ts.isExpressionStatement(s) ||
    ts.isVariableStatement(s) ||
    ts.isReturnStatement(s) ||
    ts.isThrowStatement(s) ||
    ts.isBreakOrContinueStatement(s) ||
    ts.isDoStatement(s) ||
    ts.isDebuggerStatement(s) ||
    ts.isTypeAliasDeclaration(s) ||
    ts.isExportAssignment(s);
  return simple && facts.text[s.end - 1] !== ';';
}

/** What the port does with a flush inside a begin() unit of work (see `midUnitFlushes`). */
export type FlushDecision = { kind: 'add'; session: string; target: ts.Expression; detail: string } | { kind: 'manual'; reason: string };

const flushCache = new WeakMap<ModuleFacts, Map<ts.CallExpression, FlushDecision>>();

/** Methods the models define themselves (Cinder's `delete({ session })`, which saves): port-db does not read their bodies. */
function modelMethods(facts: ModuleFacts): Set<string> {
  return new Set([...(facts.models?.values() ?? [])].flatMap((m) => [...(m.methods ?? [])]));
}

/** A module function that saves or flushes with a session it is given (`_reservation_create(..., { session })`). */
function helperFlushes(facts: ModuleFacts, name: string): boolean {
  // asked at every call handed a unit's session: each helper's body is read once per module
  let known = helperFlushCache.get(facts);
  if (!known) helperFlushCache.set(facts, (known = new Map()));
  let answer = known.get(name);
  if (answer === undefined) known.set(name, (answer = bodyFlushes(facts, name)));
  return answer;
}

const helperFlushCache = new WeakMap<ModuleFacts, Map<string, boolean>>();

function bodyFlushes(facts: ModuleFacts, name: string): boolean {
  const fn = facts.localFunctions.get(name);
  if (!fn?.body) return false;
  let found = false;
  walk(fn.body, (n) => {
    if (found || !ts.isCallExpression(n) || !ts.isPropertyAccessExpression(n.expression)) return;
    const method = n.expression.name.text;
    if (method === 'flush') found = true;
    // `ref.save({ session })`, `ref.save(opts.session)`: a save given a session flushes it (one given none writes at once)
    else if (facts.rules.methods.save.includes(method) && n.arguments.length > 0) found = true;
  });
  return found;
}

/**
 * Flushes in the middle of a `session.begin(...)` unit of work. SQL's `save(session)` there is
 * add + flush, and a change made later to the same object is flushed again at commit. A ROME
 * session writes each row at most once over all its flushes (lib/rome/core/session/session.py
 * 124-134, core/models.py 323-326: `already_saved`), so an object that a mid-unit flush wrote
 * (the one saved, or any object added before) and that changes again later in the unit keeps
 * the value of that flush. begin() flushes at its end, so:
 *   - `await X.save(session)` / `X.save({ session })` on the unit's session becomes
 *     `session.add(X)` (written once, at the unit's end, with its last values), unless something
 *     after it in the unit queries through the session (the query would need the row written:
 *     ROME has no autoflush) or X is created in the unit (the flush gave it its id): then manual;
 *   - a model method the models define themselves (`ref.delete({ session })`, whose body saves)
 *     or a module helper that saves with the session passed to it, and `session.flush()`:
 *     port-db does not rewrite into them, so they are marked manual.
 * Only when the flush is a hazard: the saved object, or an object changed before it in the unit,
 * is changed after it (in a loop of the unit, every change of the loop counts as both).
 */
export function midUnitFlushes(facts: ModuleFacts): Map<ts.CallExpression, FlushDecision> {
  const hit = flushCache.get(facts);
  if (hit) return hit;
  const out = new Map<ts.CallExpression, FlushDecision>();
  flushCache.set(facts, out);
  const methods = modelMethods(facts);
  const entityMethods = new Set([...facts.rules.methods.save, ...facts.rules.methods.softDelete, ...facts.rules.methods.delete, ...methods]);
  walk(facts.sf, (n) => {
    if (!ts.isCallExpression(n) || !ts.isPropertyAccessExpression(n.expression) || !facts.rules.methods.begin.includes(n.expression.name.text)) return;
    // the units unitsOfWork finds through begin(): on a name, or on a name's session (`context.session`)
    const target = n.expression.expression;
    const session = isSessionExpr(facts, target) ? sessionText(facts, target) : undefined;
    if (!session) return;
    for (const arg of n.arguments) {
      if ((ts.isArrowFunction(arg) || ts.isFunctionExpression(arg)) && ts.isBlock(arg.body)) unitFlushes(facts, arg.body, session, methods, entityMethods, out);
    }
  });
  return out;
}

function unitFlushes(
  facts: ModuleFacts,
  body: ts.Block,
  session: string,
  methods: Set<string>,
  entityMethods: Set<string>,
  out: Map<ts.CallExpression, FlushDecision>,
): void {
  const flushes: Array<{ call: ts.CallExpression; what: 'save' | 'method' | 'helper' | 'flush'; target?: ts.Expression }> = [];
  const changes: Array<{ ref: string; key: string; root?: string; decl?: ts.Node; pos: number; node: ts.Node }> = [];
  const reads: number[] = [];
  const visit = (n: ts.Node): void => {
    // a nested unit of work is its own (and a callback runs when it is called)
    if (ts.isFunctionLike(n)) return;
    const changed = changedExpression(facts, n);
    if (changed && !replacesSlot(n)) {
      const ref = bare(changed);
      const root = rootName(ref);
      const decl = root ? declarationOf(ref, root) : undefined;
      // a plain object built in the code (`const item = { value }`) is no row
      const init = decl && ts.isVariableDeclaration(decl) && decl.initializer ? bare(decl.initializer) : undefined;
      const plain = ref === bare(changed) && ts.isIdentifier(ref) && init !== undefined && (ts.isObjectLiteralExpression(init) || ts.isArrayLiteralExpression(init));
      if (!plain) changes.push({ ref: refText(ref), key: `${decl?.pos ?? -1}:${refText(ref)}`, root, decl, pos: n.getStart(facts.sf), node: n });
    }
    if (ts.isCallExpression(n)) {
      const e = n.expression;
      const passed = passesSession(facts, n) === session;
      if (ts.isPropertyAccessExpression(e)) {
        const method = e.name.text;
        const onSession = sessionText(facts, e.expression) === session;
        if (onSession && method === 'flush') flushes.push({ call: n, what: 'flush' });
        else if (onSession && method === 'query') reads.push(n.getStart(facts.sf));
        else if (passed && e.expression.kind !== ts.SyntaxKind.SuperKeyword && methods.has(method)) flushes.push({ call: n, what: 'method', target: e.expression });
        else if (passed && facts.rules.methods.save.includes(method) && e.expression.kind !== ts.SyntaxKind.SuperKeyword) flushes.push({ call: n, what: 'save', target: e.expression });
        else if (passed && !entityMethods.has(method)) reads.push(n.getStart(facts.sf));
      } else if (passed) {
        // a call handed the session may read through it; a helper that saves with it flushes too
        reads.push(n.getStart(facts.sf));
        if (ts.isIdentifier(e) && helperFlushes(facts, e.text)) flushes.push({ call: n, what: 'helper' });
      }
    }
    ts.forEachChild(n, visit);
  };
  visit(body);
  for (const f of flushes) {
    const start = f.call.getStart(facts.sf);
    const end = f.call.end;
    // the outermost loop of the unit around the flush runs it again after every change it holds
    // (but a row the loop binds anew at each turn is another row then: `for (const r of rows)`,
    // `const ref = await _get(...)` or `ref = new M()` inside the loop; an element of a dict is not)
    let loop: ts.Node | undefined;
    for (let p: ts.Node = f.call.parent; p && p !== body; p = p.parent) if (ts.isIterationStatement(p, false)) loop = p;
    const inLoop = (pos: number) => loop !== undefined && pos >= loop.getStart(facts.sf) && pos < loop.end;
    const carried = (c: (typeof changes)[number]) => inLoop(c.pos) && !(c.root === c.ref && c.decl && boundEachTurn(facts, loop!, c.decl, c.root));
    // a change in the other branch of an if than the flush never follows it
    const exclusive = (c: (typeof changes)[number]) => otherBranch(f.call, c.node);
    const after = new Set(changes.filter((c) => !exclusive(c) && (c.pos >= end || carried(c))).map((c) => c.key));
    const before = new Set(changes.filter((c) => !exclusive(c) && (c.pos < start || carried(c))).map((c) => c.key));
    const targetRoot = f.target ? rootName(bare(f.target)) : undefined;
    const savedDecl = f.target && targetRoot ? declarationOf(bare(f.target), targetRoot) : undefined;
    const savedKey = f.target ? `${savedDecl?.pos ?? -1}:${refText(bare(f.target))}` : undefined;
    const saved = f.target ? refText(bare(f.target)) : undefined;
    const text0 = (key: string) => key.slice(key.indexOf(':') + 1);
    const again = [...before].filter((k) => after.has(k) && k !== savedKey).map(text0);
    if (savedKey && after.has(savedKey)) again.unshift(saved!);
    if (again.length === 0) continue;
    const names = again.map((r) => `\`${r}\``).join(', ');
    const lost = `a ROME session writes a row at most once over all its flushes, so ${names}, changed again after it in the unit, would keep the values this flush wrote (SQL flushes the later change at commit)`;
    const text = f.call.getText(facts.sf).replace(/\s+/g, ' ');
    if (f.what === 'save') {
      const st = f.call.parent && ts.isAwaitExpression(f.call.parent) ? f.call.parent.parent : f.call.parent;
      const readsAfter = reads.some((pos) => pos >= end || inLoop(pos));
      const created = createdIn(facts, body, saved!);
      if (!ts.isExpressionStatement(st)) out.set(f.call, { kind: 'manual', reason: `\`${text}\` flushes \`${session}\` in the middle of its unit of work and its value is used: ${lost}; make it \`${session}.add(${saved})\` (begin() flushes at its end) by hand` });
      else if (readsAfter) out.set(f.call, { kind: 'manual', reason: `\`${text}\` flushes \`${session}\` in the middle of its unit of work: ${lost}; it cannot simply become \`${session}.add(${saved})\` because a query through \`${session}\` follows it in the unit and may need the row written (ROME has no autoflush): write the later change by hand` });
      else if (created) out.set(f.call, { kind: 'manual', reason: `\`${text}\` flushes \`${session}\` in the middle of its unit of work: ${lost}; it cannot simply become \`${session}.add(${saved})\` because \`${saved}\` is created in the unit and this flush gives it its id: write the later change by hand` });
      else out.set(f.call, { kind: 'add', session, target: f.target!, detail: `\`${text}\` → \`${session}.add(${saved})\`: save(session) flushes, and ${lost}; begin() flushes at the end of the unit, which writes it once with its last values` });
    } else {
      const why =
        f.what === 'method'
          ? `\`${text}\` calls a method the models define themselves with the unit's session; if it saves (\`save(session)\` flushes), ${lost}: port-db does not read the models' method bodies, so check it and queue the row with \`${session}.add\` (begin() flushes at the end) by hand`
          : f.what === 'helper'
            ? `\`${text}\` calls a module function that saves with the session it is given, which flushes \`${session}\` in the middle of its unit of work: ${lost}; queue its rows with \`${session}.add\` (begin() flushes at the end) or write the later change by hand`
            : `\`${text}\` flushes in the middle of its unit of work: ${lost}; drop it (begin() flushes at the end) or write the later change by hand`;
      out.set(f.call, { kind: 'manual', reason: why });
    }
  }
}

/** `usages[r] = await _create(...)`: the slot of a dict gets another row, no row changes. */
function replacesSlot(n: ts.Node): boolean {
  if (!ts.isBinaryExpression(n) || n.operatorToken.kind !== ts.SyntaxKind.EqualsToken || !ts.isElementAccessExpression(n.left)) return false;
  const v = bare(n.right);
  return ts.isCallExpression(v) || ts.isNewExpression(v);
}

/**
 * Whether the variable declared at `decl` holds another row at each turn of `loop`: the loop's
 * own variable (`for (const r of rows)`), or every binding of it inside the loop is a load or a
 * new object (`const ref = await _get(...)`, `ref = new M()`), and it is declared in the loop or
 * bound there before any use.
 */
function boundEachTurn(facts: ModuleFacts, loop: ts.Node, decl: ts.Node, name: string): boolean {
  if (ts.isForOfStatement(loop) && ts.isVariableDeclarationList(loop.initializer) && loop.initializer.declarations.includes(decl as ts.VariableDeclaration)) return true;
  // an awaited load (`await _get(...)`, `await q.first()`) or a new object
  const fresh = (e: ts.Expression | undefined) => {
    let v = e;
    while (v && ts.isParenthesizedExpression(v)) v = v.expression;
    return !!v && ((ts.isAwaitExpression(v) && ts.isCallExpression(bare(v))) || ts.isNewExpression(v));
  };
  const inside = decl.pos >= loop.pos && decl.end <= loop.end;
  if (inside && ts.isVariableDeclaration(decl) && ts.isIdentifier(decl.name)) return fresh(decl.initializer);
  let bindings = 0;
  let allFresh = true;
  walk(loop, (n) => {
    if (ts.isBinaryExpression(n) && n.operatorToken.kind === ts.SyntaxKind.EqualsToken && ts.isIdentifier(n.left) && n.left.text === name) {
      bindings++;
      if (!fresh(n.right)) allFresh = false;
    }
  });
  void facts;
  return !inside && bindings > 0 && allFresh;
}

/** Whether `a` and `b` lie in the two branches of one if statement (one never runs after the other). */
function otherBranch(a: ts.Node, b: ts.Node): boolean {
  for (let p: ts.Node | undefined = a.parent; p; p = p.parent) {
    if (!ts.isIfStatement(p) || !p.elseStatement) continue;
    const within = (n: ts.Node, s: ts.Statement) => n.pos >= s.pos && n.end <= s.end;
    if ((within(a, p.thenStatement) && within(b, p.elseStatement)) || (within(a, p.elseStatement) && within(b, p.thenStatement))) return true;
  }
  return false;
}

/** Whether `name` (a variable) is bound to a new entity in `body`: `const ref = new models.M()`. */
function createdIn(facts: ModuleFacts, body: ts.Node, name: string): boolean {
  let found = false;
  walk(body, (n) => {
    const bound = bindingOf(n);
    if (bound && bound.name === name && ts.isNewExpression(bare(bound.value))) found = true;
  });
  return found;
}

/** The port of the mid-unit flushes: saves queued with `session.add`, the others marked manual. */
function portMidUnitFlushes(facts: ModuleFacts, out: RewriteResult): void {
  for (const [call, d] of midUnitFlushes(facts)) {
    if (d.kind === 'manual') {
      out.manual.push({ node: enclosingStatement(call), pos: call.getStart(facts.sf), reason: d.reason });
      continue;
    }
    const outer = ts.isAwaitExpression(call.parent) ? call.parent : call;
    record(out, 'session-add', call.getStart(facts.sf), d.detail, {
      start: outer.getStart(facts.sf),
      end: outer.end,
      text: `${d.session}.add(${d.target.getText(facts.sf)})`,
    });
  }
}

/**
 * A function whose session may be absent (`session?: Session`, `{ session = get_session() }`):
 * when a caller hands its unit of work, SQL flushes a change to a row loaded through it at the
 * caller's commit, and ROME saves only what is added; when none is handed, no add is wanted
 * either (SQL's own session would not flush it). Each add session-add would write is a manual
 * mark on the change instead: `if (session) session.add(row)` is the human's call.
 */
function markOptionalAdds(facts: ModuleFacts, unit: Unit, found: RewriteResult, out: RewriteResult): void {
  out.manual.push(...found.manual);
  for (const c of found.changes) {
    if (c.kind !== 'session-add') continue;
    let node: ts.Node = unit.body;
    for (let inner: ts.Node | undefined = node; inner; ) {
      node = inner;
      inner = node.getChildren(facts.sf).find((k) => k.getStart(facts.sf) <= c.pos && c.pos < k.end);
    }
    out.manual.push({
      node: enclosingStatement(node),
      pos: c.pos,
      reason: `\`${unit.session}\` may be absent here: a row loaded through it and changed is saved by SQL at the commit of a caller that hands its unit of work, and by ROME only when added (no dirty tracking): add \`if (${unit.session}) ${unit.session}.add(...)\` after the change by hand`,
    });
  }
}

export const sessionAddRewriter: Rewriter = {
  id: 'session-add',
  title: 'Objects changed in a unit of work are added to the ROME session',
  description:
    'A SQL session flushes every object it loaded and that changed; a RomeSession has no dirty tracking and writes only what was added. ' +
    'Every entity loaded through the session of a unit of work (a begin() callback, or a function that takes the session) and then ' +
    'changed (update(values), field, element and destructuring writes, ++, Object.assign) gets session.add(obj) after its last change, unless it is already added or saved. ' +
    'It follows the entity into variables declared before the unit (`let ref;`, `let r = null;`) and through query variables built with the session; ' +
    'a change in a returned value gets its add before the return, which still returns the same value; an entity changed without a name is bound to one first. ' +
    'Entities reached through a dict that a helper loads through the session and returns keyed (`usages[res].in_use = x`, `const usage = usages[r]`, a loop over `Object.values(usages)`) get their add too; ' +
    'a computed or reassigned key, or a change inside a callback, is marked manual. ' +
    'Where it cannot tell which path to add on, it marks the code manual. ' +
    'A flush in the middle of a begin() unit of work on its session, when an object it writes (the one saved, or one changed before it) changes again later in the unit: ' +
    'a ROME session writes a row at most once over all its flushes, so the later change would be lost (SQL flushes it again at commit). ' +
    '`await ref.save(session)` there becomes `session.add(ref)` (begin() flushes at its end); it is marked manual instead when a query through the session follows it ' +
    '(ROME has no autoflush) or the object is created in the unit (the flush gives it its id), and so is such a flush port-db does not rewrite into: ' +
    'a method the models define themselves called with the session (Cinder\'s `delete({ session })`), a module function that saves with the session it is given, `session.flush()`.',
  samples: [
    {
      before: `export async function service_update(session: any, id: number) {
  const ref = await session.query(Service).filter_by({ id }).first();
  ref.update({ host: 'a' });
  return ref;
}

declare const Service: any;
`,
      after: `export async function service_update(session: any, id: number) {
  const ref = await session.query(Service).filter_by({ id }).first();
  Object.assign(ref, { host: 'a' });
  session.add(ref);
  return ref;
}

declare const Service: any;
`,
    },
  ],
  rewrite(facts) {
    const out = emptyResult();
    portMidUnitFlushes(facts, out);
    const envOf = kindCache(facts, true);
    const names = namer();
    const dictHelpers = entityDictHelpers(facts);
    for (const unit of unitsOfWork(facts)) {
      const env = envOf(unit.body.statements[0] ?? unit.body);
      const queries = sessionQueries(facts, unit, env);
      // an optional session: what would be added is marked instead (markOptionalAdds)
      const unitOut = unit.optional ? emptyResult() : out;
      const site: Site = { facts, session: unit.session, out: unitOut, names };
      // lists loaded through this unit's session (`const rows = await q.all()`): their rows are the unit's
      const lists = new Set<string>();
      const loads = (e: ts.Expression) => loadsThroughSession(facts, e, unit.session, env, queries);
      // dicts of entities of this unit: `usages = await _get_quota_usages(context, session, project_id)`
      const dicts = new Set<string>();
      const loadsDict = (e: ts.Expression) => {
        const call = bare(e);
        return ts.isCallExpression(call) && ts.isIdentifier(call.expression) && dictHelpers.has(call.expression.text) && passesSession(facts, call) === unit.session;
      };
      const dictElement = (e: ts.Expression | undefined) => {
        const b = e && bare(e);
        return b && (ts.isElementAccessExpression(b) || ts.isPropertyAccessExpression(b)) && ts.isIdentifier(b.expression) && dicts.has(b.expression.text) ? b : undefined;
      };
      walk(unit.body, (n) => {
        const bound = bindingOf(n);
        // and names given to such a dict: `usages = user_usages`
        if (bound && (loadsDict(bound.value) || (ts.isIdentifier(bound.value) && dicts.has(bound.value.text)))) dicts.add(bound.name);
        // `const usage = usages[reservation.resource]`: an entity of the unit under a name
        if (ts.isVariableDeclaration(n) && ts.isIdentifier(n.name) && dictElement(n.initializer) && ts.isVariableDeclarationList(n.parent) && holdsStatements(n.parent.parent.parent)) {
          addAfterLastChange(site, n.parent.parent.parent, n.name.text);
        }
        const element = dictElement(changedExpression(facts, n) ?? undefined);
        if (element) addAfterElementChange(site, unit, n, element);
        // stay in this unit: nested begin() callbacks are units of their own
        if (ts.isVariableDeclaration(n) && ts.isIdentifier(n.name) && n.initializer && ts.isVariableDeclarationList(n.parent)) {
          const kind = kindOf(facts, n.initializer, env);
          const declBlock = n.parent.parent.parent;
          // a declaration in a `case` clause too (without it, that row's changes were lost on ROME)
          if (kind === 'entity' && holdsStatements(declBlock) && loads(n.initializer)) addAfterLastChange(site, declBlock, n.name.text);
          if (kind === 'list' && loads(n.initializer)) lists.add(n.name.text);
          // `const ref = rows[0]`: a row of such a list
          const row = bare(n.initializer);
          if (ts.isElementAccessExpression(row) && ts.isIdentifier(row.expression) && lists.has(row.expression.text) && holdsStatements(declBlock)) addAfterLastChange(site, declBlock, n.name.text);
        }
        // `ref = await _get(ctx, id, { session })` into a `let` declared before (outside a begin() callback, or `= null`)
        if (ts.isBinaryExpression(n) && bindsValue(n.operatorToken.kind) && ts.isIdentifier(n.left) && ts.isExpressionStatement(n.parent)) {
          const kind = kindOf(facts, n.right, env);
          const name = n.left.text;
          if (kind === 'list' && loads(n.right)) lists.add(name);
          if (kind === 'entity' && loads(n.right)) {
            const block = n.parent.parent;
            const covered = holdsStatements(block) && addAfterLastChange(site, block, name, n.parent);
            // changed only past the block that loads it (`if (c) { r = ... } r.update(v)`): which path adds it is not clear
            if (!covered && changedAfter(facts, unit.body, name, unit.session, n.end)) {
              out.manual.push({
                node: n.parent,
                pos: n.getStart(facts.sf),
                reason: `\`${name}\` is loaded through \`${unit.session}\` here and changed outside this block: \`${unit.session}.add(${name})\` it after its last change by hand (ROME has no dirty tracking)`,
              });
            }
          }
        }
        if (ts.isForOfStatement(n) && ts.isVariableDeclarationList(n.initializer)) {
          const decl = n.initializer.declarations[0];
          if (!decl || !ts.isIdentifier(decl.name)) return;
          const iter = n.expression;
          // `for (const usage of Object.values(usages))`
          const values = bare(iter);
          if (ts.isCallExpression(values) && values.expression.getText(facts.sf) === 'Object.values' && values.arguments[0] && ts.isIdentifier(values.arguments[0]) && dicts.has(values.arguments[0].text)) {
            addAfterLastChange(site, n.statement, decl.name.text);
            return;
          }
          // a list of the unit, or a query variable built with its session (`for (const r of query)`:
          // loads() answers only calls, and without this the rows' changes were lost on ROME)
          const isList =
            (ts.isIdentifier(iter) && (lists.has(iter.text) || queries.has(iter.text))) ||
            ((kindOf(facts, iter, env) === 'list' || kindOf(facts, iter, env) === 'query') && loads(iter));
          if (isList) addAfterLastChange(site, n.statement, decl.name.text);
        }
        // bindsUnboundChange asks the same for loaded-row.ts
        const load = unboundLoad(facts, unit, env, queries, n);
        if (load) bindUnboundChange(site, n, load);
      });
      if (unit.optional) markOptionalAdds(facts, unit, unitOut, out);
    }
    // a unit nested in another is visited twice: keep one of each edit
    const seen = new Set<string>();
    out.edits = out.edits.filter((e) => !seen.has(`${e.start}:${e.text}`) && !!seen.add(`${e.start}:${e.text}`));
    // one record per add: `[a.host, b.host] = ...` is one site with two adds, each recorded
    const seenRec = new Set<string>();
    const keyOf = (c: ChangeRecord) => (c.edit ? `${c.edit.start}:${c.edit.text}` : `${c.pos}`);
    out.changes = out.changes.filter((c) => !seenRec.has(keyOf(c)) && !!seenRec.add(keyOf(c)));
    return out;
  },
};
