import ts from '../ts.cjs';
import { isSessionExpr, type ModuleFacts } from '../analyzer/module.js';
import { enclosingStatement, indentAt, isReference, walk } from '../analyzer/parse.js';
import { ownLines } from '../analyzer/edits.js';
import { HELPER_MARK, isGeneratedHelper } from './helpers.js';
import { midUnitFlushes } from './session-add.js';
import { freshSessionSoftDeletes } from './fresh-session-soft-delete.js';
import { inside } from './manual.js';
import { emptyResult, record, type Rewriter, type RewriteResult } from './types.js';

/** Names of the session factory / query helper the module imports from elsewhere (to re-emit). */
export function importedHelpers(facts: ModuleFacts, kind: 'session' | 'query'): string[] {
  const wanted = kind === 'session' ? facts.sessionFactories : facts.queryHelpers;
  const out: string[] = [];
  for (const imp of facts.imports) {
    if (imp.specifier === facts.rules.target.module) continue;
    for (const local of imp.bindings.keys()) if (wanted.has(local)) out.push(local);
  }
  // reached through a namespace of the module's own package (`db_api.get_session()` in Glance's models)
  for (const call of namespacedHelperCalls(facts, kind)) if (!out.includes(call.name.text)) out.push(call.name.text);
  return out;
}

const namespacedCalls = new WeakMap<ModuleFacts, Map<string, ts.PropertyAccessExpression[]>>();

/** `ns.get_session(...)` where `ns` is a namespace or default import of a relative module (the api, a session module). */
export function namespacedHelperCalls(facts: ModuleFacts, kind: 'session' | 'query'): ts.PropertyAccessExpression[] {
  // asked for by every create and every helper render: one walk per module and kind
  let cached = namespacedCalls.get(facts);
  if (!cached) namespacedCalls.set(facts, (cached = new Map()));
  const hit = cached.get(kind);
  if (hit) return hit;
  const names = kind === 'session' ? facts.rules.sessionFactories : facts.rules.queryHelpers;
  const out: ts.PropertyAccessExpression[] = [];
  cached.set(kind, out);
  walk(facts.sf, (n) => {
    if (!ts.isCallExpression(n) || !ts.isPropertyAccessExpression(n.expression) || !ts.isIdentifier(n.expression.expression)) return;
    if (!names.includes(n.expression.name.text)) return;
    const imp = facts.importOf(n.expression.expression);
    // a default import of the package's module is its namespace object too (`import db_default from './api'`)
    const binding = imp?.bindings.get(n.expression.expression.text);
    if (imp && imp.specifier.startsWith('.') && (binding === '*' || binding === 'default')) out.push(n.expression);
  });
  return out;
}

/** Where the import of a local name starts (the source line a re-emitted helper replaces). */
export function importPos(facts: ModuleFacts, local: string): number {
  return facts.imports.find((i) => i.bindings.has(local))?.decl.getStart(facts.sf) ?? 0;
}

/** Local, hand-written (not generated) definitions of a helper name: ported in place, not re-emitted. */
export function handWrittenHelpers(facts: ModuleFacts, kind: 'session' | 'query'): string[] {
  const wanted = kind === 'session' ? facts.sessionFactories : facts.queryHelpers;
  const out: string[] = [];
  for (const [name, fn] of facts.localFunctions) {
    const decl = ts.isFunctionDeclaration(fn) ? fn : fn.parent;
    if (wanted.has(name) && !isGeneratedHelper(facts.text, decl.getStart(facts.sf))) out.push(name);
  }
  return out;
}

