import { diffArrays } from 'diff';
import type { ChalkInstance } from 'chalk';

/**
 * Unified diffs of a module and its port, in time linear in the size of the texts.
 *
 * Myers' algorithm (jsdiff) costs O((N+M)·D): for a codemod, where D grows with the file, that
 * is quadratic (seconds at 25k lines, minutes at 100k). So Myers runs on the whole texts only while that is cheap
 * (at most BUDGET steps: the output is then exactly jsdiff's); otherwise the texts are aligned
 * on anchors, patience-style: the common prefix and suffix, then the lines that occur once on
 * each side, kept in order (longest increasing subsequence), recursively between anchors.
 * Myers runs only inside the gaps left between anchors, each with a bounded number of edits,
 * and all gaps together within a budget proportional to the input; a gap it cannot finish
 * within its bound is shown as removed then added (still a valid patch, just not a minimal one).
 */

/** Myers steps (≈ (N+M)·D) allowed on the whole texts, and on any one gap. */
const BUDGET = 1_000_000;
/** Myers steps allowed per line of input over all the gaps (beyond BUDGET). */
const GAP_WORK_PER_LINE = 64;
/** Anchoring work allowed per line of input before the remaining ranges are left to Myers. */
const ANCHOR_WORK_PER_LINE = 24;

const CONTEXT = 3;

export interface Hunk {
  oldStart: number;
  oldLines: number;
  newStart: number;
  newLines: number;
  /** ' ', '-' or '+' then the line without its line break; '\ No newline at end of file' after a last line that has none. */
  lines: string[];
}

export interface DiffOptions {
  /** Myers steps allowed on the whole texts (default BUDGET); 0 forces the anchored alignment (tests). */
  wholeBudget?: number;
  /** Myers steps allowed inside one gap between anchors (default BUDGET). */
  gapBudget?: number;
}

/** 0: both sides, 1: removed, 2: added; `count` lines. */
interface Run {
  kind: 0 | 1 | 2;
  count: number;
}

/**
 * The lines of a text with their line breaks (`\n`, or `\r\n` kept whole; the last line may
 * have none), and their ids: equal lines, equal ids (`intern` is shared by both texts).
 */
function splitLines(text: string, intern: Map<string, number>): { lines: string[]; ids: Int32Array } {
  const lines: string[] = [];
  let start = 0;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', start)) {
    lines.push(text.slice(start, i + 1));
    start = i + 1;
  }
  if (start < text.length) lines.push(text.slice(start));
  const ids = new Int32Array(lines.length);
  for (let k = 0; k < lines.length; k++) {
    let id = intern.get(lines[k]);
    if (id === undefined) intern.set(lines[k], (id = intern.size));
    ids[k] = id;
  }
  return { lines, ids };
}

/** Runs from jsdiff's change objects, in its order. */
function runsOf(changes: Array<{ count?: number; added?: boolean; removed?: boolean }>): Run[] {
  const runs: Run[] = [];
  for (const c of changes) {
    if (!c.count) continue;
    runs.push({ kind: c.added ? 2 : c.removed ? 1 : 0, count: c.count });
  }
  return runs;
}

/** Myers over a[a0,a1) and b[b0,b1), abandoned past `budget` steps: undefined then. */
function myers(a: Int32Array, a0: number, a1: number, b: Int32Array, b0: number, b1: number, budget: number): Run[] | undefined {
  const size = a1 - a0 + (b1 - b0);
  if (size === 0) return [];
  const maxEditLength = Math.min(size, Math.floor(budget / size));
  if (maxEditLength < 1) return undefined;
  const changes = diffArrays(Array.from(a.subarray(a0, a1)), Array.from(b.subarray(b0, b1)), { maxEditLength });
  return changes ? runsOf(changes) : undefined;
}

/**
 * The alignment of a and b (line ids) as `aToB`: for each line of a, the line of b it is kept
 * as, or -1 when it is removed. Increasing over the matched lines.
 */
