import { posix, relative, resolve, sep } from 'node:path';
import ts from '../ts.cjs';
import { mappedChain, type ImportInfo, type ModuleFacts } from '../analyzer/module.js';
import { ownLines } from '../analyzer/edits.js';
import { HELPERS } from './helpers.js';
import { isReference, walk } from '../analyzer/parse.js';
import { inside, referencesTo } from './manual.js';
import { importedHelpers } from './session.js';
import { emptyResult, record, type RewriteContext, type Rewriter, type RewriteResult } from './types.js';

/** Re-points a relative specifier written in `fromDir` so it resolves the same from `toDir`. */
export function repoint(specifier: string, fromDir: string, toDir: string): string {
  const target = resolve(fromDir, specifier);
  let rel = relative(toDir, target).split(sep).join(posix.sep);
  if (!rel.startsWith('.')) rel = './' + rel;
  return rel;
}

/** Target names needed by the rewriters and the helpers they asked for, in the pack's order. */
function targetNames(facts: ModuleFacts, ctx: RewriteContext, mapped: string[]): string[] {
  const wanted = new Set(mapped);
  for (const need of ctx.needs) {
    if (need.kind === 'import') wanted.add(need.name);
    if (need.kind === 'helper') for (const name of HELPERS.find((h) => h.id === need.id)?.imports ?? []) wanted.add(name);
  }
  const order = facts.rules.target.names;
  return [...wanted].sort((a, b) => (order.indexOf(a) + 1 || 1e6) - (order.indexOf(b) + 1 || 1e6) || a.localeCompare(b));
}

function quoteOf(facts: ModuleFacts, imp: ImportInfo): string {
  return facts.text[imp.decl.moduleSpecifier.getStart(facts.sf)];
}

