import { diff3Merge, diffComm } from 'node-diff3';
import type { MergeConflict } from '../report/result.js';

export type { MergeConflict };

/**
 * Three-way merge of a hand-edited port with a new port (line based, node-diff3).
 * base = the port port-db wrote last, ours = the module on disk (edited by hand),
 * theirs = the new port. Pure: no files, no output.
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
export function mergeThreeWay(base: string | undefined, ours: string, theirs: string, labels: MergeLabels): MergeOutcome {
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
  if (base === undefined) {
    let ai = 0;
    let bi = 0;
    const regions = diffComm(a, b);
    for (let r = 0; r < regions.length; r++) {
      const region = regions[r];
      if (region.common) {
        out.lines(region.common, r < regions.length - 1);
        ai += region.common.length;
        bi += region.common.length;
      } else {
        conflict(region.buffer1, ai, undefined, region.buffer2, bi);
        ai += region.buffer1.length;
        bi += region.buffer2.length;
      }
    }
  } else {
    const regions = diff3Merge(a, splitLines(base), b, { excludeFalseConflicts: true });
    for (let r = 0; r < regions.length; r++) {
      const region = regions[r];
      if (region.ok) out.lines(region.ok, r < regions.length - 1);
      else if (region.conflict) {
        const c = region.conflict;
        conflict(c.a, c.aIndex, c.o, c.b, c.bIndex);
      }
    }
  }
  return { text: out.text(), conflicts };
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
