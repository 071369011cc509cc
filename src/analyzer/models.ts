import ts from '../ts.cjs';
import { parseModule } from './parse.js';
import { calleeName } from './chains.js';

/** A unique key: its columns, and whether soft-deleted rows are outside it. */
export interface UniqueKey {
  name?: string;
  columns: string[];
  /** `deleted` (or `deleted_at`) is one of the columns: unique among rows not deleted. */
  amongLive: boolean;
  /** The primary key, unique only when the saved values may carry it (a client-chosen id). */
  primary?: boolean;
}

export interface ModelInfo {
  className: string;
  table: string;
  /** Every static member of the class (columns, relationships, ...) and its inherited columns: what `filter_by` may name. */
  attributes?: Set<string>;
  /** Methods the model and its local bases define (`CinderBase.delete({ session })` overrides ROME's). */
  methods?: Set<string>;
  /** Each of those methods with the class or mixin that defines the one the model runs (`delete` → `GlanceBase`). */
  methodOwners?: Map<string, string>;
  /** Own and inherited columns; `primary`: part of the primary key. */
  columns: Map<string, { type: string; primary?: boolean }>;
  primaryKey: string[];
  /** The soft-delete column, when the model has one. */
  softDelete?: string;
  uniqueKeys: UniqueKey[];
  /** Its own relationships (`static x = relationship('Target', { primaryjoin })`), in declaration order. */
  relationships?: RelationshipInfo[];
}

/** A relationship a model declares; `primaryjoin` as written (a string), `undefined` when none, `null` when not a string. */
export interface RelationshipInfo {
  key: string;
  target: string;
  primaryjoin?: string | null;
  secondary?: boolean;
  backref?: string;
}

export type ModelCatalog = Map<string, ModelInfo>;

const SOFT_DELETE = ['deleted', 'deleted_at'];

function stringArgs(call: ts.CallExpression): string[] {
  return call.arguments.filter(ts.isStringLiteralLike).map((a) => a.text);
}

function optionsOf(call: ts.CallExpression): Map<string, ts.Expression> {
  const out = new Map<string, ts.Expression>();
  for (const a of call.arguments) {
    if (!ts.isObjectLiteralExpression(a)) continue;
    for (const p of a.properties) if (ts.isPropertyAssignment(p)) out.set(p.name.getText(), p.initializer);
  }
  return out;
}

/**
 * Reads a models module (DESIGN §8): per class its table, columns, primary key, soft-delete
 * column and unique keys — UniqueConstraint(...), Index(..., { unique: true }), and any
 * constraint or index named `uniq_...` (Nova's convention: its migrations create them unique).
 */
export function readModels(file: string, text: string): ModelCatalog {
  return catalogOf(parseModule(file, text));
}

/**
 * Columns oslo.db's mixins declare (oslo_db/sqlalchemy/models.py): a model that extends them has
 * these columns although its own class body does not name them.
 */
const LIBRARY_MIXINS: Record<string, Record<string, string>> = {
  TimestampMixin: { created_at: 'DateTime', updated_at: 'DateTime' },
  SoftDeleteMixin: { deleted_at: 'DateTime', deleted: 'Integer' },
};

/** The class members of a class declaration or of the class a mixin function returns. */
type Members = ts.NodeArray<ts.ClassElement>;