export const sessionRewriter: Rewriter = {
  id: 'session',
  title: 'SQL session factory becomes a RomeSession factory',
  description:
    'The SQL session factory (get_session(), getSession()) is replaced by a module-level helper of the same name that returns a new RomeSession, ' +
    'so every call site keeps its text. The import of the SQL factory goes away (see the import rewriter). A factory the module ' +
    'defines itself keeps its name, signature and export and returns a new RomeSession; the engine plumbing only it used ' +
    '(EngineFacade, _create_facade_lazily, their module variables) is removed, each removal recorded. ' +
    '`session.add_all(list)` becomes `session.add(...)`: ROME\'s session has no add_all. ' +
    freshSessionSoftDeletes.description,
  samples: [
    {
      before: `import { get_session } from './session';

export function f() {
  const session = get_session();
  return session;
}
`,
      after: `import { RomeSession } from 'rome-orm';

// port-db: generated helper (session): ROME sessions replace the SQL session factory.
function get_session(_options?: unknown): RomeSession {
  return new RomeSession();
}

export function f() {
  const session = get_session();
  return session;
}
`,
    },
  ],
  rewrite(facts, ctx) {
    const out = emptyResult();
    // a call an earlier rewriter deleted (a query helper's fallback session) is gone already, and a
    // factory only such calls reached is not needed
    const calls = namespacedHelperCalls(facts, 'session').filter((a) => !inside(ctx.deleted, a.getStart(facts.sf), a.end));
    const imported = (name: string) => facts.imports.some((i) => i.specifier !== facts.rules.target.module && i.bindings.has(name));
    const names = importedHelpers(facts, 'session').filter((name) => imported(name) || calls.some((a) => a.name.text === name));
    for (const access of calls) {
      // the call keeps its arguments; the namespace goes (the helper is emitted in this module)
      const start = access.getStart(facts.sf);
      out.edits.push({ start, end: access.name.getStart(facts.sf), text: '' });
      record(out, 'session', start, `\`${access.getText(facts.sf)}()\` → \`${access.name.text}()\`: the session factory is re-emitted in this module and returns a RomeSession`);
    }
    if (names.length > 0) {
      out.needs.push({ kind: 'helper', id: 'get_session' });
      record(out, 'session', importPos(facts, names[0]), `${names.join(', ')} re-emitted in this module: returns a new RomeSession instead of an SQL session`);
    }
    for (const name of handWrittenHelpers(facts, 'session')) portSessionFactory(facts, out, name);
    entitySessionArguments(facts, out);
    freshSessionSoftDeletes.rewrite(facts, out);
    addAll(facts, out);
    return out;
  },
};

/**
 * `session.add_all([a, b])` → `session.add(a, b)`: ROME's session has no add_all, and its
 * `add(*objs)` takes the entities themselves (lib/rome/core/session/session.py, `add`). A list
 * held elsewhere is spread: `session.add(...refs)`.
 */
function addAll(facts: ModuleFacts, out: RewriteResult): void {
  walk(facts.sf, (n) => {
    if (!ts.isCallExpression(n) || !ts.isPropertyAccessExpression(n.expression)) return;
    const name = n.expression.name;
    if ((name.text !== 'add_all' && name.text !== 'addAll') || !isSessionExpr(facts, n.expression.expression)) return;
    if (n.arguments.length !== 1) {
      // not one list: which entities it adds is not clear, and the call would not compile on ROME
      out.manual.push({
        node: enclosingStatement(n),
        pos: n.getStart(facts.sf),
        reason: `\`${name.text}\` with ${n.arguments.length} arguments: ROME's session has no ${name.text}; add the entities with \`add(...)\` by hand`,
      });
      return;
    }
    const [list] = n.arguments;
    const edit = { start: name.getStart(facts.sf), end: name.end, text: 'add' };
    if (ts.isArrayLiteralExpression(list) && !list.elements.some(ts.isSpreadElement)) {
      // the brackets go, the elements stay as they are written
      out.edits.push({ start: list.getStart(facts.sf), end: list.getStart(facts.sf) + 1, text: '' }, { start: list.end - 1, end: list.end, text: '' });
    } else {
      out.edits.push({ start: list.getStart(facts.sf), end: list.getStart(facts.sf), text: '...' });
    }
    record(out, 'session', name.getStart(facts.sf), `\`${name.text}(list)\` → \`add(...)\`: ROME's session adds the entities themselves, it has no ${name.text}`, edit);
  });
}

