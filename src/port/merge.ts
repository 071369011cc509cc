import { diffLines, type DiffOptions } from '../report/diff.js';
import type { MergeConflict } from '../report/result.js';

export type { MergeConflict };

/**
 * Three-way merge of a hand-edited port with a new port (line based, diff3).
 * base = the port port-db wrote last, ours = the module on disk (edited by hand),
 * theirs = the new port. Pure: no files, no output.
 *
 * The two diffs from the base are the dry run's line diffs (src/report/diff.ts: Myers while
 * cheap, else anchored on the common prefix and suffix and on unique lines), so a merge costs
 * about two diffs. node-diff3's LCS (Hunt–McIlroy with a linear scan of its candidates) was
 * cubic on a port, where `}` and blank lines repeat thousands of times: 21 s at 11.7k lines,
 * more than 11 minutes at 50k. The regions are formed as node-diff3's diff3MergeRegions forms
 * them (Khanna, Kunal and Pierce's diff3), false conflicts (the same change on both sides) taken once.
 */

export interface MergeLabels {
  ours: string;
  base: string;
  theirs: string;
}

export interface MergeOutcome {
  /** The merged text; with conflict markers when `conflicts` is not empty. */
  text: string;
  conflicts: MergeConflict[];
}

const MARKERS = { ours: '<<<<<<<', base: '|||||||', sep: '=======', theirs: '>>>>>>>' } as const;

/** Splits into lines that keep their terminator, so that joining them gives the text back exactly. */
export function splitLines(text: string): string[] {
  return text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
}

function eolOf(text: string): string {
  const crlf = (text.match(/\r\n/g) ?? []).length;
  const lf = (text.match(/\n/g) ?? []).length - crlf;
  return crlf > lf ? '\r\n' : '\n';
}

class Builder {
  readonly parts: string[] = [];
  line = 1;
  constructor(private readonly eol: string) {}
  /** Appends whole lines; a last line without terminator gets one when more follows (markers). */
  lines(ls: string[], closed: boolean): void {
    for (let i = 0; i < ls.length; i++) {
      let l = ls[i];
      if (closed && i === ls.length - 1 && !l.endsWith('\n')) l += this.eol;
      this.parts.push(l);
      if (l.endsWith('\n')) this.line++;
    }
  }
  marker(text: string): void {
    this.parts.push(text + this.eol);
    this.line++;
  }
  text(): string {
    return this.parts.join('');
  }
}

/**
 * diff3: changes made on one side only are taken; the same change on both sides is taken once;
 * different changes to the same lines are a conflict, written in diff3 style (ours, base, theirs).
 * Without a base (no record of what port-db wrote), every difference between ours and theirs is
 * a conflict: nothing is taken on a guess.
 */
export function mergeThreeWay(base: string | undefined, ours: string, theirs: string, labels: MergeLabels, options: DiffOptions = {}): MergeOutcome {
  if (ours === theirs) return { text: ours, conflicts: [] };
  if (base !== undefined && base === ours) return { text: theirs, conflicts: [] };
  if (base !== undefined && base === theirs) return { text: ours, conflicts: [] };
  const a = splitLines(ours);
  const b = splitLines(theirs);
  const out = new Builder(eolOf(theirs || ours));
  const conflicts: MergeConflict[] = [];
  const conflict = (aLines: string[], aIndex: number, oLines: string[] | undefined, bLines: string[], bIndex: number) => {
    const line = out.line;
    out.marker(`${MARKERS.ours} ${labels.ours}`);
    out.lines(aLines, true);
    if (oLines) {
      out.marker(`${MARKERS.base} ${labels.base}`);
      out.lines(oLines, true);
    }
    out.marker(MARKERS.sep);
    out.lines(bLines, true);
    out.marker(`${MARKERS.theirs} ${labels.theirs}`);
    conflicts.push({ line, endLine: out.line - 1, oursLine: aIndex + 1, oursLength: aLines.length, theirsLine: bIndex + 1, theirsLength: bLines.length });
  };
  const regions = base === undefined ? twoWayRegions(a, b, options) : diff3Regions(a, splitLines(base), b, options);
  for (let r = 0; r < regions.length; r++) {
    const region = regions[r];
    if (region.kind === 'ok') out.lines(region.lines, r < regions.length - 1);
    else conflict(region.a, region.aIndex, region.o, region.b, region.bIndex);
  }
  return { text: out.text(), conflicts };
}