/** The catalog of a models module already parsed. */
export function catalogOf(sf: ts.SourceFile): ModelCatalog {
  const catalog: ModelCatalog = new Map();
  const classes = localClasses(sf);
  const inherited = (heritage: ts.Expression | undefined, seen: Set<string>): Map<string, { type: string; primary?: boolean }> => {
    const out = new Map<string, { type: string; primary?: boolean }>();
    const visit = (e: ts.Node): void => {
      if (ts.isIdentifier(e) || ts.isPropertyAccessExpression(e)) {
        const name = ts.isIdentifier(e) ? e.text : e.name.text;
        const local = classes.get(name);
        if (local && !seen.has(name)) {
          seen.add(name);
          for (const [col, info] of inherited(local.heritage, seen)) out.set(col, info);
          for (const [col, info] of ownColumns(sf, local.members)) out.set(col, info);
        } else if (!local && name in LIBRARY_MIXINS) {
          for (const [col, type] of Object.entries(LIBRARY_MIXINS[name])) out.set(col, { type });
        }
        return;
      }
      // `SoftDeleteMixin(TimestampMixin(ModelBase))`: innermost base first, so outer mixins win
      if (ts.isCallExpression(e)) {
        e.arguments.forEach(visit);
        visit(e.expression);
      }
    };
    if (heritage) visit(heritage);
    return out;
  };
  for (const st of sf.statements) {
    if (!ts.isClassDeclaration(st) || !st.name) continue;
    const info: ModelInfo = { className: st.name.text, table: '', columns: inherited(classes.get(st.name.text)!.heritage, new Set([st.name.text])), primaryKey: [], uniqueKeys: [] };
    for (const m of st.members) {
      if (!ts.isPropertyDeclaration(m) || !m.initializer || !ts.isIdentifier(m.name)) continue;
      const name = m.name.text;
      const init = m.initializer;
      if (name === '__tablename__' && ts.isStringLiteralLike(init)) info.table = init.text;
      else if (name === '__table_args__' && ts.isArrayLiteralExpression(init)) {
        for (const el of init.elements) {
          if (!ts.isCallExpression(el)) continue;
          const kind = calleeName(el) ?? '';
          const opts = optionsOf(el);
          const nameOpt = opts.get('name');
          if (kind === 'UniqueConstraint') {
            const constraintName = nameOpt && ts.isStringLiteralLike(nameOpt) ? nameOpt.text : undefined;
            const columns = stringArgs(el);
            info.uniqueKeys.push({ name: constraintName, columns, amongLive: columns.some((c) => SOFT_DELETE.includes(c)) });
          } else if (kind === 'Index') {
            const [indexName, ...columns] = stringArgs(el);
            const unique = opts.get('unique')?.kind === ts.SyntaxKind.TrueKeyword || (indexName ?? '').startsWith('uniq_');
            if (unique) info.uniqueKeys.push({ name: indexName, columns, amongLive: columns.some((c) => SOFT_DELETE.includes(c)) });
          }
        }
      } else if (ts.isCallExpression(init) && calleeName(init) === 'relationship') {
        const [target] = init.arguments;
        const targetName = !target ? undefined : ts.isStringLiteralLike(target) ? target.text : ts.isIdentifier(target) ? target.text : ts.isPropertyAccessExpression(target) ? target.name.text : undefined;
        if (targetName) {
          const opts = optionsOf(init);
          const join = opts.get('primaryjoin');
          const backref = opts.get('backref');
          (info.relationships ??= []).push({
            key: name,
            target: targetName,
            ...(join ? { primaryjoin: stringValue(join) ?? null } : {}),
            ...(opts.has('secondary') ? { secondary: true } : {}),
            ...(backref && ts.isStringLiteralLike(backref) ? { backref: backref.text } : {}),
          });
        }
      } else if (ts.isCallExpression(init) && calleeName(init) === 'Column') {
        const opts = optionsOf(init);
        const primary = opts.get('primary_key')?.kind === ts.SyntaxKind.TrueKeyword;
        info.columns.set(name, primary ? { type: columnType(sf, init), primary } : { type: columnType(sf, init) });
        if (primary) info.primaryKey.push(name);
        // `Column(T, { unique: true })` is a unique constraint on that one column
        if (opts.get('unique')?.kind === ts.SyntaxKind.TrueKeyword) info.uniqueKeys.push({ name: `${name} (unique column)`, columns: [name], amongLive: false });
      }
    }
    if (!info.table) continue;
    info.methodOwners = methodsOf(classes, st.name.text, new Set());
    info.methods = new Set(info.methodOwners.keys());
    info.attributes = new Set([...info.columns.keys(), ...st.members.filter((m) => ts.isPropertyDeclaration(m) && ts.isIdentifier(m.name)).map((m) => (m.name as ts.Identifier).text)]);
    // a primary key declared by a base class (`id` on the project's base model)
    if (info.primaryKey.length === 0) info.primaryKey = [...info.columns].filter(([, c]) => c.primary).map(([name]) => name);
    info.softDelete = SOFT_DELETE.find((c) => info.columns.has(c));
    // a `uniq_`-named UniqueConstraint is already a unique key; keep one entry per column set
    const seen = new Set<string>();
    info.uniqueKeys = info.uniqueKeys.filter((k) => !seen.has(k.columns.join()) && !!seen.add(k.columns.join()));
    // an id that is not an integer counter is chosen by the client: on ROME a duplicate overwrites
    if (info.primaryKey.length > 0 && info.primaryKey.every((c) => info.columns.get(c)?.type !== 'Integer')) {
      info.uniqueKeys.unshift({ name: 'primary key', columns: [...info.primaryKey], amongLive: false, primary: true });
    }
    catalog.set(info.className, info);
  }
  return catalog;
}