export const importRewriter: Rewriter = {
  id: 'import',
  title: 'SQL imports become ROME imports; relative imports follow the module',
  description:
    'Names ROME has (or_, and_, not_, Session → RomeSession, ...) move to the target module; SQL names no longer used are removed; ' +
    'SQL names that only manual code still uses stay in a marked import so the port compiles. Relative imports are re-pointed from ' +
    'db/sqlalchemy/ to db/discovery/, the re-emitted session factory and query helper are no longer imported, and the pack\'s path ' +
    'mappings (oslo.db → oslo_db) are applied. An import of a db/sqlalchemy module that remains is marked manual.',
  samples: [
    {
      before: `import { or_ } from 'sqlalchemy';
import * as models from './models';

export const q = (a: any, b: any) => or_(a, b, models);
`,
      after: `import { or_ } from 'rome-orm';
// port-db: manual imports the SQL models module ../sqlalchemy/models: ROME needs ROME entities (port the models module)
import * as models from '../sqlalchemy/models';

export const q = (a: any, b: any) => or_(a, b, models);
`,
    },
  ],
  rewrite(facts, ctx) {
    const out = emptyResult();
    const manualRanges: Array<[number, number]> = ctx.manual.map((m) => [m.node.getStart(facts.sf), m.node.end]);
    const reemitted = new Set([...importedHelpers(facts, 'session'), ...importedHelpers(facts, 'query')]);
    const rewrittenAway = unusedAfterRewrites(facts, ctx.deleted);
    const mapped: string[] = [];
    const renames = new Map<string, string>();
    // the names the generated helpers declare, and a name no code of the module uses nor a helper declares
    let declared: Set<string> | undefined;
    const helperNames = () => (declared ??= helperDeclarations(facts, ctx));
    let used: Set<string> | undefined;
    const freeName = (imported: string, local: string): string => {
      if (!used) {
        const found = new Set<string>();
        // the imported name of an import's own element (`retry_on_request as wrap_db_retry`) binds nothing
        walk(facts.sf, (n) => void (ts.isIdentifier(n) && !(ts.isImportSpecifier(n.parent) && n.parent.propertyName === n) && found.add(n.text)));
        used = found;
      }
      const taken = (n: string) => used!.has(n) || helperNames().has(n) || [...renames.values()].includes(n);
      const base = imported !== '*' && imported !== 'default' && !taken(imported) ? imported : `sql_${local}`;
      let name = base;
      for (let i = 2; taken(name); i++) name = `${base}${i}`;
      return name;
    };
    const targetImports: ImportInfo[] = [];
    let firstSql: ImportInfo | undefined;

    // which SQL names are still referenced, and where
    const usedInManual = new Set<string>();
    const chains: Array<{ node: ts.Node; to: string }> = [];
    referencesTo(facts, new Set(facts.sqlBindings.keys()), (id) => {
      const s = id.getStart(facts.sf);
      if (inside(ctx.deleted, s, id.end)) return;
      // a name the target has is mapped inside manual code too (types carry no behaviour, and a
      // kept `Session` would dangle once its import is mapped)
      const chain = mappedChain(facts, id);
      if (chain) chains.push(chain);
      else if (inside(manualRanges, s, id.end)) usedInManual.add(id.text);
    });

    for (const imp of facts.imports) {
      const at = imp.decl.getStart(facts.sf);
      const q = quoteOf(facts, imp);
      if (imp.specifier === facts.rules.target.module) {
        targetImports.push(imp);
        continue;
      }
      if (imp.isSql) {
        firstSql ??= imp;
        const keep: string[] = [];
        const dropped: string[] = [];
        for (const [local, imported] of imp.bindings) {
          const to = facts.rules.mappedNames[imported];
          if (to && imported !== '*' && imported !== 'default') {
            mapped.push(to);
            if (to !== local) renames.set(local, to);
          } else if (usedInManual.has(local)) keep.push(local);
          else dropped.push(local);
        }
        const movedNames = [...imp.bindings.keys()].filter((l) => facts.rules.mappedNames[imp.bindings.get(l)!]);
        const parts: string[] = [];
        if (movedNames.length) parts.push(`${movedNames.join(', ')} now from ${facts.rules.target.module}`);
        if (dropped.length) parts.push(`${dropped.join(', ')} removed (no longer used)`);
        if (keep.length === 0) {
          const [s, e] = ownLines(facts.text, at, imp.decl.end);
          record(out, 'import', at, `\`${imp.specifier}\` import removed: ${parts.join('; ')}`, { start: s, end: e, text: '' });
        } else {
          const same = keep.length === imp.bindings.size;
          const clause = imp.decl.importClause;
          const named = clause?.namedBindings;
          // a kept name the port's generated helpers declare too (`retry_on_request as wrap_db_retry`
          // beside the generated `wrap_db_retry`) takes a free name, its uses with it
          const clashes = keep.filter((local) => helperNames().has(local));
          for (const local of clashes) renames.set(local, freeName(imp.bindings.get(local)!, local));
          const to = (local: string) => renames.get(local) ?? local;
          const elText = (el: ts.ImportSpecifier) => {
            if (!clashes.includes(el.name.text)) return el.getText(facts.sf);
            const imported = (el.propertyName ?? el.name).getText(facts.sf);
            return imported === to(el.name.text) ? imported : `${el.isTypeOnly ? 'type ' : ''}${imported} as ${to(el.name.text)}`;
          };
          // the kept names as the source wrote them: a default name, `func as sa_func`
          const els = named && ts.isNamedImports(named) ? named.elements.filter((el) => keep.includes(el.name.text)).map(elText) : [];
          const ns = named && ts.isNamespaceImport(named) && keep.includes(named.name.text) ? `* as ${to(named.name.text)}` : '';
          const bound = [clause?.name && keep.includes(clause.name.text) ? to(clause.name.text) : '', ns, els.length ? `{ ${els.join(', ')} }` : ''].filter(Boolean);
          const rebuilt = `import ${imp.typeOnly ? 'type ' : ''}${bound.join(', ')} from ${q}${imp.specifier}${q};`;
          const text = clashes.length ? rebuilt : same || !named || !ts.isNamedImports(named) ? imp.decl.getText(facts.sf) : rebuilt;
          out.manual.push({ node: imp.decl, pos: at, reason: `SQL import kept for manual code: ${keep.map(to).join(', ')}` });
          if (clashes.length) parts.push(`${clashes.map((l) => `${l} renamed ${to(l)}`).join(', ')} (the port declares a generated helper of that name)`);
          if (!same || clashes.length) record(out, 'import', at, `\`${imp.specifier}\` import ${same ? 'kept' : 'narrowed to'} ${keep.map(to).join(', ')} (used by manual code only): ${parts.join('; ')}`, { start: at, end: imp.decl.end, text });
        }
        continue;
      }
      if (imp.mappedTo) {
        const lit = imp.decl.moduleSpecifier;
        record(out, 'import', at, `\`${imp.specifier}\` → \`${imp.mappedTo}\` (rule pack import mapping)`, {
          start: lit.getStart(facts.sf),
          end: lit.end,
          text: `${q}${imp.mappedTo}${q}`,
        });
        continue;
      }
      if (!imp.specifier.startsWith('.')) continue;
      const names = [...imp.bindings.keys()];
      // a name whose every use was rewritten away (`db_api.get_session()` → `get_session()`) goes like a re-emitted one
      const unused = new Set(names.filter((n) => rewrittenAway.has(n)));
      const gone = names.filter((n) => reemitted.has(n) || unused.has(n));
      const goneWhy = (list: string[]) =>
        [
          list.some((n) => reemitted.has(n)) ? `${list.filter((n) => reemitted.has(n)).join(', ')} re-emitted in this module` : '',
          list.some((n) => !reemitted.has(n)) ? `${list.filter((n) => !reemitted.has(n)).join(', ')} no longer used (its uses were rewritten)` : '',
        ]
          .filter(Boolean)
          .join('; ');
      const kept = names.filter((n) => !gone.includes(n));
      const toPortedModels = !!ctx.portedModels && resolve(ctx.sourceDir, imp.specifier).replace(/\.[cm]?[jt]sx?$/, '') === ctx.portedModels;
      if (toPortedModels && kept.length > 0) {
        // the same specifier now names the models port beside the output: ROME entities
        record(out, 'import', at, `\`${imp.specifier}\` now imports the ported models (ROME entities, written beside this module by the models port)`);
        if (gone.length === 0) continue;
      }
      // a re-emitted name of the ported models' import goes; the rest stays imported from the port
      const target = toPortedModels ? imp.specifier : repoint(imp.specifier, ctx.sourceDir, ctx.outputDir);
      if (kept.length === 0 && gone.length > 0) {
        const [s, e] = ownLines(facts.text, at, imp.decl.end);
        record(out, 'import', at, `\`${imp.specifier}\` import removed: ${goneWhy(gone)}`, { start: s, end: e, text: '' });
        continue;
      }
      const clause = imp.decl.importClause;
      const goneDefault = !!clause?.name && gone.includes(clause.name.text);
      const goneNamespace = !!clause?.namedBindings && ts.isNamespaceImport(clause.namedBindings) && gone.includes(clause.namedBindings.name.text);
      if (clause && (goneDefault || goneNamespace)) {
        // a default name or a namespace goes (`import get_session, * as api`): the clause is
        // written again with what stays (the generated helper would be declared beside its import)
        const nb = clause.namedBindings;
        const rest = nb && ts.isNamedImports(nb) ? nb.elements.filter((el) => !gone.includes(el.name.text)).map((el) => el.getText(facts.sf)) : [];
        const parts = [clause.name && !goneDefault ? clause.name.text : '', nb && ts.isNamespaceImport(nb) && !goneNamespace ? nb.getText(facts.sf) : '', rest.length ? `{ ${rest.join(', ')} }` : ''].filter(Boolean);
        record(out, 'import', at, `${gone.join(', ')} no longer imported from \`${imp.specifier}\`: ${goneWhy(gone)}`, {
          start: clause.getStart(facts.sf),
          end: clause.end,
          text: `${clause.isTypeOnly ? 'type ' : ''}${parts.join(', ')}`,
        });
      } else if (gone.length > 0) {
        const named = imp.decl.importClause?.namedBindings;
        if (named && ts.isNamedImports(named)) {
          const els = named.elements.filter((el) => !reemitted.has(el.name.text) && !unused.has(el.name.text)).map((el) => el.getText(facts.sf));
          record(out, 'import', at, `${gone.join(', ')} no longer imported from \`${imp.specifier}\`: ${goneWhy(gone)}`, {
            start: named.getStart(facts.sf),
            end: named.end,
            text: `{ ${els.join(', ')} }`,
          });
        }
      }
      if (target !== imp.specifier) {
        const lit = imp.decl.moduleSpecifier;
        record(out, 'import', at, `\`${imp.specifier}\` re-pointed to \`${target}\` for the module's new folder`, { start: lit.getStart(facts.sf), end: lit.end, text: `${q}${target}${q}` });
      }
      if (/(^|\/)sqlalchemy(\/|$)/.test(target)) {
        const reason = /\/models$/.test(target)
          ? `imports the SQL models module ${target}: ROME needs ROME entities (port the models module)`
          : kept.length === 0
            ? `imports the SQL module ${target} for its side effects (e.g. a Query class installed into the SQL library): ROME does not use it, port that module or drop the import`
            : `imports ${kept.join(', ')} from the SQL module ${target}: port-db re-emits only the session factory and query helper; port the rest`;
        out.manual.push({ node: imp.decl, pos: at, reason });
      }
    }

    // names renamed on the way (Session → RomeSession), manual code included
    if (renames.size > 0) {
      // one record per name and top-level statement, so the function whose text changed says so
      const recorded = new Set<string>();
      referencesTo(facts, new Set(renames.keys()), (id) => {
        const s = id.getStart(facts.sf);
        if (inside(ctx.deleted, s, id.end)) return;
        const edit = { start: s, end: id.end, text: renames.get(id.text)! };
        let top: ts.Node = id;
        while (top.parent && !ts.isSourceFile(top.parent)) top = top.parent;
        const key = `${top.pos}:${id.text}`;
        if (recorded.has(key)) out.edits.push(edit);
        else {
          recorded.add(key);
          record(out, 'import', s, `\`${id.text}\` → \`${edit.text}\` (renamed with its import)`, edit);
        }
      });
    }

    // names reached through a namespace (`orm.relationship` → `relationship`)
    const recordedChains = new Set<string>();
    for (const { node, to } of chains) {
      const s = node.getStart(facts.sf);
      const edit = { start: s, end: node.end, text: to };
      mapped.push(to);
      let top: ts.Node = node;
      while (top.parent && !ts.isSourceFile(top.parent)) top = top.parent;
      const key = `${top.pos}:${node.getText(facts.sf)}`;
      if (recordedChains.has(key)) out.edits.push(edit);
      else {
        recordedChains.add(key);
        record(out, 'import', s, `\`${node.getText(facts.sf)}\` → \`${to}\` (${facts.rules.target.module}): the name the namespace reached`, edit);
      }
    }

    addTargetImport(facts, out, targetNames(facts, ctx, mapped), targetImports, firstSql);
    return out;
  },
};