type Region = { kind: 'ok'; lines: string[] } | { kind: 'conflict'; a: string[]; aIndex: number; o?: string[]; b: string[]; bIndex: number };

/** Appends lines to the last region when it is `ok`, else opens one (a loop: no spread of a 50k-line array). */
function pushOk(regions: Region[], lines: readonly string[], from: number, to: number): void {
  if (to <= from) return;
  let last = regions[regions.length - 1];
  if (!last || last.kind !== 'ok') regions.push((last = { kind: 'ok', lines: [] }));
  for (let k = from; k < to; k++) last.lines.push(lines[k]);
}

/** Without a base: the lines both sides share are kept, every difference is a conflict. */
function twoWayRegions(a: string[], b: string[], options: DiffOptions): Region[] {
  const regions: Region[] = [];
  let ai = 0;
  for (const c of diffLines(a, b, options)) {
    pushOk(regions, a, ai, c.aStart);
    regions.push({ kind: 'conflict', a: a.slice(c.aStart, c.aStart + c.aLength), aIndex: c.aStart, b: b.slice(c.bStart, c.bStart + c.bLength), bIndex: c.bStart });
    ai = c.aStart + c.aLength;
  }
  pushOk(regions, a, ai, a.length);
  return regions;
}

interface Diff3Hunk {
  side: 'a' | 'b';
  oStart: number;
  oLength: number;
  abStart: number;
  abLength: number;
}

/**
 * diff3 of a and b, both derived from o: the hunks of o→a and o→b in the order of o; hunks that
 * overlap or touch form one region. A region changed on one side only takes that side's lines;
 * changed on both, it is a conflict unless both sides made the same change.
 */
function diff3Regions(a: string[], o: string[], b: string[], options: DiffOptions): Region[] {
  const hunks: Diff3Hunk[] = [];
  for (const c of diffLines(o, a, options)) hunks.push({ side: 'a', oStart: c.aStart, oLength: c.aLength, abStart: c.bStart, abLength: c.bLength });
  for (const c of diffLines(o, b, options)) hunks.push({ side: 'b', oStart: c.aStart, oLength: c.aLength, abStart: c.bStart, abLength: c.bLength });
  // stable: at the same place in o, a's hunk first (as node-diff3)
  hunks.sort((x, y) => x.oStart - y.oStart);
  const regions: Region[] = [];
  let done = 0;
  for (let h = 0; h < hunks.length; ) {
    const first = hunks[h];
    const regionStart = first.oStart;
    let regionEnd = first.oStart + first.oLength;
    let k = h + 1;
    for (; k < hunks.length && hunks[k].oStart <= regionEnd; k++) regionEnd = Math.max(regionEnd, hunks[k].oStart + hunks[k].oLength);
    pushOk(regions, o, done, regionStart);
    if (k - h === 1) {
      pushOk(regions, first.side === 'a' ? a : b, first.abStart, first.abStart + first.abLength);
    } else {
      // each side's hunks as one, stretched over the whole region of o (the skew of each side)
      const bounds = { a: [a.length, -1, o.length, -1], b: [b.length, -1, o.length, -1] };
      for (let n = h; n < k; n++) {
        const x = hunks[n];
        const bd = bounds[x.side];
        bd[0] = Math.min(x.abStart, bd[0]);
        bd[1] = Math.max(x.abStart + x.abLength, bd[1]);
        bd[2] = Math.min(x.oStart, bd[2]);
        bd[3] = Math.max(x.oStart + x.oLength, bd[3]);
      }
      const span = (bd: number[]) => [bd[0] + (regionStart - bd[2]), bd[1] + (regionEnd - bd[3])];
      const [aStart, aEnd] = span(bounds.a);
      const [bStart, bEnd] = span(bounds.b);
      const aLines = a.slice(aStart, aEnd);
      const bLines = b.slice(bStart, bEnd);
      if (aLines.length === bLines.length && aLines.every((l, n) => l === bLines[n])) pushOk(regions, aLines, 0, aLines.length);
      else regions.push({ kind: 'conflict', a: aLines, aIndex: aStart, o: o.slice(regionStart, regionEnd), b: bLines, bIndex: bStart });
    }
    done = regionEnd;
    h = k;
  }
  pushOk(regions, o, done, o.length);
  return regions;
}

