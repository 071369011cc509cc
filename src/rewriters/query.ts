import ts from '../ts.cjs';
import { flattenChain, isChainTop, valueNode, type Chain, type ChainLink } from '../analyzer/chains.js';
import { bare, enclosingFunction, kindOf, queryStart, type ModuleFacts, kindCache } from '../analyzer/module.js';
import { enclosingStatement, walk } from '../analyzer/parse.js';
import { importedHelpers, importPos, namespacedHelperCalls } from './session.js';
import { emptyResult, record, type Rewriter, type RewriteResult } from './types.js';
import type { Edit } from '../analyzer/edits.js';
import { mapLibraryCalls } from './library.js';
import { loadedRowUpdates } from './loaded-row.js';
import { queryLoops } from './query-loop.js';
import { ownHelperSessions } from './own-query-session.js';

/** Why each query construct ROME lacks needs a human (ROME.md). */
const MANUAL_REASONS: Record<string, string> = {
  outerjoin: 'ROME runs outerjoin() as an inner join: rows without a match would disappear',
  // the pack's camelCase spelling `outerJoin` snakes to outer_join: the same construct
  outer_join: 'ROME runs outerjoin() as an inner join: rows without a match would disappear',
  distinct: 'ROME\'s distinct() returns a list, not a query',
  subquery: 'ROME has no subqueries',
  group_by: 'ROME has no group_by()',
  having: 'ROME has no having()',
  scalar: 'ROME has no scalar()',
  label: 'ROME has no labels',
  with_entities: 'ROME has no with_entities()',
  from_self: 'ROME has no from_self()',
  union: 'ROME has no union()',
  any: 'ROME runs .any() on relationships unreliably: use an explicit join or a two-step in_()',
  // lib/rome/core/expression/expression.py: the `%` are removed and LIKE becomes `left in right or right in left`
  like: "ROME's LIKE drops the % wildcards and tests containment both ways ('a#%' also matches 'a'): filter the rows in code",
  ilike: "ROME's LIKE drops the % wildcards and tests containment both ways, and is case-sensitive: filter the rows in code",
  notlike: "ROME's LIKE drops the % wildcards and tests containment both ways: filter the rows in code",
  op: 'ROME has no custom SQL operators (`.op(...)`), and a LIKE through it has ROME\'s two-way containment meaning: filter the rows in code',
  has: 'ROME runs .has() on relationships unreliably: use an explicit join or a two-step in_()',
  in_: 'a query as the list of values is an SQL subquery; ROME has none and its in_() tests membership in a list: pass the values (`(await q.all()).map(...)`)',
  notin_: 'a query as the list of values is an SQL subquery; ROME has none and its notin_() tests membership in a list: pass the values (`(await q.all()).map(...)`)',
};

function reasonFor(name: string): string {
  const snake = name.replace(/[A-Z]/g, (c) => '_' + c.toLowerCase());
  return `\`${name}()\`: ${MANUAL_REASONS[snake] ?? MANUAL_REASONS[name] ?? 'no ROME equivalent'}`;
}

/** Order comparisons of a column with a value (`lt`, `gt`, ...). */
const ORDER_COMPARISONS = ['lt', 'le', 'gt', 'ge'];

/** Column operators whose meaning ROME changes (checked on any receiver: columns are often held in variables; JavaScript has no `.any()`). */
const COLUMN_OPERATORS = ['like', 'ilike', 'notlike', 'op', 'any'];

/** `(x)` unless the value sits where no parentheses are needed. */
function needsParens(node: ts.Node): boolean {
  const p = node.parent;
  return !(
    (ts.isReturnStatement(p) && p.expression === node) ||
    (ts.isVariableDeclaration(p) && p.initializer === node) ||
    (ts.isArrowFunction(p) && p.body === node) ||
    (ts.isCallExpression(p) && p.arguments.includes(node as ts.Expression)) ||
    ts.isExpressionStatement(p) ||
    ts.isParenthesizedExpression(p)
  );
}

function isSingleEntity(facts: ModuleFacts, chain: Chain, start: number): boolean {
  return queriedModel(facts, chain, start) !== undefined;
}

/** A query on one column (`models.Instance.uuid`): ROME returns bare values, not rows. */
function isColumnQuery(facts: ModuleFacts, chain: Chain, start: number): boolean {
  const root = bare(chain.root);
  // every target, not only the first: Manila's model_query(ctx, M, M.resource, M.hard_limit) queries the columns
  const args = start === 1 ? chain.links[0].call.arguments : ts.isCallExpression(root) ? root.arguments.slice(1) : [];
  return args.some(
    (a) =>
      ts.isPropertyAccessExpression(a) &&
      ts.isPropertyAccessExpression(a.expression) &&
      ts.isIdentifier(a.expression.expression) &&
      a.expression.expression.text === facts.modelsNamespace,
  );
}

/**
 * What a query selects (`model_query(ctx, models.X, {...})` → [models.X]; `session.query(a, b)` →
 * [a, b]), following a query held in a variable to the query it was first given. Undefined when
 * port-db cannot tell.
 */
function queryTargets(facts: ModuleFacts, chain: Chain, start: number, depth = 0): ts.Expression[] | undefined {
  const root = bare(chain.root);
  if (ts.isIdentifier(root) && start === 0 && depth < 3) {
    const fn = enclosingFunction(root);
    const init = fn ? firstInitializers(fn).get(root.text) : undefined;
    const call = init && bare(init);
    if (!call || !ts.isCallExpression(call)) return undefined;
    const inner = flattenChain(call);
    const innerStart = queryStart(facts, inner, new Map());
    // the variable's query joined before is no single-entity query any more
    if (innerStart < 0 || inner.links.slice(innerStart).some((l) => l.name === 'join')) return undefined;
    return queryTargets(facts, inner, innerStart, depth + 1);
  }
  const args = start === 1 ? chain.links[0].call.arguments : ts.isCallExpression(root) ? root.arguments.slice(1) : undefined;
  return args?.filter((a) => !ts.isObjectLiteralExpression(a));
}

/** Each local's first initializer in a function, found in one walk per function (many chains ask). */
const initializers = new WeakMap<ts.Node, Map<string, ts.Expression>>();
function firstInitializers(fn: ts.Node): Map<string, ts.Expression> {
  let map = initializers.get(fn);
  if (map) return map;
  const found = new Map<string, ts.Expression>();
  walk(fn, (n) => {
    if (ts.isVariableDeclaration(n) && ts.isIdentifier(n.name) && n.initializer && !found.has(n.name.text)) found.set(n.name.text, n.initializer);
  });
  initializers.set(fn, (map = found));
  return map;
}

const isModelClass = (facts: ModuleFacts, e: ts.Expression) =>
  ts.isPropertyAccessExpression(e) && ts.isIdentifier(e.expression) && e.expression.text === facts.modelsNamespace;