function anchoredAlignment(a: Int32Array, b: Int32Array, ids: number, gapBudget: number): Int32Array {
  const aToB = new Int32Array(a.length).fill(-1);
  const countA = new Int32Array(ids);
  const countB = new Int32Array(ids);
  const posB = new Int32Array(ids);
  let work = 0;
  const workLimit = ANCHOR_WORK_PER_LINE * (a.length + b.length) + 100_000;
  let myersLeft = Math.max(gapBudget, GAP_WORK_PER_LINE * (a.length + b.length));
  const stack: number[] = [0, a.length, 0, b.length];
  while (stack.length) {
    let b1 = stack.pop()!;
    let b0 = stack.pop()!;
    let a1 = stack.pop()!;
    let a0 = stack.pop()!;
    while (a0 < a1 && b0 < b1 && a[a0] === b[b0]) aToB[a0++] = b0++;
    while (a0 < a1 && b0 < b1 && a[a1 - 1] === b[b1 - 1]) aToB[--a1] = --b1;
    if (a0 === a1 || b0 === b1) continue;

    let anchors: Int32Array | undefined;
    if (work < workLimit) {
      work += a1 - a0 + (b1 - b0);
      anchors = uniqueAnchors(aToB, a, a0, a1, b, b0, b1, countA, countB, posB);
    }
    if (anchors && anchors.length > 0) {
      // sub-ranges between consecutive anchors (pushed last first: the order does not matter)
      let pa = a0;
      let pb = b0;
      for (let k = 0; k < anchors.length; k++) {
        const i = anchors[k];
        const j = aToB[i];
        if (i > pa || j > pb) stack.push(pa, i, pb, j);
        pa = i + 1;
        pb = j + 1;
      }
      if (a1 > pa || b1 > pb) stack.push(pa, a1, pb, b1);
      continue;
    }
    const size = a1 - a0 + (b1 - b0);
    const budget = Math.min(gapBudget, myersLeft);
    const runs = myers(a, a0, a1, b, b0, b1, budget);
    if (!runs) {
      // all of a[a0,a1) removed, all of b[b0,b1) added
      myersLeft -= Math.min(budget, size * size);
      continue;
    }
    let edits = 0;
    let i = a0;
    let j = b0;
    for (const r of runs) {
      if (r.kind === 0) for (let n = 0; n < r.count; n++) aToB[i++] = j++;
      else if (r.kind === 1) i += r.count;
      else j += r.count;
      if (r.kind !== 0) edits += r.count;
    }
    myersLeft -= size * Math.max(1, edits);
  }
  return aToB;
}

/**
 * Lines that occur exactly once in a[a0,a1) and once in b[b0,b1), kept in the longest order
 * both sides agree on (patience sorting): matched in aToB, and returned as their positions in
 * a, ascending. The count arrays are all zero before and after.
 */
function uniqueAnchors(
  aToB: Int32Array,
  a: Int32Array,
  a0: number,
  a1: number,
  b: Int32Array,
  b0: number,
  b1: number,
  countA: Int32Array,
  countB: Int32Array,
  posB: Int32Array,
): Int32Array | undefined {
  for (let i = a0; i < a1; i++) countA[a[i]]++;
  for (let j = b0; j < b1; j++) {
    countB[b[j]]++;
    posB[b[j]] = j;
  }
  // candidates in the order of a: their position in b
  const candA: number[] = [];
  const candB: number[] = [];
  for (let i = a0; i < a1; i++) {
    const id = a[i];
    if (countA[id] === 1 && countB[id] === 1) {
      candA.push(i);
      candB.push(posB[id]);
    }
  }
  for (let i = a0; i < a1; i++) countA[a[i]] = 0;
  for (let j = b0; j < b1; j++) countB[b[j]] = 0;
  if (candA.length === 0) return undefined;

  // longest increasing subsequence of candB (O(k log k)), with back links
  const tails: number[] = [];
  const prev = new Int32Array(candA.length);
  for (let k = 0; k < candB.length; k++) {
    const v = candB[k];
    let lo = 0;
    let hi = tails.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (candB[tails[mid]] < v) lo = mid + 1;
      else hi = mid;
    }
    prev[k] = lo > 0 ? tails[lo - 1] : -1;
    tails[lo] = k;
  }
  const out = new Int32Array(tails.length);
  for (let k = tails[tails.length - 1], n = tails.length - 1; k !== -1; k = prev[k], n--) {
    out[n] = candA[k];
    aToB[candA[k]] = candB[k];
  }
  return out;
}

/** The runs of an alignment: in each change, the removed lines come before the added ones. */
function runsFromAlignment(aToB: Int32Array, bLength: number): Run[] {
  const runs: Run[] = [];
  const push = (kind: 0 | 1 | 2, count: number) => {
    if (count === 0) return;
    const last = runs[runs.length - 1];
    if (last && last.kind === kind) last.count += count;
    else runs.push({ kind, count });
  };
  let j = 0;
  let i = 0;
  while (i < aToB.length) {
    let n = 0;
    while (i < aToB.length && aToB[i] === -1) i++, n++;
    push(1, n);
    if (i === aToB.length) break;
    push(2, aToB[i] - j);
    j = aToB[i];
    n = 0;
    while (i < aToB.length && aToB[i] === j) i++, j++, n++;
    push(0, n);
  }
  push(2, bLength - j);
  return runs;
}

/** The runs from line ids a to line ids b: Myers on the whole while cheap, else the anchored alignment. */
function alignRuns(a: Int32Array, b: Int32Array, ids: number, options: DiffOptions): Run[] {
  const whole = myers(a, 0, a.length, b, 0, b.length, options.wholeBudget ?? BUDGET);
  if (whole) return whole;
  return runsFromAlignment(anchoredAlignment(a, b, ids, options.gapBudget ?? BUDGET), b.length);
}

/** The edit runs from `before` to `after`, and their lines. */
function lineDiff(before: string, after: string, options: DiffOptions = {}): { runs: Run[]; aLines: string[]; bLines: string[] } {
  const intern = new Map<string, number>();
  const { lines: aLines, ids: a } = splitLines(before, intern);
  const { lines: bLines, ids: b } = splitLines(after, intern);
  return { runs: alignRuns(a, b, intern.size, options), aLines, bLines };
}

