import ts from '../ts.cjs';
import { SUPPRESSIBLE_RULE_IDS } from './check-rules.js';
import type { CheckRuleId } from './check-types.js';

/** A `// port-db: manual <reason>` comment and the source range it marks. */
export interface ManualMarker {
  /** Offset of the comment. */
  pos: number;
  reason: string;
  /** The statement the marker governs: findings in [start, end) fold into the marker. */
  start: number;
  end: number;
}

/** A `// port-db-ignore-next-line` or `// port-db-ignore-file` comment. */
export interface Suppression {
  kind: 'next-line' | 'file';
  /** Offset of the comment. */
  pos: number;
  /** 0-based line the comment ends on. */
  endLine: number;
  /** Rules it names; empty means every rule. */
  rules: CheckRuleId[];
  /** Names that are not rule ids. */
  unknown: string[];
  /** Rules (or `*` for a rule-less comment) that silenced at least one finding. */
  used: Set<string>;
}

export interface Directives {
  markers: ManualMarker[];
  suppressions: Suppression[];
}

const MARKER = /^port-db:\s*manual(?:\s+([^]*))?$/;
/** A pin: `// @ts-expect-error port-db: manual <reason>` above a type error of a manual item. */
const PIN = /^@ts-expect-error\s+port-db:\s*manual(?:\s+([^]*))?$/;
const IGNORE = /^port-db-ignore-(next-line|file)\b([^]*)$/;

/**
 * Finds port-db comments. `boundaries` are the start and end offsets of every AST node: comments
 * sit in the trivia that begins at one of them, so each `port-db` occurrence is looked up in the
 * comment ranges of the nearest boundary before it (an occurrence inside a string has none).
 */
export function collectDirectives(sf: ts.SourceFile, boundaries: number[]): Directives {
  const text = sf.text;
  const result: Directives = { markers: [], suppressions: [] };
  const sorted = [...new Set(boundaries)].sort((a, b) => a - b);
  const seen = new Set<number>();
  const pins: ManualMarker[] = [];
  for (let at = text.indexOf('port-db'); at >= 0; at = text.indexOf('port-db', at + 7)) {
    const range = commentAt(text, sorted, at);
    if (!range || seen.has(range.pos)) continue;
    seen.add(range.pos);
    const body = commentBody(text.slice(range.pos, range.end), range.kind);
    const pin = range.kind === ts.SyntaxKind.SingleLineCommentTrivia ? PIN.exec(body) : null;
    if (pin) {
      // like the compiler's own directive, a pin governs the next line
      const from = text.indexOf('\n', range.end);
      const to = from < 0 ? text.length : text.indexOf('\n', from + 1);
      const reason = (pin[1] ?? '').replace(/\s+/g, ' ').trim();
      pins.push({ pos: range.pos, reason: reason || 'manual item', start: range.pos, end: to < 0 ? text.length : to });
      continue;
    }
    const marker = MARKER.exec(body);
    if (marker) {
      const [start, end] = markedRange(sf, range.pos, range.end);
      const reason = (marker[1] ?? '').replace(/\s+/g, ' ').trim();
      result.markers.push({ pos: range.pos, reason: reason || 'manual item', start, end });
      continue;
    }
    const ignore = IGNORE.exec(body);
    if (ignore) result.suppressions.push(parseSuppression(sf, range, ignore[1] as 'next-line' | 'file', ignore[2]));
  }
  // a pin inside a marked statement is part of that item; one on its own is an item
  const outside = pins.filter((p) => !result.markers.some((m) => m.pos <= p.pos && p.pos < m.end));
  if (outside.length > 0) result.markers = [...result.markers, ...outside].sort((a, b) => a.pos - b.pos);
  return result;
}

function commentAt(text: string, boundaries: number[], at: number): ts.CommentRange | undefined {
  let lo = 0;
  let hi = boundaries.length - 1;
  let best = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (boundaries[mid] <= at) {
      best = boundaries[mid];
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  if (best < 0) return undefined;
  // Comments on the line of the previous token are "trailing"; the rest, "leading".
  const ranges = [...(ts.getTrailingCommentRanges(text, best) ?? []), ...(ts.getLeadingCommentRanges(text, best) ?? [])];
  return ranges.find((r) => r.pos <= at && at < r.end);
}

/** The comment text without `//` or the `/* *\/` frame and leading `*` of block lines. */
function commentBody(comment: string, kind: ts.CommentKind): string {
  if (kind === ts.SyntaxKind.SingleLineCommentTrivia) return comment.slice(2).trim();
  return comment
    .slice(2, -2)
    .split('\n')
    .map((line) => line.replace(/^\s*\*+/, ''))
    .join('\n')
    .replace(/^\*+/, '')
    .trim();
}

function parseSuppression(sf: ts.SourceFile, range: ts.CommentRange, kind: 'next-line' | 'file', rest: string): Suppression {
  // ESLint style: anything after ` -- ` is a description.
  const names = rest.split(/\s--\s|\s--$/)[0].split(/[\s,]+/).filter((s) => s.length > 0);
  const rules: CheckRuleId[] = [];
  const unknown: string[] = [];
  for (const name of names) {
    if ((SUPPRESSIBLE_RULE_IDS as readonly string[]).includes(name)) rules.push(name as CheckRuleId);
    else unknown.push(name);
  }
  return {
    kind,
    pos: range.pos,
    endLine: sf.getLineAndCharacterOfPosition(range.end).line,
    rules,
    unknown,
    used: new Set(),
  };
}

/**
 * The range a marker governs: the outermost node whose leading trivia holds the comment (the
 * statement or declaration right after it, whole). A marker after code on its own line governs
 * that line; one with no following node (end of a block) governs only itself.
 */
function markedRange(sf: ts.SourceFile, pos: number, end: number): [number, number] {
  const text = sf.text;
  const lineStart = text.lastIndexOf('\n', pos - 1) + 1;
  if (text.slice(lineStart, pos).trim() !== '') {
    const lineEnd = text.indexOf('\n', pos);
    return [lineStart, lineEnd < 0 ? text.length : lineEnd];
  }
  let node: ts.Node = sf;
  for (;;) {
    const child: ts.Node | undefined = ts.forEachChild(node, (c) => (c.pos <= pos && pos < c.end ? c : undefined));
    if (!child) return [pos, end];
    const start = child.getStart(sf);
    if (start >= end) return [start, child.end];
    node = child;
  }
}