/** The conflict markers left in a text (a conflict file not yet resolved): the line of each `<<<<<<<`. */
export function findConflictMarkers(text: string): number[] {
  const lines = splitLines(text);
  const found: number[] = [];
  let open = -1;
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i].replace(/\r?\n$/, '');
    if (l === MARKERS.ours || l.startsWith(`${MARKERS.ours} `)) open = i + 1;
    else if ((l === MARKERS.theirs || l.startsWith(`${MARKERS.theirs} `)) && open > 0) {
      found.push(open);
      open = -1;
    } else if (l === MARKERS.sep && open < 0) found.push(i + 1);
  }
  if (open > 0) found.push(open);
  return found;
}

/** What the CLI prints about merges: notes for the summary, and the conflicts (for stderr). Pure. */
export function renderMergeNotes(
  merges: Array<{ status: string; module: string; conflictFile?: string; conflicts: MergeConflict[] }>,
  dryRun: boolean,
  c: { yellow(s: string): string; red(s: string): string; bold(s: string): string; dim(s: string): string },
): { notes: string; conflicts: string } {
  const notes: string[] = [];
  const errors: string[] = [];
  const would = (done: string, todo: string) => (dryRun ? todo : done);
  const plural = (n: number, w: string) => `${n} ${w}${n === 1 ? '' : 's'}`;
  const range = (line: number, length: number) => (length === 0 ? `after line ${line - 1}` : length === 1 ? `line ${line}` : `lines ${line}-${line + length - 1}`);
  for (const m of merges) {
    const file = m.module.split('/').pop();
    if (m.status === 'kept') notes.push(c.dim(`  ${m.module}: edited by hand; your edits are kept (the port did not change)`));
    else if (m.status === 'merged') notes.push(c.yellow(`  ${m.module}: edited by hand; ${would('your edits were merged with the new port (clean merge)', 'your edits would merge cleanly with the new port')}`));
    else if (m.status === 'resolved') notes.push(c.yellow(`  ${m.module}: ${would('installed', 'would install')} your resolution of ${m.conflictFile ?? 'the conflict file'}, merged with the new port`));
    else if (m.status === 'forced') notes.push(c.yellow(`  ${m.module}: edited by hand; ${would('your edits were overwritten', 'your edits would be overwritten')} (--force)`));
    else if (m.status === 'conflict') {
      errors.push(
        c.red(c.bold(`port-db: ${plural(m.conflicts.length, 'conflict')} between your edits to ${m.module} and the new port`)) +
          `; ${would(`${file}, its base${file === 'models.ts' ? '' : ' and its reports'} were left as they are, the merge with conflict markers is in ${m.conflictFile}`, `nothing written (dry run); ${m.conflictFile} would hold the merge with conflict markers`)}`,
      );
      m.conflicts.forEach((k, i) =>
        errors.push(`  ${m.conflictFile}:${k.line}: conflict ${i + 1} of ${m.conflicts.length}: your ${range(k.oursLine, k.oursLength)} of ${file}, the new port's ${range(k.theirsLine, k.theirsLength)}`),
      );
      errors.push(
        `hint: resolve the markers in ${m.conflictFile} and run port-db again: it installs the result as ${file}. Delete ${m.conflictFile} to merge again from scratch, or pass --force to overwrite your edits.`,
      );
    } else if (m.status === 'unresolved') {
      errors.push(c.red(c.bold(`port-db: ${m.conflictFile} still has ${plural(m.conflicts.length, 'conflict')} from an earlier run`)) + `; nothing ${would('written', 'would be written')} for ${m.module}`);
      for (const k of m.conflicts) errors.push(`  ${m.conflictFile}:${k.line}: conflict marker`);
      errors.push(`hint: resolve the markers and run port-db again: it installs the result as ${file}. Delete ${m.conflictFile} to merge again from scratch, or pass --force to overwrite your edits.`);
    }
  }
  return { notes: notes.length ? notes.join('\n') + '\n' : '', conflicts: errors.length ? errors.join('\n') + '\n' : '' };
}

/** A module left with conflicts (this run's, or an earlier one's not yet resolved): exit 1. */
export const hasConflicts = (merges: Array<{ status: string }>) => merges.some((m) => m.status === 'conflict' || m.status === 'unresolved');

/** Every merge of a run, the api port's and the models port's, in module order (what the CLI and the API report). */
export function mergesOf<M>(modules: Array<{ merge: M; modelsMerge?: M }>): M[] {
  return modules.flatMap((m) => (m.modelsMerge ? [m.merge, m.modelsMerge] : [m.merge]));
}