/** A change between two lists of lines: a[aStart, aStart + aLength) became b[bStart, bStart + bLength). */
export interface LineChange {
  aStart: number;
  aLength: number;
  bStart: number;
  bLength: number;
}

/**
 * The changes from lines a to lines b (compared whole, as strings), in order, each between two
 * kept lines: the diff the unified diff shows, at its cost (linear in practice; see the top of
 * this file). The three-way merge of hand edits is built on it.
 */
export function diffLines(a: readonly string[], b: readonly string[], options: DiffOptions = {}): LineChange[] {
  const intern = new Map<string, number>();
  const idsOf = (lines: readonly string[]) => {
    const ids = new Int32Array(lines.length);
    for (let k = 0; k < lines.length; k++) {
      let id = intern.get(lines[k]);
      if (id === undefined) intern.set(lines[k], (id = intern.size));
      ids[k] = id;
    }
    return ids;
  };
  const ia = idsOf(a);
  const ib = idsOf(b);
  const changes: LineChange[] = [];
  let open: LineChange | undefined;
  let i = 0;
  let j = 0;
  for (const r of alignRuns(ia, ib, intern.size, options)) {
    if (r.kind === 0) {
      open = undefined;
      i += r.count;
      j += r.count;
      continue;
    }
    if (!open) changes.push((open = { aStart: i, aLength: 0, bStart: j, bLength: 0 }));
    if (r.kind === 1) {
      open.aLength += r.count;
      i += r.count;
    } else {
      open.bLength += r.count;
      j += r.count;
    }
  }
  return changes;
}

/**
 * The hunks of a unified diff with `context` lines of context, formed as jsdiff's
 * structuredPatch forms them (changes closer than 2·context lines share a hunk).
 */
export function diffHunks(before: string, after: string, options: DiffOptions = {}): Hunk[] {
  const { runs, aLines, bLines } = lineDiff(before, after, options);
  const hunks: Hunk[] = [];
  let oldLine = 1;
  let newLine = 1;
  let open: Hunk | undefined;
  let ai = 0;
  let bi = 0;
  const context = (from: number, to: number) => {
    for (let k = from; k < to; k++) open!.lines.push(' ' + bLines[k]);
  };
  for (let r = 0; r <= runs.length; r++) {
    const run: Run = runs[r] ?? { kind: 0, count: 0 };
    if (run.kind !== 0) {
      if (!open) {
        const prev = runs[r - 1];
        const lead = prev ? Math.min(CONTEXT, prev.count) : 0;
        open = { oldStart: oldLine - lead, oldLines: 0, newStart: newLine - lead, newLines: 0, lines: [] };
        context(bi - lead, bi);
      }
      if (run.kind === 1) {
        for (let k = 0; k < run.count; k++) open.lines.push('-' + aLines[ai + k]);
        ai += run.count;
        oldLine += run.count;
      } else {
        for (let k = 0; k < run.count; k++) open.lines.push('+' + bLines[bi + k]);
        bi += run.count;
        newLine += run.count;
      }
      continue;
    }
    if (open) {
      if (run.count <= CONTEXT * 2 && r < runs.length - 1) {
        context(bi, bi + run.count);
      } else {
        const tail = Math.min(run.count, CONTEXT);
        context(bi, bi + tail);
        open.oldLines = oldLine - open.oldStart + tail;
        open.newLines = newLine - open.newStart + tail;
        hunks.push(open);
        open = undefined;
      }
    }
    ai += run.count;
    bi += run.count;
    oldLine += run.count;
    newLine += run.count;
  }
  for (const h of hunks) {
    const lines: string[] = [];
    for (const l of h.lines) {
      if (l.endsWith('\n')) lines.push(l.slice(0, -1));
      else lines.push(l, '\\ No newline at end of file');
    }
    h.lines = lines;
  }
  return hunks;
}

/**
 * A unified diff of two texts with git-style headers and 3 lines of context. Coloured when a
 * chalk instance with colours is passed (the CLI decides: TTY, NO_COLOR, FORCE_COLOR).
 */
export function renderDiff(oldName: string, newName: string, before: string, after: string, color?: ChalkInstance): string {
  const hunks = diffHunks(before, after);
  if (hunks.length === 0) return '';
  const c = color;
  const out: string[] = [];
  const header = (s: string) => (c ? c.bold(s) : s);
  out.push(header(`--- ${oldName}`), header(`+++ ${newName}`));
  for (const h of hunks) {
    // an empty range is numbered from the line before it, as diff and git do
    const at = `@@ -${h.oldLines === 0 ? h.oldStart - 1 : h.oldStart},${h.oldLines} +${h.newLines === 0 ? h.newStart - 1 : h.newStart},${h.newLines} @@`;
    out.push(c ? c.cyan(at) : at);
    for (const l of h.lines) {
      if (l.startsWith('\\')) out.push(l);
      else if (l[0] === '+') out.push(c ? c.green(l) : l);
      else if (l[0] === '-') out.push(c ? c.red(l) : l);
      else out.push(l);
    }
  }
  return out.join('\n') + '\n';
}
