import ts from '../ts.cjs';
import type { ModelInfo, UniqueKey } from '../analyzer/models.js';
import { mappedChain, type FunctionUnit, type ModuleFacts } from '../analyzer/module.js';
import { enclosingStatement, indentAt, isAsyncFunction, isReference, walk } from '../analyzer/parse.js';
import { errorClass, lockLabel, lockName } from './locks.js';
import { emptyResult, record, type Rewriter, type RewriteResult } from './types.js';

const UNIQUENESS_MARK = '// port-db: uniqueness of';

interface Create {
  unit: FunctionUnit;
  fn: ts.FunctionLikeDeclaration & { body: ts.Block };
  ref: string;
  model: string;
  decl: ts.VariableDeclaration;
}

/** `const ref = new models.M(...)` in a function body. */
function findCreates(facts: ModuleFacts, unit: FunctionUnit): Create[] {
  const fn = unit.fn;
  if (!fn?.body || !ts.isBlock(fn.body)) return [];
  // ported before: the body already checks uniqueness
  if (fn.body.getText(facts.sf).includes(UNIQUENESS_MARK)) return [];
  const out: Create[] = [];
  walk(fn.body, (n) => {
    if (!ts.isVariableDeclaration(n) || !ts.isIdentifier(n.name) || !n.initializer || !ts.isNewExpression(n.initializer)) return;
    const e = n.initializer.expression;
    if (ts.isPropertyAccessExpression(e) && ts.isIdentifier(e.expression) && e.expression.text === facts.modelsNamespace) {
      out.push({ unit, fn: fn as Create['fn'], ref: n.name.text, model: e.name.text, decl: n });
    }
  });
  return out;
}

/**
 * `new models.M()` not bound to a name (`Object.assign(new models.M(), v)` in a `map`, an
 * argument, a property): port-db cannot follow it to its save, so a model with unique keys gets
 * no check and no lock; marked, never left as if it were safe.
 */
function unboundCreates(facts: ModuleFacts, unit: FunctionUnit, out: RewriteResult): void {
  const body = unit.fn?.body;
  if (!body || body.getText(facts.sf).includes(UNIQUENESS_MARK)) return;
  walk(body, (n) => {
    if (!ts.isNewExpression(n) || (ts.isVariableDeclaration(n.parent) && n.parent.initializer === n && ts.isIdentifier(n.parent.name))) return;
    const e = n.expression;
    if (!ts.isPropertyAccessExpression(e) || !ts.isIdentifier(e.expression) || e.expression.text !== facts.modelsNamespace) return;
    // without the models module its keys are unknown: marked as a bound create is
    if (!facts.models) {
      out.manual.push({ node: enclosingStatement(n), pos: n.getStart(facts.sf), reason: unreadModels(facts, e.name.text) });
      return;
    }
    // a model of the catalog with a key to check (a class the models module does not map is not one)
    const keys = facts.models.get(e.name.text)?.uniqueKeys;
    if (!keys || keys.length === 0) return;
    out.manual.push({
      node: enclosingStatement(n),
      pos: n.getStart(facts.sf),
      reason: `create of models.${e.name.text} not bound to a name: port-db cannot follow it to its save, so the uniqueness check on ${keys.map(keyLabel).join(' and ')} and its lock are left to do by hand`,
    });
  });
}

function unreadModels(facts: ModuleFacts, model: string): string {
  return `create of models.${model}: the models module could not be read (${facts.modelsError ?? 'not found'}), so its unique keys are unknown`;
}

