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
  columns: Map<string, { type: string }>;
  primaryKey: string[];
  /** The soft-delete column, when the model has one. */
  softDelete?: string;
  uniqueKeys: UniqueKey[];
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

/** The catalog of a models module already parsed. */
export function catalogOf(sf: ts.SourceFile): ModelCatalog {
  const catalog: ModelCatalog = new Map();
  for (const st of sf.statements) {
    if (!ts.isClassDeclaration(st) || !st.name) continue;
    const info: ModelInfo = { className: st.name.text, table: '', columns: new Map(), primaryKey: [], uniqueKeys: [] };
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
      } else if (ts.isCallExpression(init) && calleeName(init) === 'Column') {
        const type = init.arguments[0] ? init.arguments[0].getText(sf).replace(/\(.*$/s, '') : 'unknown';
        info.columns.set(name, { type });
        const opts = optionsOf(init);
        if (opts.get('primary_key')?.kind === ts.SyntaxKind.TrueKeyword) info.primaryKey.push(name);
        // `Column(T, { unique: true })` is a unique constraint on that one column
        if (opts.get('unique')?.kind === ts.SyntaxKind.TrueKeyword) info.uniqueKeys.push({ name: `${name} (unique column)`, columns: [name], amongLive: false });
      }
    }
    if (!info.table) continue;
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
