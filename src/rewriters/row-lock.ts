import ts from '../ts.cjs';
import { flattenChain, isChainTop, type Chain } from '../analyzer/chains.js';
import { bare, passesSession, queryStart, type ModuleFacts, kindCache } from '../analyzer/module.js';
import { enclosingStatement, isAsyncFunction, walk } from '../analyzer/parse.js';
import { isParameter, lockLabel, lockName, wrapInLock } from './locks.js';
import { emptyResult, record, type Rewriter } from './types.js';

/**
 * The code a row lock protects: the function that runs the begin() unit of work, so the lock is
 * released only after begin() has flushed the writes; the function body when there is no begin().
 */
function protectedBlock(facts: ModuleFacts, node: ts.Node): ts.FunctionLikeDeclaration | undefined {
  let inBegin = false;
  for (let n: ts.Node | undefined = node.parent; n; n = n.parent) {
    if (!ts.isFunctionLike(n)) continue;
    const call = n.parent;
    const isBeginCallback = ts.isCallExpression(call) && ts.isPropertyAccessExpression(call.expression) && facts.rules.methods.begin.includes(call.expression.name.text);
    if (isBeginCallback && !inBegin) {
      inBegin = true;
      continue;
    }
    return n as ts.FunctionLikeDeclaration;
  }
  return undefined;
}

/**
 * When the locking query runs on a session the function was given (not inside a unit of work of
 * its own) and the function writes nothing itself, the callers' units of work are what SQL's row
 * lock covered: answers their names.
 */
function sessionFromCaller(facts: ModuleFacts, n: ts.Node, chain: Chain, start: number, fn: ts.FunctionLikeDeclaration): string | undefined {
  for (let p: ts.Node | undefined = n.parent; p && p !== fn; p = p.parent) {
    const call = p.parent;
    if (ts.isFunctionLike(p) && ts.isCallExpression(call) && ts.isPropertyAccessExpression(call.expression) && facts.rules.methods.begin.includes(call.expression.name.text)) return undefined;
  }
  const root = bare(chain.root);
  const session = start === 1 && ts.isIdentifier(root) ? root.text : ts.isCallExpression(root) ? passesSession(facts, root) : undefined;
  const names = new Set<string>();
  const collect = (b: ts.BindingName) => {
    if (ts.isIdentifier(b)) names.add(b.text);
    else for (const el of b.elements) if (!ts.isOmittedExpression(el)) collect(el.name);
  };
  for (const param of fn.parameters) collect(param.name);
  if (!session || !names.has(session)) return undefined;
  // a function that writes what it locked (save flushes) is covered by a lock around its body
  const writes = new Set([...facts.rules.methods.save, ...facts.rules.methods.add, ...facts.rules.methods.update, ...facts.rules.methods.softDelete, ...facts.rules.methods.delete, 'flush']);
  let writesItself = false;
  const containers = localContainers(fn);
  walk(fn, (w) => {
    if (ts.isCallExpression(w) && ts.isPropertyAccessExpression(w.expression) && writes.has(w.expression.name.text)) writesItself = true;
    // a field written (`ref.x = 1`, `[a.x, b.x] = ...`): session-add persists it in this function
    const assigned = ts.isBinaryExpression(w) && w.operatorToken.kind >= ts.SyntaxKind.FirstAssignment && w.operatorToken.kind <= ts.SyntaxKind.LastAssignment ? w.left : undefined;
    if (assigned && (ts.isPropertyAccessExpression(assigned) || ts.isElementAccessExpression(assigned) || ts.isArrayLiteralExpression(assigned) || ts.isObjectLiteralExpression(assigned)) && !intoLocal(containers, assigned)) writesItself = true;
  });
  if (writesItself) return undefined;
  const unit = facts.units.find((u) => u.fn === fn || (u.fn && fn.pos >= u.fn.pos && fn.end <= u.fn.end));
  const callers = unit ? facts.units.filter((u) => u !== unit && u.fn?.body && new RegExp(`\\b${unit.name}\\(`).test(u.fn.body.getText(facts.sf))).map((u) => u.name) : [];
  return callers.length ? callers.join(', ') : 'its callers';
}

/**
 * The containers the function builds itself (`const result = {}`, `new Map()`): a write into one
 * (`result[r.resource] = ...`, Manila's usage totals) changes no row, so it is not the function
 * writing what it locked.
 */