/** The model a query is on, when it queries one entity of the models namespace. */
function queriedModel(facts: ModuleFacts, chain: Chain, start: number): string | undefined {
  const targets = queryTargets(facts, chain, start);
  return targets?.length === 1 && isModelClass(facts, targets[0]) ? (targets[0] as ts.PropertyAccessExpression).name.text : undefined;
}

/**
 * `filter_by({ key })` with a key that is no attribute of the model: SQL raised, ROME drops the key
 * silently and returns rows the filter would have excluded (ROME.md). Marked, with the key.
 */
function unknownFilterKeys(facts: ModuleFacts, chain: Chain, start: number, links: ChainLink[], manual: (link: ChainLink, reason: string) => void): boolean {
  const model = facts.models?.get(queriedModel(facts, chain, start) ?? '');
  if (!model?.attributes) return false;
  let flagged = false;
  for (const link of links) {
    if (!facts.rules.methods.filterBy.includes(link.name)) continue;
    const [arg] = link.call.arguments;
    if (!arg || !ts.isObjectLiteralExpression(arg)) continue;
    for (const p of arg.properties) {
      const key = (ts.isPropertyAssignment(p) || ts.isShorthandPropertyAssignment(p)) && (ts.isIdentifier(p.name) || ts.isStringLiteral(p.name)) ? p.name.text : undefined;
      if (key === undefined || model.attributes.has(key)) continue;
      manual(link, `\`${link.name}({ ${key} })\`: ${model.className} has no column \`${key}\`: SQL raised, ROME ignores the key and returns rows the filter would have excluded`);
      flagged = true;
    }
  }
  return flagged;
}

/** The conjuncts of a primaryjoin (`and_(A.x == B.y, A.deleted == 0)`) that are no key equality between two columns. */
function extraJoinConditions(primaryjoin: string): string[] {
  const inner = /^\s*and_\(([\s\S]*)\)\s*$/.exec(primaryjoin)?.[1] ?? primaryjoin;
  const parts: string[] = [];
  let depth = 0;
  let cur = '';
  for (const c of inner) {
    if (c === '(') depth++;
    if (c === ')') depth--;
    if (c === ',' && depth === 0) {
      parts.push(cur.trim());
      cur = '';
    } else cur += c;
  }
  parts.push(cur.trim());
  return parts.filter((p) => p && !/^\w+\.\w+\s*==\s*\w+\.\w+$/.test(p));
}

/**
 * `filter_by({ k: v })` after `join(M)`: SQLAlchemy filters the last joined entity, ROME the first
 * selected class that has the column (lib/rome/core/orm/query.py:227-241). Rewritten to
 * `filter(models.M.k.eq(v))` on the joined entity; marked when port-db cannot tell the entity
 * or the keys. Returns the filter_by links it handled (their keys are the joined entity's).
 */
function filterByAfterJoin(facts: ModuleFacts, chain: Chain, start: number, links: ChainLink[], out: RewriteResult, manual: (link: ChainLink, reason: string) => void): Set<ChainLink> {
  const handled = new Set<ChainLink>();
  const first = queryTargets(facts, chain, start)?.[0];
  const firstClass = first && isModelClass(facts, first) ? (first as ts.PropertyAccessExpression).name.text : first && ts.isIdentifier(first) ? first.text : undefined;
  let joined: { cls?: string; link: ChainLink } | undefined;
  for (const link of links) {
    if (link.name === 'join' || link.name === 'outerjoin') {
      joined = { cls: joinedClass(facts, link.call.arguments[0], firstClass), link };
      continue;
    }
    if (!joined || !facts.rules.methods.filterBy.includes(link.name)) continue;
    handled.add(link);
    const why = `\`${link.name}()\` after \`${joined.link.name}(${argText(facts, joined.link)})\`: SQLAlchemy filters the joined entity, ROME the first selected class that has the column`;
    const [arg] = link.call.arguments;
    const model = joined.cls ? facts.models?.get(joined.cls) : undefined;
    if (!joined.cls || !model) {
      manual(link, `${why}, and port-db cannot tell the joined entity: write filter() on its columns`);
      continue;
    }
    if (link.call.arguments.length !== 1 || !ts.isObjectLiteralExpression(arg) || arg.properties.length === 0) {
      manual(link, `${why}: write filter() on ${model.className}'s columns (port-db cannot read the keys)`);
      continue;
    }
    const keyOf = (p: ts.ObjectLiteralElementLike) =>
      (ts.isPropertyAssignment(p) || ts.isShorthandPropertyAssignment(p)) && (ts.isIdentifier(p.name) || ts.isStringLiteral(p.name)) ? p.name.text : undefined;
    const keys = arg.properties.map(keyOf);
    const missing = arg.properties.find((p, i) => keys[i] === undefined || (model.attributes && !model.attributes.has(keys[i]!)));
    if (missing) {
      manual(link, `${why}: \`${missing.getText(facts.sf)}\` is no column of ${model.className} port-db can name`);
      continue;
    }
    // without a models namespace the class is written by its own name, which must be imported here
    // (a relationship's name can join a class the module never imports: `join('network')`)
    const cls = joined.cls;
    if (!facts.modelsNamespace && !facts.imports.some((imp) => imp.bindings.has(cls))) {
      manual(link, `${why}: write filter() on ${model.className}'s columns (${cls} is not imported here)`);
      continue;
    }
    const entity = facts.modelsNamespace ? `${facts.modelsNamespace}.${joined.cls}` : joined.cls;
    const props = arg.properties;
    const edits: Edit[] = [
      { start: link.access.name.getStart(facts.sf), end: link.access.name.end, text: 'filter' },
      { start: arg.getStart(facts.sf), end: props[0].getStart(facts.sf), text: '' },
      { start: props[props.length - 1].end, end: arg.end, text: '' },
    ];
    props.forEach((p, i) => {
      const column = `${entity}.${keys[i]}`;
      if (ts.isShorthandPropertyAssignment(p)) {
        edits.push({ start: p.getStart(facts.sf), end: p.getStart(facts.sf), text: `${column}.eq(` }, { start: p.end, end: p.end, text: ')' });
      } else {
        const value = (p as ts.PropertyAssignment).initializer;
        edits.push({ start: p.getStart(facts.sf), end: value.getStart(facts.sf), text: `${column}.eq(` }, { start: value.end, end: value.end, text: ')' });
      }
    });
    const [head, ...rest] = edits;
    out.edits.push(...rest);
    record(out, 'query', link.access.name.getStart(facts.sf), `${why}: \`${link.name}(${argText(facts, link)})\` → \`filter(${keys.map((k) => `${entity}.${k}.eq(…)`).join(', ')})\` on the joined entity`, head);
  }
  return handled;
}

