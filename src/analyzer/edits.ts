/** A text edit against the original source: replace [start, end) with text. */
export interface Edit {
  start: number;
  end: number;
  text: string;
  /** An insertion that gives way: dropped when it falls inside another edit's range (re-indentation). */
  soft?: boolean;
  /** Its lines are indented as written, even on a re-indented line (which shifts other edits' lines). */
  asWritten?: boolean;
  /** A deletion of text that reappears elsewhere (create-lock moves a guard into the wrapper): what it references is still used. */
  moved?: boolean;
  /**
   * The text is assembled from pieces: strings as they are, and source ranges (moved here by a
   * `moved` deletion) rendered with the edits made inside them, so a rewrite inside moved text moves with it.
   */
  parts?: Array<string | { start: number; end: number }>;
  /**
   * Its meaning does not depend on the rest of the statement (a loader option dropped, `limit` as a
   * slice): it is made inside code kept for a human too, so the marker is left with the one problem it names.
   */
  independent?: boolean;
  /** Edits that only make sense together (a create split into wrapper and body): when code kept for a human drops one, all go. */
  group?: object;
}

/**
 * Applies all edits to the text in one pass (STYLE.md: analyse, then edit once).
 * Insertions at one offset keep the order they were made in and come before a replacement
 * starting there. Overlapping replacements are a bug in a rewriter, not in the input.
 * Returns the output and a map from each edit to the output offset of its new text.
 */
export function applyEdits(text: string, input: Edit[]): { output: string; offsets: Map<Edit, number>; mapOffset: (pos: number) => number } {
  // edits inside moved text are made in its copy (an edit's `parts`), not where it was
  const movedRanges = input.filter((e) => e.moved && e.end > e.start);
  // an insertion on the edge of moved text stays where it is; one strictly inside moves
  const isNested = (e: Edit) =>
    !e.moved && movedRanges.some((m) => (e.end > e.start ? e.start >= m.start && e.end <= m.end : e.start > m.start && e.start < m.end));
  const nested = movedRanges.length ? input.filter(isNested) : [];
  const all = nested.length ? input.filter((e) => !nested.includes(e)) : input;
  const nestedOffsets = new Map<Edit, number>();
  const assemble = (e: Edit, at: number): string => {
    let out = '';
    for (const part of e.parts!) {
      if (typeof part === 'string') {
        out += part;
        continue;
      }
      const inner = nested.filter((n) => n.start >= part.start && n.end <= part.end).sort((a, b) => a.start - b.start || (a.end - a.start === 0 ? 0 : 1) - (b.end - b.start === 0 ? 0 : 1));
      let cursor = part.start;
      for (const n of inner) {
        if (n.start < cursor) throw new Error(`internal: overlapping edits in moved text at ${n.start}`);
        out += text.slice(cursor, n.start);
        nestedOffsets.set(n, at + out.length);
        out += n.text;
        cursor = n.end;
      }
      out += text.slice(cursor, part.end);
    }
    return out;
  };
  const covered = coverage(all.filter((e) => e.end > e.start).sort((a, b) => a.start - b.start));
  const kept = all.filter((e) => !e.soft || !covered(e.start));
  // text inserted on a re-indented line starts its own lines: they take the same extra indent
  const indentAt = new Map(kept.filter((e) => e.soft).map((e) => [e.start, e.text]));
  const edits = kept.map((e) => {
    if (e.soft || e.asWritten || !e.text.includes('\n')) return { ...e, orig: e };
    const step = indentAt.get(text.lastIndexOf('\n', e.start - 1) + 1);
    return { ...e, orig: e, text: step ? e.text.replace(/\n(?=.)/g, '\n' + step) : e.text };
  });
  const sorted = edits
    .map((e, i) => ({ e, i }))
    .sort((a, b) => a.e.start - b.e.start || (a.e.end - a.e.start === 0 ? 0 : 1) - (b.e.end - b.e.start === 0 ? 0 : 1) || a.i - b.i);
  const parts: string[] = [];
  const offsets = new Map<Edit, number>();
  const assembled = new Map<Edit, number>();
  const assembledLength = (e: Edit) => assembled.get(e)!;
  let cursor = 0;
  let outLen = 0;
  for (const { e } of sorted) {
    if (e.start < cursor) {
      throw new Error(`internal: overlapping edits at ${e.start} (previous edit ended at ${cursor}): ${JSON.stringify(e.text.slice(0, 60))}`);
    }
    const keep = text.slice(cursor, e.start);
    outLen += keep.length;
    const newText = e.parts ? assemble(e, outLen) : e.text;
    if (e.parts) assembled.set(e, newText.length);
    parts.push(keep, newText);
    offsets.set(e.orig, outLen);
    outLen += newText.length;
    cursor = e.end;
  }
  parts.push(text.slice(cursor));
  // where an unedited source offset lands in the output: after insertions made at it.
  // The edits that shift `pos` are a prefix of `sorted` (those starting before it, then the
  // insertions at it): binary search over running sums, not a scan per lookup.
  const shift = new Array<number>(sorted.length + 1);
  shift[0] = 0;
  for (let k = 0; k < sorted.length; k++) shift[k + 1] = shift[k] + (sorted[k].e.parts ? assembledLength(sorted[k].e) : sorted[k].e.text.length) - (sorted[k].e.end - sorted[k].e.start);
  for (const [n, at] of nestedOffsets) offsets.set(n, at);
  const mapOffset = (pos: number): number => {
    let lo = 0;
    let hi = sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const e = sorted[mid].e;
      if (e.start > pos || (e.start === pos && e.end > e.start)) hi = mid;
      else lo = mid + 1;
    }
    return pos + shift[lo];
  };
  return { output: parts.join(''), offsets, mapOffset };
}

/** Precomputed line starts, for many lookups in one text. */
export function lineIndex(text: string): (offset: number) => number {
  const starts = [0];
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return (offset: number) => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  };
}

/** The range of a whole line (with its line break) holding [start, end): to delete a statement. */
export function wholeLines(text: string, start: number, end: number): [number, number] {
  const s = text.lastIndexOf('\n', start - 1) + 1;
  let e = text.indexOf('\n', end);
  e = e === -1 ? text.length : e + 1;
  return [s, e];
}

/**
 * For ranges sorted by start: whether a position lies in one of them (a line that an edit
 * deletes or rewrites). Binary search over the running maximum of the ends: O(log n) a lookup.
 */
function coverage(ranges: Edit[]): (pos: number) => boolean {
  const maxEnd = new Array<number>(ranges.length);
  for (let k = 0; k < ranges.length; k++) maxEnd[k] = Math.max(ranges[k].end, k > 0 ? maxEnd[k - 1] : -1);
  return (pos) => {
    // the last range starting at or before pos
    let lo = 0;
    let hi = ranges.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (ranges[mid].start > pos) hi = mid;
      else lo = mid + 1;
    }
    return lo > 0 && pos < maxEnd[lo - 1];
  };
}

/** Nothing but blanks stands on the lines of [start, end) outside the range. */
export function aloneOnItsLines(text: string, start: number, end: number): boolean {
  const [s, e] = wholeLines(text, start, end);
  return text.slice(s, start).trim() === '' && text.slice(end, e).trim() === '';
}

/** The lines of [start, end) when nothing else stands on them; else just the range. */
export function ownLines(text: string, start: number, end: number): [number, number] {
  return aloneOnItsLines(text, start, end) ? wholeLines(text, start, end) : [start, end];
}