/** Where each field of the new object comes from, as an expression valid at the function's start. */
function fieldSources(facts: ModuleFacts, c: Create): (field: string) => string | null {
  const params = new Set(c.fn.parameters.filter((p) => ts.isIdentifier(p.name)).map((p) => (p.name as ts.Identifier).text));
  const bulk: string[] = [];
  const direct = new Map<string, string | null>();
  let paramMutated = false;
  walk(c.fn.body, (n) => {
    if (ts.isCallExpression(n)) {
      const callee = n.expression;
      const isUpdate = ts.isPropertyAccessExpression(callee) && callee.expression.getText(facts.sf) === c.ref && facts.rules.methods.update.includes(callee.name.text);
      const isAssign = callee.getText(facts.sf) === 'Object.assign' && n.arguments[0]?.getText(facts.sf) === c.ref;
      const src = isUpdate ? n.arguments[0] : isAssign ? n.arguments[1] : undefined;
      if (src) bulk.push(ts.isIdentifier(src) && params.has(src.text) ? src.text : '');
      // `Object.assign(values, {...})` changes a parameter as an assignment to it does
      const into = callee.getText(facts.sf) === 'Object.assign' ? n.arguments[0] : undefined;
      if (into && params.has((ts.isPropertyAccessExpression(into) ? into.expression : into).getText(facts.sf))) paramMutated = true;
    }
    const op = ts.isBinaryExpression(n) ? n.operatorToken.kind : undefined;
    if (ts.isBinaryExpression(n) && op !== undefined && op >= ts.SyntaxKind.FirstAssignment && op <= ts.SyntaxKind.LastAssignment) {
      const left = n.left;
      const target = ts.isPropertyAccessExpression(left) || ts.isElementAccessExpression(left) ? left.expression.getText(facts.sf) : left.getText(facts.sf);
      if (target === c.ref && ts.isPropertyAccessExpression(left)) {
        direct.set(left.name.text, op === ts.SyntaxKind.EqualsToken && ts.isIdentifier(n.right) && params.has(n.right.text) ? n.right.text : null);
      } else if (params.has(target)) paramMutated = true;
    }
    // `delete values.x` changes what the wrapper would read too
    if (ts.isDeleteExpression(n) && ts.isPropertyAccessExpression(n.expression) && params.has(n.expression.expression.getText(facts.sf))) paramMutated = true;
  });
  // a value is known only when one source sets it and the body does not change the parameters
  return (field) => {
    if (paramMutated) return null;
    if (direct.has(field)) return bulk.length ? null : direct.get(field)!;
    return bulk.length === 1 && bulk[0] ? `${bulk[0]}.${field}` : null;
  };
}

/** The first statement that saves the new object: `ref.save(...)` or `session.add(ref)`. */
function saveStatement(facts: ModuleFacts, c: Create): ts.Statement | undefined {
  let found: ts.Statement | undefined;
  walk(c.fn.body, (n) => {
    if (found || !ts.isCallExpression(n) || !ts.isPropertyAccessExpression(n.expression)) return;
    const method = n.expression.name.text;
    const target = n.expression.expression.getText(facts.sf);
    // `session.add(ref)`, or `session.add_all([ref, ...])`
    const added = n.arguments.flatMap((a) => (ts.isArrayLiteralExpression(a) ? [...a.elements] : [a]));
    if ((target === c.ref && facts.rules.methods.save.includes(method)) || (facts.rules.methods.add.includes(method) && added.some((a) => a.getText(facts.sf) === c.ref))) {
      found = enclosingStatement(n);
    }
  });
  return found;
}

function keyLabel(k: UniqueKey): string {
  return `(${k.columns.join(', ')})`;
}

function uniquenessChecks(facts: ModuleFacts, c: Create, model: ModelInfo, indent: string, dup: string): string {
  const eol = facts.eol;
  const entity = `${facts.modelsNamespace}.${model.className}`;
  const lines: string[] = [`${UNIQUENESS_MARK} ${model.table} on ${model.uniqueKeys.map(keyLabel).join(' and ')}, as the SQL unique keys enforced it`];
  for (const k of model.uniqueKeys) {
    const cols = k.columns.filter((col) => col !== model.softDelete);
    // the model itself, not the service's query helper: a unique index sees every row, and what a
    // helper's read_deleted means is the service's (Manila's 'yes' keeps only deleted rows)
    const query = `new RomeQuery(${entity})${k.amongLive && model.softDelete ? `.filter_by({ ${model.softDelete}: ${entity}.${model.softDelete}.default ?? 0 })` : ''}`;
    // SQL unique keys let NULLs through: a key with a NULL column never conflicts
    const present = cols.map((col) => `${c.ref}.${col} != null`).join(' && ');
    const filter = cols.map((col) => `${col}: ${c.ref}.${col}`).join(', ');
    lines.push(`if (${present} && (await ${query}.filter_by({ ${filter} }).first())) {`);
    lines.push(`  throw new ${dup}([${k.columns.map((col) => `'${col}'`).join(', ')}]);`);
    lines.push('}');
  }
  return lines.map((l, i) => (i ? indent : '') + l).join(eol) + eol + indent;
}