/**
 * The class a join() argument joins: `models.M` (or a model class named directly), a relationship
 * attribute `models.A.rel`, or a relationship name `'rel'` of the first queried entity.
 */
function joinedClass(facts: ModuleFacts, arg: ts.Expression | undefined, first: string | undefined): string | undefined {
  const catalog = facts.models;
  if (!arg || !catalog) return undefined;
  const relationTarget = (owner: string | undefined, key: string) => {
    const target = owner ? catalog.get(owner)?.relationships?.find((r) => r.key === key)?.target : undefined;
    return target && catalog.has(target) ? target : undefined;
  };
  if (ts.isStringLiteralLike(arg)) return relationTarget(first, arg.text);
  if (isModelClass(facts, arg) || ts.isIdentifier(arg)) {
    const name = ts.isIdentifier(arg) ? arg.text : (arg as ts.PropertyAccessExpression).name.text;
    return catalog.has(name) ? name : undefined;
  }
  if (ts.isPropertyAccessExpression(arg) && ts.isPropertyAccessExpression(arg.expression) && isModelClass(facts, arg.expression)) {
    return relationTarget(arg.expression.name.text, arg.name.text);
  }
  return undefined;
}

/**
 * `join(M)` where the models declare a relationship between M and a queried entity whose
 * primaryjoin adds conditions to the key equality (`ComputeNode.deleted == 0`): ROME's join(M)
 * adds every conjunct of the relationship's join expression (lib/rome/core/orm/query.py:303-329),
 * even beside an explicit ON clause, where SQL's join follows the foreign key only. Marked.
 */
function narrowerJoins(facts: ModuleFacts, chain: Chain, start: number, links: ChainLink[], manual: (link: ChainLink, reason: string) => void): boolean {
  const catalog = facts.models;
  if (!catalog) return false;
  const classOf = (e: ts.Expression | undefined): string | undefined => {
    if (!e) return undefined;
    const name = isModelClass(facts, e) ? (e as ts.PropertyAccessExpression).name.text : ts.isIdentifier(e) ? e.text : undefined;
    return name && catalog.has(name) ? name : undefined;
  };
  const selected = (queryTargets(facts, chain, start) ?? []).map(classOf).filter((c): c is string => !!c);
  let flagged = false;
  for (const link of links) {
    if (link.name !== 'join') continue;
    const joined = joinedClass(facts, link.call.arguments[0], selected[0]);
    if (!joined) continue;
    const found: string[] = [];
    for (const [owner, info] of catalog) {
      for (const r of info.relationships ?? []) {
        const pair = [owner, r.target];
        if (!pair.includes(joined) || !selected.includes(pair.find((c) => c !== joined) ?? joined)) continue;
        const extra = r.secondary ? ['its secondary table'] : r.primaryjoin === null ? ['a primaryjoin port-db cannot read'] : r.primaryjoin ? extraJoinConditions(r.primaryjoin) : [];
        if (extra.length) found.push(`${owner}.${r.key}${r.backref ? ` (backref ${r.target}.${r.backref})` : ''} adds \`${extra.join('`, `')}\``);
      }
    }
    if (found.length) {
      manual(
        link,
        `\`join(${link.call.arguments.map((a) => a.getText(facts.sf)).join(', ')})\`: ROME's join adds every condition of the relationship's primaryjoin (lib/rome/core/orm/query.py:303-329), even beside an ON clause, where SQL's join follows the foreign key only: ${found.join('; ')}, so rows SQL returned would be missing; query in two steps (load the keys of the matching rows, then filter with in_())`,
      );
      flagged = true;
    }
    selected.push(joined);
  }
  return flagged;
}

/** `(await q.first())?.[0]` or `(await q.all()).map((row: any) => row[0])`: a port of a port. */
function alreadyUnpacked(value: ts.Expression): boolean {
  const p = value.parent;
  if (!ts.isParenthesizedExpression(p)) return false;
  const q = p.parent;
  if (ts.isElementAccessExpression(q) && q.questionDotToken && q.argumentExpression.getText() === '0') return true;
  // a limit's slice between the rows and the unpacking: `((await q.join(X).all()).slice(0, n)).map(...)`
  if (ts.isPropertyAccessExpression(q) && q.name.text === 'slice' && ts.isCallExpression(q.parent)) return alreadyUnpacked(q.parent);
  // prettier may break the call and add a trailing comma: `.map(\n  (row: any) => row[0],\n)`
  return ts.isPropertyAccessExpression(q) && q.name.text === 'map' && /row\[0\]\s*,?\s*\)$/.test(q.parent.getText());
}

const SYNC_TERMINALS = new Set(['first', 'one', 'all', 'count', 'exists', 'update', 'delete', 'soft_delete', 'softDelete', 'one_or_none', 'oneOrNone']);

function isInAsyncFunction(node: ts.Node): boolean {
  let n: ts.Node | undefined = node.parent;
  while (n && !ts.isFunctionLike(n)) n = n.parent;
  return !!n && !!ts.getCombinedModifierFlags(n as ts.Declaration) && (ts.getCombinedModifierFlags(n as ts.Declaration) & ts.ModifierFlags.Async) !== 0;
}

const linkRange = (l: ChainLink) => ({ start: l.access.expression.end, end: l.call.end });
const argText = (facts: ModuleFacts, l: ChainLink) => l.call.arguments.map((a) => a.getText(facts.sf)).join(', ');
const isSimple = (s: string) => /^[\w.$]+$/.test(s);

// -- order_by: sorted in code (ROME's sort is wrong: lib/rome/core/rows/tuples.py:290-298) -------

const ORDER_LINKS = ['order_by', 'orderBy'];
const ORDER_WHY = "ROME sorts asc() descending and desc() ascending, gives every key the first key's direction and orders NULLs as Python 2 (lib/rome/core/rows/tuples.py:290-298)";