/** A string literal or a concatenation of them (`'and_(' + 'A.x == B.y, ' + 'B.deleted == 0)'`). */
function stringValue(e: ts.Expression): string | undefined {
  if (ts.isStringLiteralLike(e)) return e.text;
  if (ts.isParenthesizedExpression(e)) return stringValue(e.expression);
  if (ts.isBinaryExpression(e) && e.operatorToken.kind === ts.SyntaxKind.PlusToken) {
    const l = stringValue(e.left);
    const r = l === undefined ? undefined : stringValue(e.right);
    return r === undefined ? undefined : l! + r;
  }
  return undefined;
}

function columnType(sf: ts.SourceFile, column: ts.CallExpression): string {
  return column.arguments[0] ? column.arguments[0].getText(sf).replace(/\(.*$/s, '') : 'unknown';
}

function ownColumns(sf: ts.SourceFile, members: Members): Map<string, { type: string; primary?: boolean }> {
  const out = new Map<string, { type: string; primary?: boolean }>();
  for (const m of members) {
    if (ts.isPropertyDeclaration(m) && m.initializer && ts.isIdentifier(m.name) && ts.isCallExpression(m.initializer) && calleeName(m.initializer) === 'Column') {
      const primary = optionsOf(m.initializer).get('primary_key')?.kind === ts.SyntaxKind.TrueKeyword;
      out.set(m.name.text, primary ? { type: columnType(sf, m.initializer), primary } : { type: columnType(sf, m.initializer) });
    }
  }
  return out;
}

/**
 * The module's classes and mixins by name: `class X extends B {}`, and a mixin function
 * `function M(Base) { return class extends Base {...} }` or `const M = (Base) => class extends Base {...}`.
 */
function localClasses(sf: ts.SourceFile): Map<string, { heritage?: ts.Expression; members: Members }> {
  const out = new Map<string, { heritage?: ts.Expression; members: Members }>();
  const extendsOf = (c: ts.ClassLikeDeclaration) => c.heritageClauses?.find((h) => h.token === ts.SyntaxKind.ExtendsKeyword)?.types[0]?.expression;
  const returnedClass = (fn: ts.Node | undefined): ts.ClassExpression | undefined => {
    if (!fn || !(ts.isFunctionDeclaration(fn) || ts.isArrowFunction(fn) || ts.isFunctionExpression(fn)) || !fn.body) return undefined;
    if (ts.isClassExpression(fn.body)) return fn.body;
    if (ts.isParenthesizedExpression(fn.body) && ts.isClassExpression(fn.body.expression)) return fn.body.expression;
    if (!ts.isBlock(fn.body)) return undefined;
    for (const st of fn.body.statements) if (ts.isReturnStatement(st) && st.expression && ts.isClassExpression(st.expression)) return st.expression;
    return undefined;
  };
  for (const st of sf.statements) {
    if (ts.isClassDeclaration(st) && st.name) out.set(st.name.text, { heritage: extendsOf(st), members: st.members });
    const mixin = ts.isFunctionDeclaration(st) && st.name ? { name: st.name.text, cls: returnedClass(st) } : undefined;
    if (mixin?.cls) out.set(mixin.name, { heritage: undefined, members: mixin.cls.members });
    if (ts.isVariableStatement(st)) {
      for (const d of st.declarationList.declarations) {
        const cls = d.initializer && ts.isClassExpression(d.initializer) ? d.initializer : returnedClass(d.initializer);
        if (ts.isIdentifier(d.name) && cls) out.set(d.name.text, { heritage: cls === d.initializer ? extendsOf(cls) : undefined, members: cls.members });
      }
    }
  }
  return out;
}

/**
 * Method names of a local class and of the local classes and mixins it is built on, each with the
 * class that defines the one an instance runs (its own first, then the nearest base).
 */
function methodsOf(classes: Map<string, { heritage?: ts.Expression; members: Members }>, name: string, seen: Set<string>): Map<string, string> {
  const out = new Map<string, string>();
  const cls = classes.get(name);
  if (!cls || seen.has(name)) return out;
  seen.add(name);
  for (const m of cls.members) if (ts.isMethodDeclaration(m) && ts.isIdentifier(m.name)) out.set(m.name.text, name);
  // `Outer(Inner(Base))`: the outer mixin's class extends the inner one, so its methods win
  const visit = (e: ts.Node): void => {
    if (ts.isIdentifier(e)) {
      for (const [m, owner] of methodsOf(classes, e.text, seen)) if (!out.has(m)) out.set(m, owner);
    } else if (ts.isCallExpression(e)) {
      visit(e.expression);
      e.arguments.forEach(visit);
    }
  };
  if (cls.heritage) visit(cls.heritage);
  return out;
}