function portCreate(facts: ModuleFacts, c: Create, out: RewriteResult): void {
  const stmtOf = () => enclosingStatement(c.decl);
  const manual = (reason: string): void => {
    out.manual.push({ node: stmtOf(), pos: c.decl.getStart(facts.sf), reason });
  };
  if (!facts.models) return manual(unreadModels(facts, c.model));
  const model = facts.models.get(c.model);
  if (!model) return manual(`create of models.${c.model}: no such model in the models module`);
  if (model.uniqueKeys.length === 0) {
    record(out, 'create-lock', c.decl.getStart(facts.sf), `models.${c.model} (${model.table}) has no unique key: no lock or uniqueness check needed`);
    return;
  }
  const save = saveStatement(facts, c);
  if (!save) return manual(`create of models.${c.model} that is never saved: port-db cannot tell where the uniqueness check belongs`);
  for (let n: ts.Node = save; n !== c.fn.body; n = n.parent) {
    const name = ts.isCallExpression(n) && ts.isPropertyAccessExpression(n.expression) ? n.expression.name.text : undefined;
    if (name && facts.rules.constructs[name] === 'manual') return manual(`create of models.${c.model} saved inside \`${name}()\`, which ROME lacks: add the lock and the uniqueness check by hand`);
  }
  // a destructured parameter (`{ session = null }: Opts = {}`) is forwarded whole under a name of
  // its own: the body, which destructures it, gets what the caller passed
  const taken = new Set(c.fn.parameters.flatMap((p) => (ts.isIdentifier(p.name) ? [p.name.text] : [])));
  const forwardName = (i: number) => {
    let n = `arg${i}`;
    while (taken.has(n)) n = `_${n}`;
    return n;
  };
  const params = c.fn.parameters.map((p, i) => (p.dotDotDotToken ? '...' : '') + (ts.isIdentifier(p.name) ? p.name.text : forwardName(i)));
  let usesThis = false;
  walk(c.fn.body, (n) => (usesThis ||= n.kind === ts.SyntaxKind.ThisKeyword));
  const node = c.unit.node;
  const isDecl = ts.isFunctionDeclaration(node);
  const isConst = ts.isVariableStatement(node) && (ts.isArrowFunction(c.fn) || ts.isFunctionExpression(c.fn));
  if (usesThis || (!isDecl && !isConst)) return manual(`create of models.${c.model} in a ${usesThis ? 'function that uses this' : 'class method'}: split it by hand`);

  const name = c.unit.name;
  const inner = `${name}_`;
  const dup = errorClass(facts, 'DBDuplicateEntry');
  if (dup.importName) out.needs.push({ kind: 'import', name: dup.importName });

  // the lock: per table and the values of the columns every unique key shares
  const shared = model.uniqueKeys.map((k) => k.columns.filter((col) => col !== model.softDelete)).reduce((a, b) => a.filter((col) => b.includes(col)));
  const sources = fieldSources(facts, c);
  const keyValues = shared.map((col) => sources(col));
  // a Date in a template literal is its toString(): the server's time zone, so two nodes in
  // different zones would name one key's lock differently; its ISO form is the same everywhere
  const keys = keyValues.every((v) => v) ? (keyValues as string[]).map((v, i) => (model.columns.get(shared[i])?.type === 'DateTime' ? `${v} instanceof Date ? ${v}.toISOString() : ${v}` : v)) : [];
  const lock = lockName(facts.rules.lock.nameTemplate, model.table, keys);
  const eol = facts.eol;
  const isAsync = isAsyncFunction(c.fn);
  const args = params.join(', ');
  // the wrapper's copy of the signature takes the renames the import rewriter makes in the original
  // (`Session` → `RomeSession`, `sa_orm.Session` → `RomeSession`), found on the tree as it finds
  // them: a regex over the text renamed a member too (`sa_orm.Session` → `sa_orm.RomeSession`)
  const renamed = (node: ts.Node): string => {
    const reps: Array<{ start: number; end: number; to: string }> = [];
    const visit = (n: ts.Node) => {
      if (!ts.isIdentifier(n) || !facts.sqlBindings.has(n.text) || !isReference(n) || !facts.importOf(n)?.isSql) return;
      const chain = mappedChain(facts, n);
      const imported = facts.importOf(n)!.bindings.get(n.text)!;
      const to = chain ? chain.to : imported !== '*' && imported !== 'default' && Object.hasOwn(facts.rules.mappedNames, imported) ? facts.rules.mappedNames[imported] : undefined;
      if (to) reps.push({ start: (chain?.node ?? n).getStart(facts.sf), end: (chain?.node ?? n).end, to });
    };
    visit(node);
    walk(node, visit);
    const start = node.getStart(facts.sf);
    let text = node.getText(facts.sf);
    for (const r of reps.sort((a, b) => b.start - a.start)) text = text.slice(0, r.start - start) + r.to + text.slice(r.end - start);
    return text;
  };
  const paramsText = c.fn.parameters
    .map((p, i) =>
      ts.isIdentifier(p.name)
        ? renamed(p)
        : `${p.dotDotDotToken ? '...' : ''}${forwardName(i)}${p.questionToken ? '?' : ''}${p.type ? `: ${renamed(p.type)}` : ''}${p.initializer ? ` = ${renamed(p.initializer)}` : ''}`,
    )
    .join(', ');
  const returnType = c.fn.type ? `: ${isAsync ? renamed(c.fn.type) : `Promise<${renamed(c.fn.type)}>`}` : '';
  const wrapperBody = (ind: string) =>
    [
      `{`,
      `${ind}  const lock_name = ${lock};`,
      `${ind}  await acquire_lock(lock_name);`,
      `${ind}  try {`,
      `${ind}    return await ${inner}(${args});`,
      `${ind}  } finally {`,
      `${ind}    await release_lock(lock_name);`,
      `${ind}  }`,
      `${ind}}`,
    ].join(eol);

  const checkIndent = indentAt(facts.text, save.getStart(facts.sf));
  out.needs.push({ kind: 'import', name: 'RomeQuery' });
  out.edits.push({ start: save.getStart(facts.sf), end: save.getStart(facts.sf), text: uniquenessChecks(facts, c, model, checkIndent, dup.text) });
  // ROME's save() is async: a save left floating would finish after the lock is released, and
  // its duplicate-entry error would escape the module's catch
  const call = ts.isExpressionStatement(save) ? save.expression : undefined;
  if (call && ts.isCallExpression(call) && ts.isPropertyAccessExpression(call.expression) && facts.rules.methods.save.includes(call.expression.name.text)) {
    const start = call.getStart(facts.sf);
    record(out, 'create-lock', start, `awaits \`${call.expression.getText(facts.sf)}()\`: ROME saves asynchronously, and the lock must be held until the save is done`, { start, end: start, text: 'await ' });
  }

  const at = node.getStart(facts.sf);
  if (isDecl) {
    const fn = node as ts.FunctionDeclaration;
    const ind = indentAt(facts.text, at);
    const exported = fn.modifiers?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword) ? 'export ' : '';
    const wrapper = `${exported}async function ${name}(${paramsText})${returnType} ${wrapperBody(ind)}${eol}${eol}${ind}`;
    out.edits.push({ start: at, end: at, text: wrapper });
    // the original becomes the private, async `<name>_`
    const exportMod = fn.modifiers?.find((m) => m.kind === ts.SyntaxKind.ExportKeyword);
    if (exportMod) out.edits.push({ start: exportMod.getStart(facts.sf), end: exportMod.end + 1, text: '' });
    if (!isAsync) {
      const kw = fn.getChildren(facts.sf).find((ch) => ch.kind === ts.SyntaxKind.FunctionKeyword)!;
      out.edits.push({ start: kw.getStart(facts.sf), end: kw.getStart(facts.sf), text: 'async ' });
    }
    if (!isAsync && fn.type) out.edits.push({ start: fn.type.getStart(facts.sf), end: fn.type.end, text: `Promise<${fn.type.getText(facts.sf)}>` });
    out.edits.push({ start: fn.name!.getStart(facts.sf), end: fn.name!.end, text: inner });
  } else {
    const st = node as ts.VariableStatement;
    const decl = st.declarationList.declarations.find((d) => d.initializer && c.fn.pos >= d.initializer.pos && c.fn.end <= d.initializer.end)!;
    const init = decl.initializer!;
    const ind = indentAt(facts.text, at);
    // the guards around the function move into the wrapper, with whatever other rewriters change in them
    const head = { start: init.getStart(facts.sf), end: c.fn.getStart(facts.sf) };
    const tail = { start: c.fn.end, end: init.end };
    const exported = st.modifiers?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword) ? 'export ' : '';
    const fnInd = indentAt(facts.text, c.fn.getStart(facts.sf));
    const parts = [`${exported}const ${name} = `, head, `async (${paramsText})${returnType} => ${wrapperBody(fnInd)}`, tail, `;${eol}${eol}${ind}`];
    out.edits.push({ start: at, end: at, text: parts.map((p) => (typeof p === 'string' ? p : facts.text.slice(p.start, p.end))).join(''), parts });
    // the statement's other names (`export const DEFAULT_VLAN = 100, network_create = ...`) keep
    // their export: `<name>_` is then exported too, which breaks no importer
    const exportMod = st.declarationList.declarations.length === 1 ? st.modifiers?.find((m) => m.kind === ts.SyntaxKind.ExportKeyword) : undefined;
    if (exportMod) out.edits.push({ start: exportMod.getStart(facts.sf), end: exportMod.end + 1, text: '' });
    out.edits.push({ start: decl.name.getStart(facts.sf), end: decl.name.end, text: inner });
    // `<name>_` is the bare function: the guards run once, in the wrapper
    // the guards move to the wrapper: what they reference is still used (and marked if it is SQL)
    out.edits.push({ start: init.getStart(facts.sf), end: c.fn.getStart(facts.sf), text: isAsync ? '' : 'async ', moved: true });
    out.edits.push({ start: c.fn.end, end: init.end, text: '', moved: true });
  }
  const keysText = model.uniqueKeys.map(keyLabel).join(' and ');
  const edit = { start: at, end: at, text: '' };
  out.needs.push({ kind: 'helper', id: 'lock', edit });
  record(
    out,
    'create-lock',
    c.decl.getStart(facts.sf),
    `uniqueness on ${keysText} checked before the save; lock ${lockLabel(lock)}${keys.length ? '' : ' (per table: the wrapper cannot tell the key values, the body sets or changes them before the save)'}; body moved to ${inner}${isAsync ? '' : `; ${name} is now async (signature change)`}`,
    edit,
  );
  if (!isAsync) awaitCallers(facts, name, out);
}