/** `[column, 'asc' | 'desc']` for one order_by() argument, or undefined when port-db cannot tell; `used`: source ranges the text copies. */
function orderTerm(facts: ModuleFacts, e: ts.Expression, used: Array<[number, number]>): string | undefined {
  const src = (n: ts.Node) => {
    used.push([n.getStart(facts.sf), n.end]);
    return n.getText(facts.sf);
  };
  if (ts.isParenthesizedExpression(e)) return orderTerm(facts, e.expression, used);
  if (ts.isConditionalExpression(e)) {
    const mark = used.length;
    const cond = src(e.condition);
    const yes = orderTerm(facts, e.whenTrue, used);
    const no = yes === undefined ? undefined : orderTerm(facts, e.whenFalse, used);
    if (no === undefined) {
      used.length = mark;
      return undefined;
    }
    return `${cond} ? ${yes} : ${no}`;
  }
  if (ts.isCallExpression(e)) {
    const callee = e.expression;
    if (ts.isPropertyAccessExpression(callee) && e.arguments.length === 0 && ['asc', 'desc'].includes(callee.name.text)) {
      return `[${src(callee.expression)}, '${callee.name.text}']`;
    }
    if (ts.isIdentifier(callee) && e.arguments.length === 1 && ['asc', 'desc'].includes(callee.text) && !ts.isSpreadElement(e.arguments[0])) {
      const inner = e.arguments[0];
      if (ts.isStringLiteralLike(inner)) return `['${inner.text}', '${callee.text}']`;
      return `[${src(inner)}, '${callee.text}']`;
    }
    return undefined;
  }
  // order_by('updated_at'), order_by('created_at desc')
  if (ts.isStringLiteralLike(e)) {
    const m = /^\s*(\w+)(?:\s+(asc|desc))?\s*$/i.exec(e.text);
    return m ? `['${m[1]}', '${(m[2] ?? 'asc').toLowerCase()}']` : undefined;
  }
  // a bare column of a model (`models.M.col`, `M.col`) sorts ascending
  if (ts.isPropertyAccessExpression(e) && (isModelClass(facts, e.expression) || (ts.isIdentifier(e.expression) && (facts.models?.has(e.expression.text) || /^[A-Z]/.test(e.expression.text))))) {
    return `[${src(e)}, 'asc']`;
  }
  return undefined;
}

/** The order list of order_by() links, with the source ranges it copies; undefined (and the argument) when one cannot be told. */
function orderList(facts: ModuleFacts, links: ChainLink[]): { text: string; used: Array<[number, number]> } | { unresolved: string } {
  const used: Array<[number, number]> = [];
  const terms: string[] = [];
  for (const l of links) {
    for (const a of l.call.arguments) {
      const t = orderTerm(facts, a, used);
      if (t === undefined) return { unresolved: a.getText(facts.sf) };
      terms.push(t);
    }
  }
  return { text: `[${terms.join(', ')}]`, used };
}

/** Deletes [start, end) except the ranges whose text reappears elsewhere (those are deleted as `moved`). */
function deleteKeeping(start: number, end: number, used: Array<[number, number]>): Edit[] {
  const out: Edit[] = [];
  let cursor = start;
  for (const [s, e] of [...used].sort((a, b) => a[0] - b[0])) {
    if (s < cursor || e > end) continue;
    if (s > cursor) out.push({ start: cursor, end: s, text: '' });
    out.push({ start: s, end: e, text: '', moved: true });
    cursor = e;
  }
  if (end > cursor) out.push({ start: cursor, end, text: '' });
  return out;
}

/** A query variable ordered by a statement of its own (`query = query.order_by(...)`), read later by all()/first(). */
interface StoredOrder {
  variable: string;
  /** The constant holding the order list. */
  name: string;
  stmt: ts.Statement;
  /** False when the order could not be moved (the statement is marked manual): its readers are left alone. */
  ok: boolean;
}

/** The stored orders of one run of the rewriter, by function (made in `rewrite`, handed down). */
type StoredOrders = Map<ts.Node, StoredOrder[]>;

const NON_TERMINAL_LINKS = new Set(['filter', 'filter_by', 'filterBy', 'order_by', 'orderBy', 'options', 'join', 'limit', 'offset', 'with_lockmode', 'with_for_update', 'params', 'enable_eagerloads']);

/** The chain that `id` is the root of, when it is one (`id.a().b()`). */
function chainOf(id: ts.Identifier): Chain | undefined {
  let n: ts.Node = id;
  while (ts.isPropertyAccessExpression(n.parent) && n.parent.expression === n && ts.isCallExpression(n.parent.parent) && n.parent.parent.expression === n.parent) n = n.parent.parent;
  return n === id ? undefined : flattenChain(n as ts.CallExpression);
}

/** The variable a chain's value is assigned to (`v = chain;`, `let v = chain;`). */
function assignedVariable(top: ts.CallExpression): string | undefined {
  const p = top.parent;
  if (ts.isBinaryExpression(p) && p.operatorToken.kind === ts.SyntaxKind.EqualsToken && p.right === top && ts.isIdentifier(p.left) && ts.isExpressionStatement(p.parent)) return p.left.text;
  if (ts.isVariableDeclaration(p) && p.initializer === top && ts.isIdentifier(p.name)) return p.name.text;
  return undefined;
}

/**
 * `query = query.order_by(...)` with the rows read later: the order moves to a constant
 * (`const query_order_by = [...]`) that the reads sort by. Every later use of the variable must be
 * a further chain assigned back to it or a read (all/first/count/...) inside the ordering block;
 * otherwise the statement is marked.
 */
function moveStoredOrder(facts: ModuleFacts, storedOrders: StoredOrders, chain: Chain, links: ChainLink[], orders: ChainLink[], stmt: ts.Statement, out: RewriteResult, manual: (link: ChainLink, reason: string) => void): void {
  const variable = assignedVariable(chain.top);
  const fn = enclosingFunction(chain.top);
  const why = (reason: string) => manual(orders[0], `\`${orders[0].name}()\`: ${ORDER_WHY}; port-db sorts the rows where they are read, but ${reason}`);
  if (!variable || !fn || !ts.isBlock(stmt.parent)) return why('this ordered query is not kept in a variable of the function that reads it');
  const block = stmt.parent;
  const list = storedOrders.get(fn) ?? [];
  storedOrders.set(fn, list);
  const entry: StoredOrder = { variable, name: `${variable}_order_by`, stmt, ok: false };
  list.push(entry);
  const fnText = fn.getText(facts.sf);
  for (let i = 2; new RegExp(`\\b${entry.name}\\b`).test(fnText); i++) entry.name = `${variable}_order_by${i}`;
  if (list.some((o) => o !== entry && o.variable === variable)) return why(`\`${variable}\` is ordered twice`);
  if (links.some((l) => l.name === 'join')) return why('the rows of a join are pairs');
  const problems: string[] = [];
  walk(fn, (n) => {
    if (!ts.isIdentifier(n) || n.text !== variable || n.getStart(facts.sf) < stmt.end || problems.length) return;
    const p = n.parent;
    if ((ts.isBinaryExpression(p) && p.left === n && p.operatorToken.kind === ts.SyntaxKind.EqualsToken) || (ts.isPropertyAccessExpression(p) && p.name === n)) return;
    if (n.getStart(facts.sf) > block.end) return problems.push(`\`${variable}\` is read after the block that orders it`);
    const use = chainOf(n);
    const names = use?.links.map((l) => l.name) ?? [];
    if (!use || names.length === 0) return problems.push(`\`${variable}\` is used as a query elsewhere (passed or returned)`);
    if (names.some((x) => ORDER_LINKS.includes(x))) return problems.push(`\`${variable}\` is ordered again`);
    if (names.includes('join')) return problems.push('the rows of a join are pairs');
    const last = names[names.length - 1];
    if (NON_TERMINAL_LINKS.has(last) && assignedVariable(use.top) !== variable) return problems.push(`\`${variable}\` is used as a query elsewhere (passed or returned)`);
    if (!NON_TERMINAL_LINKS.has(last) && !SYNC_TERMINALS.has(last)) return problems.push(`\`${last}()\` reads it`);
  });
  if (problems.length) return why(problems[0]);
  const order = orderList(facts, orders);
  if ('unresolved' in order) return manual(orders[0], `\`${orders[0].name}(${order.unresolved})\`: port-db cannot tell the column and direction, and ${ORDER_WHY}: sort the rows in code`);
  entry.ok = true;
  const indent = /[ \t]*$/.exec(facts.sf.text.slice(0, stmt.getStart(facts.sf)))![0];
  const decl = `const ${entry.name}: Array<readonly [any, 'asc' | 'desc']> = ${order.text};`;
  const at = stmt.getStart(facts.sf);
  const remaining = links.filter((l) => !ORDER_LINKS.includes(l.name));
  const root = bare(chain.root);
  const edits: Edit[] =
    remaining.length === 0 && ts.isIdentifier(root) && root.text === variable && ts.isExpressionStatement(stmt)
      ? [{ start: at, end: at, text: decl }, ...deleteKeeping(at, stmt.end, order.used)]
      : [{ start: at, end: at, text: `${decl}\n${indent}` }, ...orders.flatMap((l) => deleteKeeping(linkRange(l).start, linkRange(l).end, order.used))];
  const [first, ...rest] = edits;
  out.edits.push(...rest);
  record(out, 'query', orders[0].access.name.getStart(facts.sf), `\`${orders.map((l) => `${l.name}(${argText(facts, l)})`).join('.')}\` → \`${entry.name}\`, sorted by \`_order_by\` where \`${variable}\` is read: ${ORDER_WHY}`, first);
  out.needs.push({ kind: 'helper', id: 'order_by', edit: first });
}

