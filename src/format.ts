import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import ts from './ts.cjs';

/** Formats one top-level statement of TypeScript; throws when it cannot. */
export type FormatCode = (code: string) => string;

/** Code port-db wrote that stays as port-db wrote it, and why (the port is kept either way). */
export interface FormatFailure {
  /** The statement's first line in the output; absent when nothing could be formatted (no prettier, a bad config). */
  outputLine?: number;
  message: string;
}

export interface FormattedOutput {
  output: string;
  /** Where an offset of the unformatted output lands in the formatted one. */
  mapOffset: (pos: number) => number;
  failures: FormatFailure[];
}

/** A statement replaced by its formatted text, with the tokens that tie the two texts together. */
interface Chunk {
  start: number;
  end: number;
  text: string;
  /** Output offset of the chunk's new text. */
  at: number;
  from: Array<[number, number]>;
  to: Array<[number, number]>;
}

/**
 * Formats the top-level statements of `output` that are not in `source` (what port-db wrote or
 * changed: changed functions, the generated helpers, changed imports); every other statement and
 * everything between statements stays byte for byte. A statement the formatter refuses stays as
 * written and is returned as a failure. `eol` is the file's line break: formatted code takes it.
 */
export function formatWritten(source: ts.SourceFile, output: string, eol: string, format: FormatCode): FormattedOutput {
  const sf = ts.createSourceFile(source.fileName, output, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const copies = new Map<string, number>();
  for (const st of source.statements) copies.set(st.getText(source), (copies.get(st.getText(source)) ?? 0) + 1);
  const chunks: Chunk[] = [];
  const failures: Array<{ pos: number; message: string }> = [];
  let shift = 0;
  for (const st of sf.statements) {
    const start = st.getStart(sf);
    const text = output.slice(start, st.end);
    const n = copies.get(text) ?? 0;
    if (n > 0) {
      copies.set(text, n - 1);
      continue;
    }
    if (isIgnored(output, st)) continue;
    let formatted: string;
    try {
      formatted = format(text).replace(/\s+$/, '').replace(/\r?\n/g, eol);
    } catch (e) {
      failures.push({ pos: start, message: firstLine(e) });
      continue;
    }
    if (formatted === text || formatted === '') continue;
    const from = anchors(sf, st, start);
    const piece = ts.createSourceFile(source.fileName, formatted, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
    const to = piece.statements.flatMap((s) => anchors(piece, s, 0));
    // the report's lines are found through these tokens: formatting that does not keep them
    // (same count, same order) would leave markers and changes pointing at the wrong lines
    if (!sameShape(output, from, formatted, to)) {
      failures.push({ pos: start, message: 'the formatted statement could not be matched token by token with the port (its report lines would be wrong)' });
      continue;
    }
    chunks.push({ start, end: st.end, text: formatted, at: start + shift, from, to });
    shift += formatted.length - (st.end - start);
  }
  const parts: string[] = [];
  let cursor = 0;
  for (const c of chunks) {
    parts.push(output.slice(cursor, c.start), c.text);
    cursor = c.end;
  }
  parts.push(output.slice(cursor));
  const mapOffset = (pos: number) => mapThrough(chunks, pos);
  const text = parts.join('');
  const line = lineOf(text);
  return { output: text, mapOffset, failures: failures.map((f) => ({ outputLine: line(mapOffset(f.pos)), message: f.message })) };
}

/** A `// prettier-ignore` comment right before the statement: the user asked prettier to keep it. */
function isIgnored(text: string, st: ts.Statement): boolean {
  return (ts.getLeadingCommentRanges(text, st.pos) ?? []).some((c) => /^(\/\/|\/\*)\s*prettier-ignore\b/.test(text.slice(c.pos, c.end)));
}

/** Punctuation prettier adds or removes as it likes (semicolons, trailing commas, parentheses, a union's leading bar). */
const LOOSE = new Set([ts.SyntaxKind.SemicolonToken, ts.SyntaxKind.CommaToken, ts.SyntaxKind.OpenParenToken, ts.SyntaxKind.CloseParenToken, ts.SyntaxKind.BarToken]);

/**
 * The tokens and comments of a statement that formatting keeps in order, as [start, end] ranges:
 * every token but LOOSE punctuation, and every comment inside the statement (markers among them).
 */
function anchors(sf: ts.SourceFile, node: ts.Node, from: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  const visit = (n: ts.Node) => {
    if (ts.isJSDoc(n)) return;
    const children = n.getChildren(sf);
    if (children.length > 0) {
      children.forEach(visit);
      return;
    }
    // an empty list shares its position (and the comments before it) with the next token
    if (n.end === n.pos) return;
    for (const c of ts.getLeadingCommentRanges(sf.text, n.pos) ?? []) if (c.pos >= from) out.push([c.pos, c.end]);
    if (!LOOSE.has(n.kind)) out.push([n.getStart(sf), n.end]);
  };
  visit(node);
  return out;
}

/** Token by token, the same kind of thing: comments against comments (same text), words against words. */
function sameShape(a: string, from: Array<[number, number]>, b: string, to: Array<[number, number]>): boolean {
  if (from.length !== to.length) return false;
  const kind = (text: string, [s, e]: [number, number]) => {
    const t = text.slice(s, e);
    if (t.startsWith('//')) return t.trimEnd();
    if (t.startsWith('/*')) return '/*';
    // quotes, escapes, number spellings and quoted keys change; that they are words does not
    return /^[\w$#'"`]/.test(t) ? 'w' : t;
  };
  return from.every((r, i) => kind(a, r) === kind(b, to[i]));
}

/** An offset of the unformatted output in the formatted one: through the tokens inside a chunk, shifted outside. */
function mapThrough(chunks: Chunk[], pos: number): number {
  let lo = 0;
  let hi = chunks.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (chunks[mid].start <= pos) lo = mid + 1;
    else hi = mid;
  }
  const c = chunks[lo - 1];
  if (!c) return pos;
  if (pos >= c.end) return pos + c.at + c.text.length - c.end;
  // the token at or after pos: its place in the formatted text (past the last one: the end)
  const i = c.from.findIndex(([, e]) => e > pos);
  if (i < 0) return c.at + c.text.length;
  const [s] = c.from[i];
  const [ns, ne] = c.to[i];
  return c.at + (pos <= s ? ns : Math.min(ns + (pos - s), ne));
}

function lineOf(text: string): (pos: number) => number {
  return (pos) => text.slice(0, pos).split('\n').length;
}

/** The first line of an error's message; its name when the message is empty (errors from the worker may lose it). */
export function firstLine(e: unknown): string {
  const line = (e instanceof Error ? e.message : String(e)).split('\n').find((l) => l.trim() !== '');
  return line ?? (e instanceof Error ? e.name : 'unknown error');
}

type SyncPrettier = {
  resolveConfig(file: string, options: { editorconfig: boolean }): Record<string, unknown> | null;
  format(code: string, options: Record<string, unknown>): string;
};
let prettier: SyncPrettier | undefined;

/**
 * The project's prettier for a file port-db writes, as prettier resolves its config for that path
 * (`.prettierrc*`, `package.json#prettier`, `.editorconfig`); undefined when none applies (port-db's
 * own style stays). Prettier is loaded on the first call: only a port that writes code pays for it.
 * Synchronous through @prettier/sync (prettier 3's API is async; port() is not).
 */
export function projectFormatter(file: string): FormatCode | undefined {
  if (!mayHaveConfig(file)) return undefined;
  prettier ??= createRequire(import.meta.url)('@prettier/sync') as SyncPrettier;
  const p = prettier;
  const config = p.resolveConfig(file, { editorconfig: true });
  if (!config) return undefined;
  // line breaks are the file's own (formatWritten): a formatted statement must not bring others
  return (code) => p.format(code, { ...config, filepath: file, endOfLine: 'lf' });
}

/**
 * Whether a folder on the way up from `file` holds a file prettier reads its config from
 * (`.prettierrc*`, `prettier.config.*`, `package.json` with a `prettier` key, `package.yaml`)
 * or an `.editorconfig`. Without one, loading prettier (about 0.2 s) would only answer "none".
 * It errs on the side of loading: prettier then decides.
 */
export function mayHaveConfig(file: string): boolean {
  for (let dir = dirname(file); ; dir = dirname(dir)) {
    let names: string[] = [];
    try {
      names = readdirSync(dir);
    } catch {
      // a folder not written yet (db/discovery), or unreadable: look further up
    }
    if (names.some((n) => n.startsWith('.prettierrc') || n.startsWith('prettier.config.') || n === '.editorconfig' || n === 'package.yaml')) return true;
    if (names.includes('package.json') && hasPrettierKey(join(dir, 'package.json'))) return true;
    if (dirname(dir) === dir) return false;
  }
}

function hasPrettierKey(path: string): boolean {
  try {
    const json = JSON.parse(readFileSync(path, 'utf8')) as unknown;
    return typeof json === 'object' && json !== null && 'prettier' in json;
  } catch {
    return true;
  }
}
