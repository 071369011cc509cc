import ts from '../ts.cjs';
import type { Edit } from './edits.js';
import { parseModule } from './parse.js';

/**
 * How a service selects its data-access backend, and the edits that add the discovery backend
 * beside the SQL one (issue 9). Pure: texts in, facts and edits out; nothing is read or written here.
 *
 * Two shapes are recognised, after the services port-db was made for:
 * - a backend mapping in `db/api.ts` (Nova: `{ sqlalchemy: () => import('./sqlalchemy/api') }`,
 *   indexed by a setting such as `CONF.database.backend`): a `discovery` entry is added beside the
 *   `sqlalchemy` one, and the setting, where a config file holds it, is switched to `discovery`;
 * - a setting whose value names the SQL module (Glance: `data_api = glance.db.sqlalchemy.api`):
 *   switched to the discovery module.
 * The SQL backend is never removed: the old setting stays as a comment, so switching back is one line.
 */

export const BACKEND = 'discovery';

export interface BackendMapping {
  /** The variable holding the mapping, e.g. `_BACKEND_MAPPING` (or `(object literal)`). */
  name: string;
  line: number;
  /** The key the SQL backend is registered under, as written (`sqlalchemy`). */
  sqlKey: string;
  /** The mapping already has a `discovery` entry. */
  wired: boolean;
  /** The setting the mapping is indexed with (`CONF.database.backend` → database/backend), when it is one. */
  setting?: { section?: string; key: string };
  /** The edit that adds the discovery entry; undefined when the SQL entry's value is not understood. */
  edit?: Edit;
  /** The import the entry needs, when the SQL entry is a namespace import. */
  importEdit?: Edit;
  /** What the added entry is, for the report. */
  entry?: string;
}

const SQL_KEY = /^sqlalchemy$/i;
/** A module path that names the SQL api module: `./sqlalchemy/api`, `nova.db.sqlalchemy.api`, `../db/sqlalchemy/api.js`. */
const SQL_PATH = /(^|[./])sqlalchemy([./]api(?:\.[cm]?[jt]s)?)$/;

/** The discovery twin of a module path that names the SQL module, or undefined. */
export function discoveryPath(path: string): string | undefined {
  return SQL_PATH.test(path) ? path.replace(SQL_PATH, `$1${BACKEND}$2`) : undefined;
}

const propName = (p: ts.ObjectLiteralElementLike): string | undefined =>
  p.name && (ts.isIdentifier(p.name) || ts.isStringLiteral(p.name)) ? p.name.text : undefined;

/**
 * Finds the backend mapping in a dispatcher module (`db/api.ts`): an object with a `sqlalchemy`
 * entry. Throws a SourceError (exit 2) at `fileName`:line when the module does not parse.
 */