/** The stored order a read of a query variable sorts by, when the variable was ordered before it in its block. */
function storedOrderOf(facts: ModuleFacts, storedOrders: StoredOrders, chain: Chain): StoredOrder | undefined {
  const root = bare(chain.root);
  if (!ts.isIdentifier(root)) return undefined;
  const fn = enclosingFunction(chain.top);
  const list = fn ? storedOrders.get(fn) : undefined;
  return list?.find((o) => o.variable === root.text && o.stmt.end <= chain.top.getStart(facts.sf) && chain.top.end <= o.stmt.parent.end);
}

// -- bulk delete() on a model with its own delete() (lib/rome/core/orm/query.py:151-157) ------------

const BULK_DELETE_WHY = "SQL's bulk delete() removes the rows in one DELETE and runs no model method; ROME's delete() calls each row's own delete() (lib/rome/core/orm/query.py:151-157)";

/**
 * Whose `delete()` ROME's bulk delete would run instead of its own hard delete: the queried model
 * and the class defining the method, when the model or a base defines one; `model` undefined when
 * port-db cannot tell the model and some model of the module defines one. Undefined when ROME's
 * Entity.delete runs (a hard delete, as SQL's DELETE).
 */
function ownDelete(facts: ModuleFacts, chain: Chain, start: number): { model?: string; owner: string } | undefined {
  const catalog = facts.models;
  if (!catalog) return undefined;
  const model = queriedModel(facts, chain, start);
  if (model !== undefined) {
    const owner = catalog.get(model)?.methodOwners?.get('delete');
    return owner ? { model, owner } : undefined;
  }
  const owners = [...new Set([...catalog.values()].flatMap((m) => (m.methodOwners?.get('delete') ? [m.methodOwners.get('delete')!] : [])))];
  return owners.length ? { owner: owners.join(', ') } : undefined;
}

/** The session a query runs on, when it is a name: `session.query(M)`, `model_query(ctx, M, { session })`, or a query variable made so. */
function sessionOfQuery(facts: ModuleFacts, chain: Chain, start: number, depth = 0): string | undefined {
  const root = bare(chain.root);
  if (start === 1) return ts.isIdentifier(root) ? root.text : undefined;
  if (ts.isIdentifier(root) && depth < 3) {
    const fn = enclosingFunction(root);
    const init = fn ? firstInitializers(fn).get(root.text) : undefined;
    const call = init && bare(init);
    if (!call || !ts.isCallExpression(call)) return undefined;
    const inner = flattenChain(call);
    const innerStart = queryStart(facts, inner, new Map());
    return innerStart < 0 ? undefined : sessionOfQuery(facts, inner, innerStart, depth + 1);
  }
  if (!ts.isCallExpression(root)) return undefined;
  for (const a of root.arguments) {
    if (!ts.isObjectLiteralExpression(a)) continue;
    for (const p of a.properties) {
      const key = (ts.isPropertyAssignment(p) || ts.isShorthandPropertyAssignment(p)) && ts.isIdentifier(p.name) ? p.name.text : undefined;
      if (key === undefined || !facts.rules.queryOptions.session.includes(key)) continue;
      if (ts.isShorthandPropertyAssignment(p)) return p.name.text;
      const v = bare((p as ts.PropertyAssignment).initializer);
      return ts.isIdentifier(v) ? v.text : undefined;
    }
  }
  return undefined;
}

/**
 * `q.delete()` where the model's class (or a base) defines its own delete() (Glance's GlanceBase.delete
 * is a soft delete): ROME would run it on each row, so rows SQL removed stay, soft-deleted.
 * `_bulk_delete(q)` removes them with ROME's Entity.delete without a session, a hard delete at once
 * as SQL's DELETE ran at once in its transaction (lib/rome/core/models.py:232-238), and answers the
 * count SQL's delete() answered. Marked instead when port-db cannot tell the model, on a join (the
 * rows are pairs), and after rows were added to the query's session (SQL flushed them before its
 * DELETE; ROME writes them at the flush, after it, bringing deleted rows back).
 */