/**
 * A session factory the module defines itself (`get_session()` over an EngineFacade) keeps its
 * name, signature and export; its body becomes `return new RomeSession()`. What only that body
 * used (the facade, its lock, `_create_facade_lazily`) is then dead engine plumbing: it goes, one
 * record per removal. What something else still uses stays (and the manual rewriter marks its SQL).
 */
function portSessionFactory(facts: ModuleFacts, out: RewriteResult, name: string): void {
  const fn = facts.localFunctions.get(name)!;
  const body = fn.body;
  if (!body) return;
  const statement = enclosingStatement(fn);
  const at = body.getStart(facts.sf);
  const indent = indentAt(facts.text, statement.getStart(facts.sf));
  const text = ts.isBlock(body) ? `{${facts.eol}${indent}  return new RomeSession();${facts.eol}${indent}}` : 'new RomeSession()';
  out.edits.push({ start: at, end: at, text: `${text}` });
  out.edits.push({ start: at, end: body.end, text: '' });
  out.needs.push({ kind: 'import', name: 'RomeSession' });
  const mark = { start: statement.getStart(facts.sf), end: statement.getStart(facts.sf), text: `${HELPER_MARK} (session): ROME sessions replace the SQL session factory.${facts.eol}${indent}` };
  record(out, 'session', fn.getStart(facts.sf), `hand-written session factory ${name}() returns a new RomeSession (its SQL engine plumbing is no longer called)`, mark);
  for (const dead of deadPlumbing(facts, [at, body.end])) {
    const [start, end] = removalRange(facts, dead.statement);
    record(out, 'session', dead.statement.getStart(facts.sf), `\`${dead.name}\` removed: SQL engine plumbing that only the SQL session factory ${name}() used`, { start, end, text: '' });
  }
}

/** A top-level declaration that can be removed whole: one function or one variable. */
interface TopLevel {
  name: string;
  statement: ts.Statement;
}

function topLevelDeclarations(facts: ModuleFacts): TopLevel[] {
  const out: TopLevel[] = [];
  for (const st of facts.sf.statements) {
    if (ts.canHaveModifiers(st) && ts.getModifiers(st)?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword)) continue;
    if (ts.isFunctionDeclaration(st) && st.name) out.push({ name: st.name.text, statement: st });
    if (ts.isVariableStatement(st)) {
      const [d, ...more] = st.declarationList.declarations;
      if (more.length === 0 && ts.isIdentifier(d.name)) out.push({ name: d.name.text, statement: st });
    }
  }
  return out;
}

/**
 * The unexported top-level declarations that were reached from `removed` (the factory's old
 * body) and that nothing else references any more, to a fixpoint (the facade, then its lock).
 * References are matched by name: a local of the same name counts as a use, so in doubt code stays.
 */
function deadPlumbing(facts: ModuleFacts, removed: [number, number]): TopLevel[] {
  const decls = topLevelDeclarations(facts);
  const byName = new Map(decls.map((d) => [d.name, d]));
  const uses = new Map<string, Array<{ pos: number; inside?: TopLevel }>>();
  for (const d of decls) uses.set(d.name, []);
  const owner = (pos: number) => decls.find((d) => pos >= d.statement.getStart(facts.sf) && pos < d.statement.end);
  walk(facts.sf, (n) => {
    if (!ts.isIdentifier(n) || !byName.has(n.text)) return;
    if (!isReference(n)) return;
    const pos = n.getStart(facts.sf);
    uses.get(n.text)!.push({ pos, inside: owner(pos) });
  });
  const gone = new Set<TopLevel>();
  const isGone = (u: { pos: number; inside?: TopLevel }) => (u.pos >= removed[0] && u.pos < removed[1]) || (u.inside !== undefined && gone.has(u.inside));
  const reached = new Set<string>();
  for (const [name, list] of uses) if (list.some((u) => u.pos >= removed[0] && u.pos < removed[1])) reached.add(name);
  for (let changed = true; changed; ) {
    changed = false;
    for (const d of decls) {
      if (gone.has(d) || !reached.has(d.name)) continue;
      if (!uses.get(d.name)!.every((u) => isGone(u) || u.inside === d)) continue;
      gone.add(d);
      changed = true;
      // what the removed declaration used is reached too
      for (const [name, list] of uses) if (list.some((u) => u.inside === d)) reached.add(name);
    }
  }
  return decls.filter((d) => gone.has(d));
}