/** A create that became async: callers in the module await it, or are flagged. */
function awaitCallers(facts: ModuleFacts, name: string, out: RewriteResult): void {
  for (const n of callsByName(facts.sf).get(name) ?? []) {
    if (ts.isAwaitExpression(n.parent)) continue;
    let fn: ts.Node | undefined = n.parent;
    while (fn && !ts.isFunctionLike(fn)) fn = fn.parent;
    const isAsync = fn !== undefined && isAsyncFunction(fn);
    if (isAsync) record(out, 'create-lock', n.getStart(facts.sf), `awaits ${name}(), which is now async`, { start: n.getStart(facts.sf), end: n.getStart(facts.sf), text: 'await ' });
    else out.manual.push({ node: enclosingStatement(n), pos: n.getStart(facts.sf), reason: `${name}() is now async (it takes a lock): await it here` });
  }
}

/** Calls of a plain name, in source order, indexed by one walk of the module (a walk per create was quadratic). */
const callIndex = new WeakMap<ts.SourceFile, Map<string, ts.CallExpression[]>>();

function callsByName(sf: ts.SourceFile): Map<string, ts.CallExpression[]> {
  let index = callIndex.get(sf);
  if (index) return index;
  index = new Map();
  walk(sf, (n) => {
    if (!ts.isCallExpression(n) || !ts.isIdentifier(n.expression)) return;
    const list = index!.get(n.expression.text);
    if (list) list.push(n);
    else index!.set(n.expression.text, [n]);
  });
  callIndex.set(sf, index);
  return index;
}