function bulkDelete(facts: ModuleFacts, chain: Chain, start: number, links: ChainLink[], own: { model?: string; owner: string }, out: RewriteResult, manual: (link: ChainLink, reason: string) => void): void {
  const last = links[links.length - 1];
  const value = valueNode(chain.top);
  const where = last.access.name.getStart(facts.sf);
  if (!own.model) {
    manual(last, `\`delete()\`: ${BULK_DELETE_WHY}, and ${own.owner} define their own delete(); port-db cannot tell this query's model: remove the rows with ROME's Entity.delete without a session (\`Entity.prototype.delete.call(row)\`)`);
    return;
  }
  const model = own.model === own.owner ? own.model : `${own.model} (${own.owner})`;
  const why = `${BULK_DELETE_WHY}, and ${model} defines its own delete()`;
  const join = links.find((l) => l.name === 'join' || l.name === 'outerjoin');
  if (join) {
    manual(last, `\`delete()\` on a joined query: ${why}; port-db removes the rows of a single-entity query only: remove them with ROME's Entity.delete without a session`);
    return;
  }
  const session = sessionOfQuery(facts, chain, start);
  // the whole top-level function: a unit of work's callback sees the adds made before it
  let fn = enclosingFunction(chain.top);
  for (let outer = fn && enclosingFunction(fn); outer; outer = enclosingFunction(outer)) fn = outer;
  let added: ts.CallExpression | undefined;
  if (session && fn) {
    walk(fn, (n) => {
      if (added || !ts.isCallExpression(n) || n.end > chain.top.getStart(facts.sf) || !ts.isPropertyAccessExpression(n.expression)) return;
      const recv = bare(n.expression.expression);
      if (ts.isIdentifier(recv) && recv.text === session && ['add', 'add_all', 'addAll'].includes(n.expression.name.text)) added = n;
    });
  }
  if (added) {
    manual(
      last,
      `\`delete()\` after \`${added.expression.getText(facts.sf)}(…)\` in the same session: ${why}; SQL flushed the session before its DELETE, ROME writes what was added at the flush, after the rows are removed (it may write a removed row back): remove the rows with ROME's Entity.delete without a session after a flush`,
    );
    return;
  }
  if (!ts.isAwaitExpression(value) && !ts.isExpressionStatement(value.parent) && !ts.isReturnStatement(value.parent)) {
    manual(last, `\`delete()\`: ${why}; port-db cannot tell how its value is used: remove the rows with ROME's Entity.delete without a session`);
    return;
  }
  out.edits.push({ start: chain.top.getStart(facts.sf), end: chain.top.getStart(facts.sf), text: '_bulk_delete(' });
  const edit = { start: last.access.expression.end, end: last.call.end, text: ')' };
  record(
    out,
    'query',
    where,
    `bulk \`delete()\` → \`_bulk_delete(query)\`: ${why}, which ROME would run on each row instead; each row is removed with ROME's Entity.delete without a session, a hard delete at once (lib/rome/core/models.py:232-238), and the count is answered as SQL's delete() answered it`,
    edit,
  );
  out.needs.push({ kind: 'helper', id: 'bulk_delete', edit });
}