export function findBackendMapping(fileName: string, text: string): BackendMapping | undefined {
  // a dispatcher that does not parse is bad input: its mapping could be missed, or edited wrongly
  const sf = parseModule(fileName, text);
  let found: ts.ObjectLiteralExpression | undefined;
  const visit = (node: ts.Node): void => {
    if (found) return;
    if (ts.isObjectLiteralExpression(node) && node.properties.some((p) => SQL_KEY.test(propName(p) ?? '') && ts.isPropertyAssignment(p) && refersToSqlModule(p.initializer, sf))) {
      found = node;
      return;
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  if (!found) return undefined;
  const object = found;
  const entry = object.properties.find((p) => SQL_KEY.test(propName(p) ?? '')) as ts.PropertyAssignment;
  const name = ts.isVariableDeclaration(object.parent) && ts.isIdentifier(object.parent.name) ? object.parent.name.text : '(object literal)';
  const line = sf.getLineAndCharacterOfPosition(entry.getStart(sf)).line + 1;
  const mapping: BackendMapping = {
    name,
    line,
    sqlKey: propName(entry)!,
    wired: object.properties.some((p) => propName(p) === BACKEND),
    setting: name === '(object literal)' ? undefined : settingIndexing(sf, name),
  };
  if (mapping.wired) return mapping;
  const value = discoveryValue(entry.initializer, sf);
  if (!value) return mapping;
  // the new entry goes on its own line below the SQL one, with the same indent and a trailing comma
  const lineStart = text.lastIndexOf('\n', entry.getStart(sf) - 1) + 1;
  const indent = /^[ \t]*/.exec(text.slice(lineStart))![0];
  // the offset after the entry's own comma, when it has one (blanks may come between)
  const ownComma = /\s*,/y;
  ownComma.lastIndex = entry.end;
  const comma = ownComma.test(text) ? ownComma.lastIndex : -1;
  const entryText = `${BACKEND}: ${value.text}`;
  const sameLine = text.slice(lineStart, entry.getStart(sf)).trim() !== '';
  mapping.entry = entryText;
  mapping.importEdit = value.importEdit;
  mapping.edit =
    comma >= 0
      ? { start: comma, end: comma, text: sameLine ? ` ${entryText},` : `\n${indent}${entryText},` }
      : { start: entry.end, end: entry.end, text: sameLine ? `, ${entryText}` : `,\n${indent}${entryText}` };
  return mapping;
}

/** The value is (or loads) the SQL module: a path string, a function importing that path, or a namespace imported from it. */
function refersToSqlModule(value: ts.Expression, sf: ts.SourceFile): boolean {
  let hit = false;
  const visit = (node: ts.Node): void => {
    if (hit) return;
    if ((ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) && SQL_PATH.test(node.text)) hit = true;
    else if (ts.isIdentifier(node) && namespaceImport(sf, node.text)) hit = true;
    else ts.forEachChild(node, visit);
  };
  visit(value);
  return hit;
}

/** `import * as name from '<sql module>'` in the file. */
function namespaceImport(sf: ts.SourceFile, name: string): ts.ImportDeclaration | undefined {
  return sf.statements.find(
    (s): s is ts.ImportDeclaration =>
      ts.isImportDeclaration(s) &&
      !s.importClause?.isTypeOnly &&
      ts.isStringLiteral(s.moduleSpecifier) &&
      SQL_PATH.test(s.moduleSpecifier.text) &&
      !!s.importClause?.namedBindings &&
      ts.isNamespaceImport(s.importClause.namedBindings) &&
      s.importClause.namedBindings.name.text === name,
  );
}

/** The discovery entry's value: the SQL entry's text with its module path swapped (and an import when it names a namespace). */
function discoveryValue(value: ts.Expression, sf: ts.SourceFile): { text: string; importEdit?: Edit } | undefined {
  if (ts.isIdentifier(value)) {
    const decl = namespaceImport(sf, value.text);
    if (!decl) return undefined;
    const spec = decl.moduleSpecifier as ts.StringLiteral;
    const alias = /sqlalchemy/i.test(value.text) ? value.text.replace(/sqlalchemy/i, BACKEND) : `${BACKEND}_api`;
    const quote = sf.text[spec.getStart(sf)];
    return { text: alias, importEdit: { start: decl.end, end: decl.end, text: `\nimport * as ${alias} from ${quote}${discoveryPath(spec.text)}${quote};` } };
  }
  // swap the path in every string that names the SQL module, keep the rest of the text as written
  const start = value.getStart(sf);
  let text = sf.text.slice(start, value.end);
  const strings: ts.StringLiteralLike[] = [];
  const visit = (node: ts.Node): void => {
    if ((ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) && SQL_PATH.test(node.text)) strings.push(node);
    else ts.forEachChild(node, visit);
  };
  visit(value);
  if (strings.length === 0) return undefined;
  for (const s of strings.reverse()) {
    const from = s.getStart(sf) - start;
    const to = s.end - start;
    const quote = text[from];
    text = text.slice(0, from) + quote + discoveryPath(s.text) + quote + text.slice(to);
  }
  return { text };
}

/** `MAPPING[CONF.database.backend]` → { section: 'database', key: 'backend' }; `MAPPING[CONF.backend]` → { key: 'backend' }. */
function settingIndexing(sf: ts.SourceFile, mapping: string): BackendMapping['setting'] {
  let setting: BackendMapping['setting'];
  const visit = (node: ts.Node): void => {
    if (setting) return;
    if (ts.isElementAccessExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === mapping) {
      const parts: string[] = [];
      let e: ts.Expression = node.argumentExpression;
      while (ts.isPropertyAccessExpression(e)) {
        parts.unshift(e.name.text);
        e = e.expression;
      }
      if (ts.isIdentifier(e) && parts.length >= 1 && parts.length <= 2) setting = parts.length === 2 ? { section: parts[0], key: parts[1] } : { key: parts[0] };
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return setting;
}

/** One `key = value` line of an INI file (oslo.config's format). */
export interface IniSetting {
  section: string;
  key: string;
  value: string;
  line: number;
  /** Offsets of the whole line, without its newline. */
  start: number;
  end: number;
}

/** The settings of an INI file, in order. Comments (`#`, `;`) and continuation lines are skipped. */
export function iniSettings(text: string): IniSetting[] {
  const out: IniSetting[] = [];
  let section = 'DEFAULT';
  let start = 0;
  let line = 0;
  while (start <= text.length) {
    const nl = text.indexOf('\n', start);
    const end = nl < 0 ? text.length : nl;
    const raw = text.slice(start, end).replace(/\r$/, '');
    line++;
    const header = /^\s*\[([^\]]+)\]\s*$/.exec(raw);
    const setting = /^([A-Za-z0-9_.-]+)\s*[=:]\s*(.*?)\s*$/.exec(raw);
    if (header) section = header[1].trim();
    else if (setting) out.push({ section, key: setting[1], value: setting[2], line, start, end: start + raw.length });
    if (nl < 0) break;
    start = nl + 1;
  }
  return out;
}

/**
 * Switches one setting to a new value; the old line stays above it as a comment, so switching back
 * is one line.
 */
export function switchSetting(s: IniSetting, value: string, text: string): Edit {
  const old = text.slice(s.start, s.end);
  const eq = /\s*[=:]\s*/.exec(old)!;
  return { start: s.start, end: s.end, text: `# ${old.trim()}  (the SQL backend: restore this line to switch back)\n${s.key}${eq[0]}${value}` };
}