export const createLockRewriter: Rewriter = {
  id: 'create-lock',
  title: 'Creates take a distributed lock and check uniqueness',
  description:
    'ROME has no unique constraints: a create that SQL would reject as a duplicate silently succeeds. A function that creates a model with ' +
    'unique keys is split: `<name>_` keeps the body and, before the save, queries the model itself (`new RomeQuery(M)`, not the query helper of the service, whose read_deleted means what the service says: a unique index sees every row) ' +
    "for an existing row on each unique key (live rows when the key holds `deleted`) and throws the duplicate-entry error the SQL index raised, so the function's own catch still works; the " +
    'exported `<name>` takes a ClusterLock named after the table and the values every key shares, awaits `<name>_`, and releases the lock in finally.',
  samples: [
    {
      before: `import * as models from '../models';

export async function service_create(values: Record<string, any>) {
  const service_ref = new models.Service();
  service_ref.update(values);
  await service_ref.save();
  return service_ref;
}
`,
      after: `import { RomeQuery, ClusterLock, DBDuplicateEntry, DBDeadlock } from 'rome-orm';
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

export async function service_create(values: Record<string, any>) {
  const lock_name = \`services:create:\${values.host}\`;
  await acquire_lock(lock_name);
  try {
    return await service_create_(values);
  } finally {
    await release_lock(lock_name);
  }
}

async function service_create_(values: Record<string, any>) {
  const service_ref = new models.Service();
  service_ref.update(values);
  // port-db: uniqueness of services on (host, topic, deleted) and (host, binary, deleted), as the SQL unique keys enforced it
  if (service_ref.host != null && service_ref.topic != null && (await new RomeQuery(models.Service).filter_by({ deleted: models.Service.deleted.default ?? 0 }).filter_by({ host: service_ref.host, topic: service_ref.topic }).first())) {
    throw new DBDuplicateEntry(['host', 'topic', 'deleted']);
  }
  if (service_ref.host != null && service_ref.binary != null && (await new RomeQuery(models.Service).filter_by({ deleted: models.Service.deleted.default ?? 0 }).filter_by({ host: service_ref.host, binary: service_ref.binary }).first())) {
    throw new DBDuplicateEntry(['host', 'binary', 'deleted']);
  }
  await service_ref.save();
  return service_ref;
}
`,
    },
  ],
  rewrite(facts) {
    const out = emptyResult();
    for (const unit of facts.units) {
      unboundCreates(facts, unit, out);
      const creates = findCreates(facts, unit);
      if (creates.length === 1) {
        // the split is all or nothing: a wrapper without its body (or the reverse) is no port
        const [from, needsFrom] = [out.edits.length, out.needs.length];
        portCreate(facts, creates[0], out);
        const group = {};
        for (const e of out.edits.slice(from)) e.group = group;
        for (const n of out.needs.slice(needsFrom)) n.edit ??= out.edits[from];
      } else if (creates.length > 1) {
        for (const c of creates) {
          out.manual.push({ node: enclosingStatement(c.decl), pos: c.decl.getStart(facts.sf), reason: `one of ${creates.length} creates in ${unit.name}: port-db splits functions with one create only` });
        }
      }
    }
    return out;
  },
};