function rewriteChain(facts: ModuleFacts, storedOrders: StoredOrders, chain: Chain, start: number, out: RewriteResult): void {
  const links = chain.links.slice(start);
  const stmt = enclosingStatement(chain.top);
  const manual = (link: ChainLink, reason: string) => out.manual.push({ node: stmt, pos: link.access.name.getStart(facts.sf), reason });
  let flagged = false;
  for (const link of links) {
    if (facts.rules.constructs[link.name] === 'manual' && !['execute', 'select', 'insert', 'func', 'text'].includes(link.name)) {
      manual(link, reasonFor(link.name));
      flagged = true;
    }
  }
  // a key that is no column is marked, but the chain's own rewrites are independent of it (a
  // soft_delete() used as a count still counts)
  const afterJoin = filterByAfterJoin(facts, chain, start, links, out, manual);
  unknownFilterKeys(facts, chain, start, links.filter((l) => !afterJoin.has(l)), manual);
  // a narrower join is marked, and the rewrites independent of it (joined rows unpacked, the sort, the slice) still apply
  narrowerJoins(facts, chain, start, links, manual);
  if (isColumnQuery(facts, chain, start)) {
    const at = start === 1 ? chain.links[0] : undefined;
    out.manual.push({
      node: stmt,
      pos: (at ? at.access.name : chain.root).getStart(facts.sf),
      reason:
        (queryTargets(facts, chain, start)?.length ?? 1) > 1
          ? "query on columns: ROME's rows are plain arrays, not SQL's named rows (read them by position, not as row.column)"
          : 'query on a single column: ROME returns bare values, not one-element rows (drop the [0] where the rows are read)',
    });
    flagged = true;
  }
  if (flagged) return;

  const last = links[links.length - 1];
  if (!last) return;
  const terminal = last.name;
  const value = valueNode(chain.top);
  const awaited = ts.isAwaitExpression(value);
  if (SYNC_TERMINALS.has(terminal) && !awaited && !isInAsyncFunction(chain.top)) {
    manual(last, `sync \`${terminal}()\`: ROME's terminals are async; make the function async, await the call, and await it in its callers`);
    return;
  }
  const limit = links.find((l) => l.name === 'limit');
  const offset = links.find((l) => l.name === 'offset');
  const join = links.find((l) => l.name === 'join');
  const where = (l: ChainLink) => l.access.name.getStart(facts.sf);
  const orders = links.filter((l) => ORDER_LINKS.includes(l.name));

  if (orders.length > 0 && !SYNC_TERMINALS.has(terminal)) {
    if (NON_TERMINAL_LINKS.has(terminal)) moveStoredOrder(facts, storedOrders, chain, links, orders, stmt, out, manual);
    else manual(orders[0], `\`${orders[0].name}()\` before \`${terminal}()\`: ${ORDER_WHY}: sort the rows in code`);
    return;
  }
  if (limit || offset) {
    const lim = limit ? argText(facts, limit) : undefined;
    const off = offset ? argText(facts, offset) : undefined;
    if ((limit && lim === '') || (offset && off === '')) {
      manual(limit ?? offset!, `\`${(limit ?? offset)!.name}()\` without an argument: port-db cannot tell the slice`);
      return;
    }
    if (!(terminal === 'all' || (terminal === 'first' && limit && !offset))) {
      manual(limit ?? offset!, `\`${(limit ?? offset)!.name}()\` not followed by all(): ROME ignores limit() and has no offset(); slice the result of all()`);
      return;
    }
  }
  // the rows of all()/first() sorted in code (the order_by() links dropped, or the order its variable was given)
  const stored = terminal === 'all' || terminal === 'first' ? storedOrderOf(facts, storedOrders, chain) : undefined;
  let sorted = false;
  if ((orders.length > 0 || stored?.ok) && (terminal === 'all' || terminal === 'first')) {
    const own = orders.length > 0 ? orderList(facts, orders) : { text: '[]', used: [] };
    if ('unresolved' in own) {
      manual(orders[0], `\`${orders[0].name}(${own.unresolved})\`: port-db cannot tell the column and direction, and ${ORDER_WHY}: sort the rows in code`);
      return;
    }
    if (join) {
      manual(orders[0] ?? join, `\`order_by()\` on a joined query: ${ORDER_WHY}; port-db sorts the rows of single-entity queries only: sort the rows in code`);
      return;
    }
    const list = stored?.ok ? (orders.length > 0 ? `[...${stored.name}, ...${own.text}]` : stored.name) : own.text;
    for (const l of orders) out.edits.push(...deleteKeeping(linkRange(l).start, linkRange(l).end, own.used));
    const s = value.getStart(facts.sf);
    const paren = terminal === 'first' && needsParens(value);
    if (terminal === 'first') out.edits.push({ start: last.access.name.getStart(facts.sf), end: last.access.name.end, text: 'all' });
    out.edits.push({ start: s, end: s, text: `${paren ? '(' : ''}_order_by(${awaited ? '' : 'await '}` });
    const edit = { start: value.end, end: value.end, text: `, ${list})${terminal === 'first' ? `[0] ?? null${paren ? ')' : ''}` : ''}` };
    const what = orders.length > 0 ? `\`${orders.map((l) => `${l.name}(${argText(facts, l)})`).join('.')}\`` : `the order of \`${stored!.variable}\``;
    record(
      out,
      'query',
      where(orders[0] ?? last),
      `${what} → \`_order_by(rows, ${list})\` after ${terminal === 'first' ? 'all() (first() → the first sorted row)' : 'all()'}: ${ORDER_WHY}`,
      edit,
    );
    out.needs.push({ kind: 'helper', id: 'order_by', edit });
    sorted = true;
  }

  // (the checks above let through only all(), and first() after a limit() alone)
  const unpacks = !!join && (terminal === 'first' || terminal === 'all') && isSingleEntity(facts, chain, start) && !alreadyUnpacked(value);
  if (limit || offset) {
    const lim = limit ? argText(facts, limit) : undefined;
    const off = offset ? argText(facts, offset) : undefined;
    if (terminal === 'all') {
      const end = lim === undefined ? '' : off === undefined ? `0, ${lim}` : `${off}, ${isSimple(off) ? off : `(${off})`} + ${isSimple(lim) ? lim : `(${lim})`}`;
      const slice = `.slice(${off !== undefined && lim === undefined ? off : end})`;
      // the arguments reappear in the slice: what they reference is still used (`moved`)
      for (const l of [limit, offset]) if (l) out.edits.push({ ...linkRange(l), text: '', moved: true });
      // an unawaited all() (in an async function: the check above) is awaited here (or in the unpacking
      // of its joined rows, inside the slice's parenthesis): a promise has no slice()
      const edit = { start: value.end, end: value.end, text: !sorted ? `)${slice}` : slice };
      if (!sorted) out.edits.push({ start: value.getStart(facts.sf), end: value.getStart(facts.sf), text: awaited || unpacks ? '(' : '(await ' });
      record(out, 'query', where(limit ?? offset!), `\`${[offset, limit].filter(Boolean).map((l) => `${l!.name}(${argText(facts, l!)})`).join('.')}\` → \`${slice}\` on the result of all(): ROME ignores limit() and has no offset()`, edit);
    } else {
      record(out, 'query', where(limit!), `dropped \`limit(${lim})\` before first(): ROME ignores limit(), and first() returns one row anyway`, { ...linkRange(limit!), text: '' });
    }
  }

  if (join && (terminal === 'first' || terminal === 'all') && isSingleEntity(facts, chain, start) && alreadyUnpacked(value)) {
    // ported before: the rows are unpacked already
  } else if (join && (terminal === 'first' || terminal === 'all') && isSingleEntity(facts, chain, start)) {
    // an unawaited terminal is awaited here: a promise's rows cannot be unpacked
    const open = (terminal === 'first' ? (needsParens(value) ? '((' : '(') : '(') + (awaited ? '' : 'await ');
    const close = terminal === 'first' ? (needsParens(value) ? ')?.[0] ?? null)' : ')?.[0] ?? null') : ').map((row: any) => row[0])';
    out.edits.push({ start: value.getStart(facts.sf), end: value.getStart(facts.sf), text: open });
    record(out, 'query', where(join), `joined rows unpacked: ROME returns [entity, joined] for a join on a single-entity query; \`${close.replace(/^\)+/, '')}\` keeps the entity`, {
      start: value.end,
      end: value.end,
      text: close,
    });
  } else if (join && !['count', 'update', 'delete', 'soft_delete', 'softDelete'].includes(terminal)) {
    const targets = queryTargets(facts, chain, start);
    if (targets && targets.length > 1 && (terminal === 'first' || terminal === 'all')) {
      // a multi-entity query already returns tuples
    } else {
      manual(
        join,
        targets
          ? 'join() on a single-entity query: ROME returns [entity, joined] rows, unpack the first entity where the rows are read'
          : 'join() on a query port-db cannot see into: ROME returns [entity, joined] rows where SQL returned the entity alone, read the rows accordingly',
      );
      return;
    }
  }

  if (terminal === 'one' || terminal === 'oneOrNone' || terminal === 'one_or_none') {
    if (terminal !== 'one') return;
    out.edits.push({ start: last.access.name.getStart(facts.sf), end: last.access.name.end, text: 'all' });
    // an unawaited one() is awaited here: _one takes the rows, not a promise
    out.edits.push({ start: value.getStart(facts.sf), end: value.getStart(facts.sf), text: `_one(${awaited ? '' : 'await '}` });
    const edit = { start: value.end, end: value.end, text: ')' };
    record(out, 'query', where(last), '`one()` → `_one(….all())`: ROME\'s one() returns nothing; _one raises NoResultFound / MultipleResultsFound as SQL did', edit);
    out.needs.push({ kind: 'helper', id: 'one', edit });
  } else if (terminal === 'exists') {
    const paren = needsParens(value);
    out.edits.push({ start: last.access.name.getStart(facts.sf), end: last.access.name.end, text: 'first' });
    // an unawaited exists() is awaited here: a promise is never null
    out.edits.push({ start: value.getStart(facts.sf), end: value.getStart(facts.sf), text: (paren ? '(' : '') + (awaited ? '(' : '(await ') });
    record(out, 'query', where(last), '`exists()` → `first() != null`: ROME\'s exists() is not an SQL EXISTS', {
      start: value.end,
      end: value.end,
      text: ') != null' + (paren ? ')' : ''),
    });
  } else if (terminal === 'delete' && ownDelete(facts, chain, start)) {
    bulkDelete(facts, chain, start, links, ownDelete(facts, chain, start)!, out, manual);
  } else if ((facts.rules.methods.softDelete.includes(terminal) || terminal === 'delete') && !ts.isExpressionStatement(value.parent)) {
    if (!awaited) {
      manual(last, `\`${terminal}()\` used as a row count: ROME returns the query; count() first, then ${terminal}()`);
      return;
    }
    const helper = terminal === 'delete' ? '_delete_counting' : '_soft_delete_counting';
    out.edits.push({ start: chain.top.getStart(facts.sf), end: chain.top.getStart(facts.sf), text: `${helper}(` });
    const edit = { start: last.access.expression.end, end: last.call.end, text: ')' };
    record(out, 'query', where(last), `\`${terminal}()\` used as a row count → \`${helper}(query)\`: ROME returns the query, so the rows are counted first`, edit);
    out.needs.push({ kind: 'helper', id: terminal === 'delete' ? 'delete_counting' : 'soft_delete_counting', edit });
  }
}