/** Top-level names the generated helpers this port needs declare (`wrap_db_retry`, `RomeRetryOptions`, `get_session`, ...). */
function helperDeclarations(facts: ModuleFacts, ctx: RewriteContext): Set<string> {
  const ids = new Set(ctx.needs.flatMap((n) => (n.kind === 'helper' ? [n.id] : [])));
  const names = { session: importedHelpers(facts, 'session'), query: importedHelpers(facts, 'query') };
  const out = new Set<string>();
  for (const h of HELPERS) {
    if (!ids.has(h.id)) continue;
    for (const m of h.render(facts, names).matchAll(/^(?:export\s+)?(?:async\s+)?(?:function|const|let|var|class|interface|type|enum)\s+([A-Za-z_$][\w$]*)/gm)) out.add(m[1]);
  }
  return out;
}

/**
 * The names of relative imports whose every use was rewritten away (`db_api.get_session()` →
 * `get_session()`): used before, used nowhere outside the deleted ranges now. One walk for all.
 */
function unusedAfterRewrites(facts: ModuleFacts, deleted: Array<[number, number]>): Set<string> {
  const names = new Set(facts.imports.filter((i) => i.specifier.startsWith('.')).flatMap((i) => [...i.bindings.keys()]));
  const seen = new Set<string>();
  const used = new Set<string>();
  walk(facts.sf, (n) => {
    if (!ts.isIdentifier(n) || !names.has(n.text)) return;
    if (!isReference(n)) return;
    seen.add(n.text);
    if (!inside(deleted, n.getStart(facts.sf), n.end)) used.add(n.text);
  });
  return new Set([...seen].filter((n) => !used.has(n)));
}