/** A statement's own lines with the comments right above it (not a section comment a blank line above). */
function removalRange(facts: ModuleFacts, st: ts.Statement): [number, number] {
  const comments = ts.getLeadingCommentRanges(facts.text, st.getFullStart()) ?? [];
  let from = st.getStart(facts.sf);
  for (let i = comments.length - 1; i >= 0; i--) {
    const gap = facts.text.slice(comments[i].end, from);
    if (gap.trim() !== '' || (gap.match(/\n/g) ?? []).length > 1) break;
    from = comments[i].pos;
  }
  const [start, end] = ownLines(facts.text, from, st.end);
  // and one blank line before it, so no double blank line is left behind
  const before = facts.text.lastIndexOf('\n', start - 2);
  const blankBefore = start > 0 && facts.text.slice(before + 1, start).trim() === '';
  const blankAfter = facts.text.slice(end, facts.text.indexOf('\n', end) + 1).trim() === '';
  return blankBefore && blankAfter && before >= 0 ? [before + 1, end] : [start, end];
}

/**
 * `ref.save({ session })`, `ref.soft_delete({ session: s })`: the dialect passes Python's keyword
 * as an options object, but ROME's Entity methods take the session itself (`save(session)`); the
 * object would be taken for a session. Only an object that holds the session option alone is
 * rewritten; a query's `delete({ synchronize_session })` has no such option.
 */
export function entitySessionArguments(facts: ModuleFacts, out: RewriteResult): void {
  const methods = new Set([...facts.rules.methods.save, ...facts.rules.methods.softDelete, ...facts.rules.methods.delete]);
  // a method the models define themselves keeps the signature they gave it (Cinder's delete({ session }))
  const overridden = new Set([...(facts.models?.values() ?? [])].flatMap((m) => [...(m.methods ?? [])]));
  // a save the session-add rewriter turns into `session.add(ref)` (a flush in the middle of a unit of work)
  const queued = midUnitFlushes(facts);
  walk(facts.sf, (n) => {
    if (!ts.isCallExpression(n) || !ts.isPropertyAccessExpression(n.expression) || !methods.has(n.expression.name.text)) return;
    if (queued.get(n)?.kind === 'add') return;
    // `super.save({ session })` inside such an override is ROME's own method
    if (overridden.has(n.expression.name.text) && n.expression.expression.kind !== ts.SyntaxKind.SuperKeyword) return;
    const [arg, ...more] = n.arguments;
    if (!arg || more.length > 0 || !ts.isObjectLiteralExpression(arg) || arg.properties.length !== 1) return;
    const p = arg.properties[0];
    if (!p.name || !facts.rules.queryOptions.session.includes(p.name.getText(facts.sf))) return;
    const value = ts.isShorthandPropertyAssignment(p) ? p.name.getText(facts.sf) : ts.isPropertyAssignment(p) ? p.initializer.getText(facts.sf) : undefined;
    if (value === undefined) return;
    const call = `${n.expression.getText(facts.sf)}()`;
    record(out, 'session', arg.getStart(facts.sf), `\`${call.replace('()', `(${arg.getText(facts.sf)})`)}\` → \`${call.replace('()', `(${value})`)}\`: ROME's entity methods take the session itself, not an options object`, {
      start: arg.getStart(facts.sf),
      end: arg.end,
      text: value,
    });
  });
}