function localContainers(fn: ts.FunctionLikeDeclaration): Set<string> {
  const names = new Set<string>();
  walk(fn, (d) => {
    if (!ts.isVariableDeclaration(d) || !ts.isIdentifier(d.name) || !d.initializer) return;
    const init = d.initializer;
    if (ts.isObjectLiteralExpression(init) || ts.isArrayLiteralExpression(init) || (ts.isNewExpression(init) && ts.isIdentifier(init.expression) && ['Map', 'Set', 'Object', 'Array'].includes(init.expression.text))) names.add(d.name.text);
  });
  return names;
}

function intoLocal(containers: Set<string>, target: ts.Expression): boolean {
  let root: ts.Expression = target;
  while (ts.isPropertyAccessExpression(root) || ts.isElementAccessExpression(root)) root = root.expression;
  return ts.isIdentifier(root) && containers.has(root.text);
}

/**
 * The body already runs under the lock an earlier port put it in (`const lock_name = ...;
 * await acquire_lock(lock_name);`): a row lock left in it is a second one, kept for a human, so
 * porting a port changes nothing.
 */
function isLockedByPortDb(facts: ModuleFacts, body: ts.Block): boolean {
  const [decl, acquire] = body.statements;
  return (
    decl !== undefined &&
    ts.isVariableStatement(decl) &&
    decl.declarationList.declarations.some((d) => ts.isIdentifier(d.name) && d.name.text === 'lock_name') &&
    acquire !== undefined &&
    /^await acquire_lock\(lock_name\);$/.test(acquire.getText(facts.sf))
  );
}

/** The model of a query chain (`model_query(ctx, models.M)` or `session.query(models.M)`). */
function modelOf(facts: ModuleFacts, root: ts.Expression, firstLink?: ts.CallExpression): string | undefined {
  const r = bare(root);
  const arg = firstLink ? firstLink.arguments[0] : ts.isCallExpression(r) ? r.arguments[1] : undefined;
  if (arg && ts.isPropertyAccessExpression(arg) && ts.isIdentifier(arg.expression) && arg.expression.text === facts.modelsNamespace) return arg.name.text;
  return undefined;
}