export const queryRewriter: Rewriter = {
  id: 'query',
  title: 'Queries run on RomeQuery with their SQL meaning',
  description:
    'An imported model_query is re-emitted on RomeQuery, applying read_deleted and project_only itself (ROME ignores query options); ' +
    'one the module defines is ported in place (its own filters run on RomeQuery). ' +
    ownHelperSessions.description +
    ' ' +
    'Chain constructs ROME runs differently are rewritten to what keeps their meaning: limit/offset become a slice of all(), ' +
    'one() raises as SQL did, exists() becomes first() != null, joined rows are unpacked, a delete used as a count counts first, ' +
    "a bulk delete() on a model whose class defines its own delete() (ROME would run it on each row) removes the rows with ROME's Entity.delete, " +
    'order_by() is dropped and the rows of all()/first() are sorted in code (ROME sorts asc() descending), ' +
    'filter_by() after a join becomes filter() on the joined entity. ' +
    "A join over a relationship whose primaryjoin adds conditions (ROME's join adds them) and " +
    'constructs ROME lacks (outerjoin, distinct, subquery, group_by, column queries, ...) are kept and marked manual. ' +
    loadedRowUpdates.description +
    ' ' +
    queryLoops.description,
  samples: [
    {
      before: `import * as models from '../models';
import { model_query } from 'rome-orm';

export async function f(context: any) {
  return await model_query(context, models.Instance).limit(5).all();
}
`,
      after: `import * as models from '../models';
import { model_query } from 'rome-orm';

export async function f(context: any) {
  return (await model_query(context, models.Instance).all()).slice(0, 5);
}
`,
    },
    loadedRowUpdates.sample,
    queryLoops.sample,
  ],
  rewrite(facts) {
    const out = emptyResult();
    const names = importedHelpers(facts, 'query');
    for (const access of namespacedHelperCalls(facts, 'query')) {
      // the call keeps its arguments; the namespace goes (the helper is emitted in this module)
      const start = access.getStart(facts.sf);
      record(out, 'query', start, `\`${access.getText(facts.sf)}()\` → \`${access.name.text}()\`: the query helper is re-emitted in this module on RomeQuery`, { start, end: access.name.getStart(facts.sf), text: '' });
    }
    if (names.length > 0) {
      out.needs.push({ kind: 'helper', id: 'model_query' });
      record(out, 'query', importPos(facts, names[0]), `${names.join(', ')} re-emitted on RomeQuery: read_deleted (default from the context) and project_only (incl. 'allow_none') applied as filters`);
    }
    // oslo.db's own model_query (Manila's and Nova's helpers build on it)
    const osloModelQuery = {
      names: ['model_query'],
      specifier: /^oslo\.db\/sqlalchemy\/utils$/,
      helper: 'oslo_model_query',
      to: '_oslo_model_query',
      why: "oslo.db's utils.model_query on a RomeQuery (the deleted and project_id filters applied as oslo.db applied them)",
    };
    mapLibraryCalls(facts, out, 'query', [osloModelQuery]);
    // A query helper the module defines itself is ported in place like any function: it queries
    // through the session factory (a RomeSession now) and applies read_deleted / project_only
    // with its own filters, which ROME runs; whatever in it ROME lacks is marked where it stands.
    const envOf = kindCache(facts);
    const storedOrders: StoredOrders = new Map();
    walk(facts.sf, (n) => {
      if (ts.isCallExpression(n) && isChainTop(n)) {
        const chain = flattenChain(n);
        const start = queryStart(facts, chain, envOf(n));
        if (start >= 0) {
          // a chain's own rewrites hold whatever else its statement needs a human for (a LIKE in a filter)
          const from = out.edits.length;
          rewriteChain(facts, storedOrders, chain, start, out);
          for (const e of out.edits.slice(from)) e.independent = true;
        }
      }
      // `col.in_(query)`: an SQL subquery (Manila's availability zones)
      if (ts.isCallExpression(n) && ts.isPropertyAccessExpression(n.expression) && ['in_', 'notin_'].includes(n.expression.name.text)) {
        const [arg] = n.arguments;
        if (n.arguments.length === 1 && kindOf(facts, arg, envOf(n)) === 'query') {
          out.manual.push({ node: enclosingStatement(n), pos: n.expression.name.getStart(facts.sf), reason: reasonFor(n.expression.name.text) });
        }
      }
      // `models.M.expire.lt(now)`: ROME turns stored datetimes into comparable values only in
      // columns named *_at (lib/rome/core/rows/tuples.py:385-403), so an order comparison on
      // another DateTime column compares the stored form and never matches
      if (ts.isCallExpression(n) && ts.isPropertyAccessExpression(n.expression) && ORDER_COMPARISONS.includes(n.expression.name.text)) {
        const column = n.expression.expression;
        const model = ts.isPropertyAccessExpression(column) && ts.isPropertyAccessExpression(column.expression) && ts.isIdentifier(column.expression.expression) && column.expression.expression.text === facts.modelsNamespace ? facts.models?.get(column.expression.name.text) : undefined;
        const key = ts.isPropertyAccessExpression(column) ? column.name.text : '';
        if (model && /^Date(Time)?$/.test(model.columns.get(key)?.type ?? '') && !key.endsWith('_at')) {
          out.manual.push({
            node: enclosingStatement(n),
            pos: n.expression.name.getStart(facts.sf),
            reason: `\`${key}.${n.expression.name.text}()\` on a DateTime column not named *_at: ROME converts stored datetimes for a comparison only in columns named *_at (lib/rome/core/rows/tuples.py:385-403), so this one never matches: compare in code on the rows of all()`,
          });
        }
      }
      // .any() / .has() / .label() on model columns and relationships
      if (ts.isCallExpression(n) && ts.isPropertyAccessExpression(n.expression) && ['any', 'has', 'label', ...COLUMN_OPERATORS].includes(n.expression.name.text)) {
        let root: ts.Expression = n.expression.expression;
        while (ts.isPropertyAccessExpression(root)) root = root.expression;
        // LIKE and custom operators also on a column held in a variable (`host_attr.op('LIKE')(...)`)
        const onColumn = COLUMN_OPERATORS.includes(n.expression.name.text) && !ts.isStringLiteralLike(root);
        if ((ts.isIdentifier(root) && root.text === facts.modelsNamespace) || onColumn) {
          out.manual.push({ node: enclosingStatement(n), pos: n.expression.name.getStart(facts.sf), reason: reasonFor(n.expression.name.text) });
        }
      }
    });
    ownHelperSessions.rewrite(facts, out);
    loadedRowUpdates.rewrite(facts, out);
    queryLoops.rewrite(facts, out);
    return out;
  },
};
