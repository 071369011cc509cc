import ts from '../ts.cjs';
import type { ModuleFacts } from '../analyzer/module.js';
import { enclosingStatement } from '../analyzer/parse.js';
import { isGeneratedHelper } from './helpers.js';
import { emptyResult, record, type Rewriter } from './types.js';

/** Names of the session factory / query helper the module imports from elsewhere (to re-emit). */
export function importedHelpers(facts: ModuleFacts, kind: 'session' | 'query'): string[] {
  const wanted = kind === 'session' ? facts.sessionFactories : facts.queryHelpers;
  const out: string[] = [];
  for (const imp of facts.imports) {
    if (imp.specifier === facts.rules.target.module) continue;
    for (const local of imp.bindings.keys()) if (wanted.has(local)) out.push(local);
  }
  return out;
}

/** Where the import of a local name starts (the source line a re-emitted helper replaces). */
export function importPos(facts: ModuleFacts, local: string): number {
  return facts.imports.find((i) => i.bindings.has(local))?.decl.getStart(facts.sf) ?? 0;
}

/** Local, hand-written (not generated) definitions of a helper name: port-db cannot rewrite those. */
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
    'so every call site keeps its text. The import of the SQL factory goes away (see the import rewriter).',
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
  rewrite(facts) {
    const out = emptyResult();
    const names = importedHelpers(facts, 'session');
    if (names.length > 0) {
      out.needs.push({ kind: 'helper', id: 'get_session' });
      record(out, 'session', importPos(facts, names[0]), `${names.join(', ')} re-emitted in this module: returns a new RomeSession instead of an SQL session`);
    }
    for (const name of handWrittenHelpers(facts, 'session')) {
      const fn = facts.localFunctions.get(name)!;
      // the whole statement (`export const f = guard(...)`): its marker goes above `export`
      const statement = enclosingStatement(fn);
      const decl = ts.isVariableStatement(statement) ? statement.declarationList.declarations.find((d) => d.name.getText(facts.sf) === name) : undefined;
      out.manual.push({
        node: statement,
        pos: (decl ?? fn).getStart(facts.sf),
        reason: `hand-written session factory ${name}(): make it return a RomeSession`,
      });
    }
    return out;
  },
};