/** The start of pos's line when only whitespace stands before pos on it; else pos. */
function lineStartIfBlank(text: string, pos: number): number {
  const s = text.lastIndexOf('\n', pos - 1) + 1;
  return text.slice(s, pos).trim() === '' ? s : pos;
}

/** The names an import binds as types only: every name of `import type`, or an element `type X` of an import of values. */
function typeOnlyNames(imp: ImportInfo): Set<string> {
  if (imp.typeOnly) return new Set(imp.bindings.keys());
  const named = imp.decl.importClause?.namedBindings;
  return new Set(named && ts.isNamedImports(named) ? named.elements.filter((el) => el.isTypeOnly).map((el) => el.name.text) : []);
}

/**
 * Imports the target names the port needs, as values (the generated `get_session` does `new
 * RomeSession()`): into a named import of values, else a line of their own. A name an existing
 * target import binds as a value is not imported again; one it binds as a type only is made a
 * value: `type` goes from its element (`import { type RomeSession, or_ }`), or it leaves its
 * `import type` (the import goes when nothing else is left in it) and comes with the missing names.
 */
function addTargetImport(facts: ModuleFacts, out: RewriteResult, names: string[], existing: ImportInfo[], firstSql: ImportInfo | undefined): void {
  const module = facts.rules.target.module;
  const have = new Set(existing.flatMap((i) => [...i.bindings.keys()].filter((n) => !typeOnlyNames(i).has(n))));
  const wanted = names.filter((n) => !have.has(n));
  if (wanted.length === 0) return;
  // the names go into a named import of values: a namespace, default or type-only import binds
  // none of them (`or_` would dangle, or be a type only)
  const named = existing.map((i) => !i.typeOnly && i.decl.importClause?.namedBindings).find((nb): nb is ts.NamedImports => !!nb && ts.isNamedImports(nb));
  const valueText = (el: ts.ImportSpecifier) => (el.propertyName ? `${el.propertyName.getText(facts.sf)} as ${el.name.text}` : el.name.text);
  // `type X` in an import of values: the element loses its `type` (in `named`, rewritten below)
  const untyped = new Set<string>();
  for (const imp of existing) {
    const nb = imp.decl.importClause?.namedBindings;
    if (imp.typeOnly || !nb || !ts.isNamedImports(nb)) continue;
    for (const el of nb.elements) {
      if (!el.isTypeOnly || !wanted.includes(el.name.text)) continue;
      untyped.add(el.name.text);
      if (nb !== named) record(out, 'import', imp.decl.getStart(facts.sf), `${el.name.text} imported as a value from ${module}, not as a type only: the port needs the value`, { start: el.getStart(facts.sf), end: el.end, text: valueText(el) });
    }
  }
  const missing = wanted.filter((n) => !untyped.has(n));
  // a name of an `import type`: out of it (the import goes when nothing is left in it), imported with the missing names
  for (const imp of existing) {
    const nb = imp.decl.importClause?.namedBindings;
    if (!imp.typeOnly || !nb || !ts.isNamedImports(nb)) continue;
    const moved = nb.elements.filter((el) => missing.includes(el.name.text));
    if (moved.length === 0) continue;
    const rest = nb.elements.filter((el) => !moved.includes(el));
    const at = imp.decl.getStart(facts.sf);
    const what = `${moved.map((el) => el.name.text).join(', ')} out of the type-only import of ${module}: the port needs ${moved.length > 1 ? 'them as values' : 'it as a value'}`;
    if (rest.length === 0 && !imp.decl.importClause?.name) {
      const [s, e] = ownLines(facts.text, at, imp.decl.end);
      record(out, 'import', at, what, { start: s, end: e, text: '' });
    } else {
      record(out, 'import', at, what, { start: nb.getStart(facts.sf), end: nb.end, text: `{ ${rest.map((el) => el.getText(facts.sf)).join(', ')} }` });
    }
  }
  const typedInNamed = named ? named.elements.filter((el) => el.isTypeOnly && untyped.has(el.name.text)) : [];
  if (named && (missing.length > 0 || typedInNamed.length > 0)) {
    const all = [...named.elements.map((e) => (typedInNamed.includes(e) ? valueText(e) : e.getText(facts.sf))), ...missing];
    const what = [missing.length ? `${missing.join(', ')} imported from ${module}` : '', typedInNamed.length ? `${typedInNamed.map((e) => e.name.text).join(', ')} imported as a value, not as a type only: the port needs the value` : '']
      .filter(Boolean)
      .join('; ');
    record(out, 'import', named.parent.parent.getStart(facts.sf), what, { start: named.getStart(facts.sf), end: named.end, text: `{ ${all.join(', ')} }` });
    return;
  }
  if (missing.length === 0) return;
  const q = firstSql ? quoteOf(facts, firstSql) : "'";
  const line = `import { ${missing.join(', ')} } from ${q}${module}${q};`;
  const anchor = firstSql?.decl ?? facts.imports[0]?.decl;
  // at the start of the anchor's line when only whitespace precedes it (indentation, a second
  // byte order mark): removing the anchor takes its whole line (ownLines), and an insertion at
  // the token would fall inside that removal
  const pos = anchor ? lineStartIfBlank(facts.text, anchor.getStart(facts.sf)) : 0;
  record(out, 'import', pos, `${missing.join(', ')} imported from ${module}`, { start: pos, end: pos, text: line + facts.eol });
}