export const rowLockRewriter: Rewriter = {
  id: 'row-lock',
  title: 'Row locks become distributed locks',
  description:
    "ROME ignores with_lockmode('update') and with_for_update(): there is no SELECT ... FOR UPDATE on a key/value store. The call is removed, " +
    'and the read-modify-write it protected (the function that runs the begin() unit of work, so the lock outlives the flush; or the function body) runs under a ClusterLock named after the table and ' +
    'the key the query filtered on (`fixed_ips:${address}`), or the table alone when the key is not known; the lock is released in finally, ' +
    'so errors thrown inside still propagate after the release.',
  samples: [
    {
      before: `import * as models from '../models';

export async function fixed_ip_associate(session: any, address: string, instance_uuid: string) {
  return session.begin(async () => {
    const ref = await session.query(models.FixedIp).filter_by({ address }).with_lockmode('update').first();
    ref.instance_uuid = instance_uuid;
    return ref;
  });
}
`,
      after: `import { ClusterLock, DBDeadlock } from 'rome-orm';
import * as models from '../models';

// port-db: generated helper (create-lock, row-lock): the distributed lock that replaces unique indexes and row locks.
// ClusterLock.lock tries once; acquire_lock retries with back-off, then raises DBDeadlock so retry-on-deadlock guards retry.
const cluster_lock = new ClusterLock();

async function acquire_lock(name: string): Promise<void> {
  for (let attempt = 0; attempt <= 20; attempt++) {
    if (await cluster_lock.lock(name, 100)) return;
    await new Promise<void>((resolve) => setTimeout(() => resolve(), 10 * 2 ** Math.min(attempt, 5)));
  }
  throw new DBDeadlock(\`lock \${name} not acquired after 20 retries\`);
}

async function release_lock(name: string): Promise<void> {
  await cluster_lock.unlock(name);
}

export async function fixed_ip_associate(session: any, address: string, instance_uuid: string) {
  const lock_name = \`fixed_ips:\${address}\`;
  await acquire_lock(lock_name);
  try {
    return await session.begin(async () => {
      const ref = await session.query(models.FixedIp).filter_by({ address }).first();
      ref.instance_uuid = instance_uuid;
      session.add(ref);
      return ref;
    });
  } finally {
    await release_lock(lock_name);
  }
}
`,
    },
  ],
  rewrite(facts) {
    const out = emptyResult();
    const envOf = kindCache(facts);
    const wrapped = new Set<ts.Node>();
    walk(facts.sf, (n) => {
      if (!ts.isCallExpression(n) || !isChainTop(n)) return;
      const chain = flattenChain(n);
      const start = queryStart(facts, chain, envOf(n));
      if (start < 0) return;
      const locks = chain.links.slice(start).filter((l) => facts.rules.rowLocks.includes(l.name));
      if (locks.length === 0) return;
      const link = locks[0];
      const stmt = enclosingStatement(n);
      const manual = (reason: string): void => {
        out.manual.push({ node: stmt, pos: link.access.name.getStart(facts.sf), reason });
      };
      const fn = protectedBlock(facts, n);
      if (!fn || !fn.body || !ts.isBlock(fn.body) || !isAsyncFunction(fn)) {
        return manual(`row lock \`${link.name}()\` outside an async unit of work: ROME takes no row locks; wrap the read-modify-write in a distributed lock by hand`);
      }
      const callers = sessionFromCaller(facts, n, chain, start, fn);
      if (callers) {
        return manual(
          `row lock \`${link.name}()\` in a helper that runs in its caller's unit of work (the session is a parameter): SQL held the row lock until the caller committed, a lock here would end before the caller writes, so take a distributed lock around the callers' units of work (${callers}) by hand`,
        );
      }
      if (wrapped.has(fn) || isLockedByPortDb(facts, fn.body)) return manual(`second row lock \`${link.name}()\` in one unit of work: port-db takes one lock per unit; merge the lock names by hand`);
      wrapped.add(fn);
      // the lock is all or nothing: code kept for a human that drops one of its edits drops them all
      const [from, needsFrom] = [out.edits.length, out.needs.length];
      const group = {};
      const seal = () => {
        for (const e of out.edits.slice(from)) e.group = group;
        for (const need of out.needs.slice(needsFrom)) need.edit ??= out.edits[from];
      };
      const modelName = modelOf(facts, chain.root, start === 1 ? chain.links[0].call : undefined);
      const model = modelName ? facts.models?.get(modelName) : undefined;
      const table = model?.table ?? (modelName ? modelName.toLowerCase() : 'rows');
      // key: equality filters whose values are parameters, preferring a unique key of the model
      const filters: Array<[string, string]> = [];
      for (const l of chain.links) {
        // .filter(models.M.col.eq(param))
        const eq = l.name === 'filter' ? l.call.arguments[0] : undefined;
        if (eq && ts.isCallExpression(eq) && ts.isPropertyAccessExpression(eq.expression) && eq.expression.name.text === 'eq' && ts.isPropertyAccessExpression(eq.expression.expression)) {
          const value = eq.arguments[0];
          if (value && ts.isIdentifier(value) && isParameter(n, value.text)) filters.push([eq.expression.expression.name.text, value.text]);
        }
        if (!facts.rules.methods.filterBy.includes(l.name)) continue;
        const obj = l.call.arguments[0];
        if (!obj || !ts.isObjectLiteralExpression(obj)) continue;
        for (const p of obj.properties) {
          const col = p.name?.getText(facts.sf);
          const value = ts.isShorthandPropertyAssignment(p) ? p.name : ts.isPropertyAssignment(p) ? p.initializer : undefined;
          if (col && value && ts.isIdentifier(value) && isParameter(n, value.text)) filters.push([col, value.text]);
        }
      }
      const unique = model?.uniqueKeys.find((k) => k.columns.filter((c) => c !== model.softDelete).every((c) => filters.some(([f]) => f === c)));
      const chosen = unique ? filters.filter(([c]) => unique.columns.includes(c)) : filters;
      const name = lockName(facts.rules.lock.rowNameTemplate ?? '{table}:{key}', table, chosen.map(([, v]) => v));
      // the lock call goes even from a statement kept for another reason (a filter_by key): the lock is what replaces it
      out.edits.push({ start: link.access.expression.end, end: link.call.end, text: '', independent: true });
      // the same lock asked twice in one chain (`.with_lockmode('update').with_for_update()`) goes too
      for (const extra of locks.slice(1)) {
        record(out, 'row-lock', extra.access.name.getStart(facts.sf), `\`${extra.name}()\` removed too (a second row lock on the same query)`, { start: extra.access.expression.end, end: extra.call.end, text: '' });
      }
      out.edits.push(...wrapInLock(facts, fn.body, name, 'lock_name'));
      const edit = { start: fn.body.getStart(facts.sf) + 1, end: fn.body.getStart(facts.sf) + 1, text: '' };
      out.needs.push({ kind: 'helper', id: 'lock', edit });
      record(
        out,
        'row-lock',
        link.access.name.getStart(facts.sf),
        `\`${link.name}()\` removed (ROME takes no row locks); the unit of work runs under lock ${lockLabel(name)}, released in finally`,
        edit,
      );
      seal();
    });
    return out;
  },
};
