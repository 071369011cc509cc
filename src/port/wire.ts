import { readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { BACKEND, discoveryPath, findBackendMapping, iniSettings, switchSetting, type IniSetting } from '../analyzer/backend.js';
import { applyEdits } from '../analyzer/edits.js';
import { toPosix } from '../analyzer/specifiers.js';
import { walkTree } from '../tree.js';
import type { Edit } from '../rewriters/types.js';
import type { WiringReport } from '../report/model.js';

export type { WiringChange, WiringReport } from '../report/model.js';

/**
 * Backend wiring (issue 9): finds how the service selects its data-access backend and adds the
 * discovery backend beside the SQL one. Reads the dispatcher and the config files; the edits are
 * applied only with `--wire` (run.ts writes them with the port, atomically).
 */

export interface WiredFile {
  path: string;
  /** Path relative to the root. */
  rel: string;
  previous: string;
  content: string;
  /** The edits that make `content` of `previous`: modules that wire the same file share them (run.ts). */
  edits: Edit[];
}

const CONFIG = /\.(conf|ini|cfg)$/;
const MAX_CONFIG_BYTES = 1 << 20;

/** Config files below the root, sorted; unreadable folders are skipped (they only hold candidates). */
function configFiles(root: string): string[] {
  const found: string[] = [];
  walkTree(
    root,
    (path, entry) => {
      if (entry.isFile() && CONFIG.test(entry.name)) found.push(path);
      return false;
    },
    () => {},
  );
  return found;
}

/** A file's text; `NOT_TEXT` when it is there but not UTF-8 text (never edited); undefined when absent or too big. */
const NOT_TEXT = Symbol('not text');
function readText(path: string, maxBytes = Infinity): string | typeof NOT_TEXT | undefined {
  try {
    const st = statSync(path);
    if (!st.isFile() || st.size > maxBytes) return undefined;
    const text = readFileSync(path, 'utf8');
    return text.includes('\u0000') || text.includes('\ufffd') ? NOT_TEXT : text;
  } catch {
    return undefined;
  }
}

/** A config file below the root, read once per run (a tree of many modules shares its configs). */
export interface ConfigFile {
  path: string;
  text: string;
  settings: IniSetting[];
}

/** `a/b/c` ends with `b/c` at a segment boundary, or the other way round, sharing at least `db/sqlalchemy/api`. */
function sameModule(value: string, moduleRel: string): boolean {
  const a = value.replace(/\.[cm]?[jt]s$/, '').split(/[./]/).filter(Boolean);
  const b = moduleRel.replace(/\.ts$/, '').split('/');
  let n = 0;
  while (n < a.length && n < b.length && a[a.length - 1 - n] === b[b.length - 1 - n]) n++;
  return n >= 3 && (n === a.length || n === b.length);
}

/**
 * Plans the wiring of one module. `sourcePath` is the SQL module (`<pkg>/db/sqlalchemy/api.ts`);
 * `apply` says whether the edits will be written (`--wire`): it only changes the status.
 */
export function planWiring(root: string, sourcePath: string, apply: boolean, cache = new Map<string, ConfigFile[]>()): { report: WiringReport; files: WiredFile[] } {
  const rel = (p: string) => toPosix(relative(root, p));
  const moduleRel = rel(sourcePath);
  const dbDir = dirname(dirname(sourcePath));
  // the folders above db/ name the service (nova, or nova/cells): its config files name one of them
  const pkgs = moduleRel.split('/').slice(0, -4);
  const edits = new Map<string, { text: string; edits: Array<{ edit: Edit; detail: string }> }>();
  const add = (path: string, text: string, edit: Edit, detail: string) => {
    const entry = edits.get(path) ?? { text, edits: [] };
    entry.edits.push({ edit, detail });
    edits.set(path, entry);
  };
  const configs = (): ConfigFile[] => {
    let found = cache.get(root);
    if (!found) {
      found = configFiles(root).flatMap((path) => {
        const text = readText(path, MAX_CONFIG_BYTES);
        return typeof text !== 'string' ? [] : [{ path, text, settings: iniSettings(text) }];
      });
      cache.set(root, found);
    }
    return found;
  };
  const ofService = (path: string) => pkgs.length === 0 || pkgs.some((p) => rel(path).split('/').includes(p) || basename(path).startsWith(p));
  // what was found; the status follows from it at the end
  const report: Omit<WiringReport, 'status' | 'backend'> = { changes: [] };

  // 1. a backend mapping in db/api.ts (or db/index.ts)
  const unreadable: string[] = [];
  for (const name of ['api.ts', 'index.ts']) {
    const path = join(dbDir, name);
    const text = readText(path);
    if (text === NOT_TEXT) unreadable.push(rel(path));
    if (typeof text !== 'string') continue;
    const mapping = findBackendMapping(rel(path), text);
    if (!mapping) continue;
    report.dispatcher = { kind: 'mapping', file: rel(path), line: mapping.line, name: mapping.name };
    const todo: string[] = [];
    if (!mapping.wired && mapping.edit) {
      if (mapping.importEdit) add(path, text, mapping.importEdit, `imports the discovery module for the \`${BACKEND}\` entry`);
      add(path, text, mapping.edit, `adds \`${mapping.entry}\` beside the \`${mapping.sqlKey}\` entry of ${mapping.name}`);
    } else if (!mapping.wired) {
      todo.push(`add a \`${BACKEND}\` entry beside \`${mapping.sqlKey}\` in ${mapping.name} (${rel(path)}:${mapping.line}) that loads ${discoveryPath(moduleRel.replace(/\.ts$/, ''))}`);
    }
    // the setting that selects the backend: switched where a config file of the service holds it
    const key = mapping.setting?.key ?? 'backend';
    const selects = (s: IniSetting) => s.key === key && (!mapping.setting?.section || s.section === mapping.setting.section);
    const where = mapping.setting?.section ? `[${mapping.setting.section}] ${key}` : key;
    let selected = false;
    for (const c of configs().filter((c) => ofService(c.path))) {
      for (const s of c.settings.filter(selects)) {
        if (s.value === BACKEND) selected = true;
        else if (s.value === mapping.sqlKey) {
          add(c.path, c.text, switchSetting(s, BACKEND, c.text), `selects the ${BACKEND} backend (\`${where} = ${BACKEND}\`); the SQL setting stays as a comment above it`);
          report.switchBack = `set \`${where} = ${mapping.sqlKey}\` in ${rel(c.path)} (the commented line above the setting)`;
          selected = true;
        }
      }
    }
    if (!selected) todo.push(`set \`${where} = ${BACKEND}\` in the service's configuration to switch (no config file under the root sets it)`);
    report.switchBack ??= `set \`${where} = ${mapping.sqlKey}\``;
    if (todo.length) report.todo = todo.join('; ');
    break;
  }

  // 2. a setting whose value names the SQL module (Glance's data_api)
  if (!report.dispatcher) {
    for (const c of configs()) {
      for (const s of c.settings) {
        const target = discoveryPath(s.value);
        if (sameModule(s.value, moduleRel) && target) {
          report.dispatcher ??= { kind: 'setting', file: rel(c.path), line: s.line, name: `[${s.section}] ${s.key}` };
          add(c.path, c.text, switchSetting(s, target, c.text), `selects the discovery module (\`${s.key} = ${target}\`); the SQL setting stays as a comment above it`);
          report.switchBack = `set \`${s.key} = ${s.value}\` in ${rel(c.path)} (the commented line above the setting)`;
        } else if (s.value.includes(BACKEND) && sameModule(s.value.replace(BACKEND, 'sqlalchemy'), moduleRel)) {
          report.dispatcher ??= { kind: 'setting', file: rel(c.path), line: s.line, name: `[${s.section}] ${s.key}` };
        }
      }
    }
  }

  if (!report.dispatcher) {
    const target = discoveryPath(moduleRel.replace(/\.ts$/, ''))!;
    // a dispatcher that is not UTF-8 text is never edited, and the todo says why it was not looked into
    const skipped = unreadable.map((f) => `${f} is not UTF-8 text, so port-db did not look into it; `).join('');
    report.todo =
      skipped +
      `no backend dispatcher found (looked for a mapping with a \`sqlalchemy\` entry in ${rel(join(dbDir, 'api.ts'))} or ${rel(join(dbDir, 'index.ts'))}, ` +
      `and for a setting naming ${moduleRel.replace(/\.ts$/, '')} in *.conf, *.ini or *.cfg files under the root). ` +
      `To switch by hand, register ${target} as a backend beside ${moduleRel.replace(/\.ts$/, '')} where the service selects it: ` +
      `e.g. add \`${BACKEND}: () => import('./${BACKEND}/api')\` beside the \`sqlalchemy\` entry of a backend mapping, or point the backend setting at ${target}; ` +
      `keep the SQL backend, so that switching back is one setting`;
  }

  const files: WiredFile[] = [];
  for (const [path, { text, edits: list }] of [...edits].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const { output } = applyEdits(text, list.map((e) => e.edit));
    files.push({ path, rel: rel(path), previous: text, content: output, edits: list.map((e) => e.edit) });
    for (const e of list) {
      const lineStart = text.lastIndexOf('\n', e.edit.start - 1) + 1;
      const lineEnd = text.indexOf('\n', e.edit.end) < 0 ? text.length : text.indexOf('\n', e.edit.end);
      const before = text.slice(lineStart, lineEnd);
      const after = applyEdits(before, [{ ...e.edit, start: e.edit.start - lineStart, end: e.edit.end - lineStart }]).output;
      report.changes.push({ file: rel(path), line: lineOf(text, e.edit.start), detail: e.detail, before, after });
    }
  }
  const status: WiringReport['status'] = !report.dispatcher ? 'not-found' : files.length === 0 ? (report.todo ? 'manual' : 'wired') : apply ? 'applied' : 'proposed';
  // keys in reading order: port-report.json is read by people too
  const { dispatcher, changes, switchBack, todo } = report;
  return { report: { status, backend: BACKEND, dispatcher, changes, switchBack, todo }, files };
}

/**
 * Several modules of one service may wire the same file (Nova's main and api databases share
 * nova.conf): their edits are applied together, once. The same edit from two modules (both switch
 * one setting) counts once; different edits of the same text are a conflict (undefined).
 */
export function combineWiring(previous: string, sets: Edit[][]): string | undefined {
  const seen = new Map<string, Edit>();
  for (const e of sets.flat()) seen.set(`${e.start}:${e.end}:${e.text}`, e);
  const edits = [...seen.values()].sort((a, b) => a.start - b.start || a.end - b.end);
  for (let i = 1; i < edits.length; i++) {
    const [a, b] = [edits[i - 1], edits[i]];
    if (b.start < a.end || (b.start === a.start && (a.end > a.start || b.end > b.start))) return undefined;
  }
  return applyEdits(previous, edits).output;
}

const lineOf = (text: string, pos: number) => text.slice(0, pos).split('\n').length;
