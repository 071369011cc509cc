import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { generateModule } from '../../bench/generate.mjs';
import { findConflictMarkers, mergeThreeWay, splitLines } from '../../src/port/merge.js';

const labels = { ours: 'api.ts (your edits)', base: 'base', theirs: 'new port' };
const merge = (base: string | undefined, ours: string, theirs: string) => mergeThreeWay(base, ours, theirs, labels);
/** The same merge on the anchored alignment alone (the path of big modules: no Myers anywhere). */
const anchored = (base: string | undefined, ours: string, theirs: string) => mergeThreeWay(base, ours, theirs, labels, { wholeBudget: 0, gapBudget: 0 });

/** Texts made of a few distinct lines, so that random edits overlap often. */
const line = fc.constantFrom('a', 'b', 'c', 'd', '}', '', '  return x;', 'const y = 1;');
const text = fc.tuple(fc.array(line, { maxLength: 12 }), fc.boolean(), fc.boolean()).map(([ls, eol, crlf]) => {
  const joined = ls.join(crlf ? '\r\n' : '\n');
  return ls.length && eol ? joined + (crlf ? '\r\n' : '\n') : joined;
});
/** An edit of a text: lines deleted, inserted or changed. */
const edited = (t: string) =>
  fc.array(fc.tuple(fc.nat(), fc.constantFrom('del', 'ins', 'set'), line), { maxLength: 4 }).map((ops) => {
    const ls = splitLines(t);
    for (const [at, op, l] of ops) {
      const i = ls.length ? at % (ls.length + (op === 'ins' ? 1 : 0)) : 0;
      if (op === 'del' && ls.length) ls.splice(i, 1);
      else if (op === 'ins') ls.splice(i, 0, l + '\n');
      else if (ls.length) ls[i] = l + (ls[i].endsWith('\n') ? '\n' : '');
    }
    return ls.join('');
  });
const triple = text.chain((base) => fc.tuple(fc.constant(base), edited(base), edited(base)));

describe('three-way merge of hand edits (diff3 over the line diffs)', () => {
  it.each([['Myers', merge], ['anchored', anchored]])('keeps the hand edits when the port did not change, and takes the port when nothing was edited (%s)', (_, merge) => {
    fc.assert(
      fc.property(triple, ([base, ours, theirs]) => {
        expect(merge(base, ours, base)).toEqual({ text: ours, conflicts: [] });
        expect(merge(base, base, theirs)).toEqual({ text: theirs, conflicts: [] });
        expect(merge(base, theirs, theirs)).toEqual({ text: theirs, conflicts: [] });
      }),
      { numRuns: 300 },
    );
  });

  it.each([['Myers', merge], ['anchored', anchored]])('a clean merge contains every line both sides added; a conflict points at its markers and at the edited lines (%s)', (_, merge) => {
    fc.assert(
      fc.property(triple, ([base, ours, theirs]) => {
        const m = merge(base, ours, theirs);
        const out = splitLines(m.text).map((l) => l.replace(/\r?\n$/, ''));
        if (m.conflicts.length === 0) {
          expect(findConflictMarkers(m.text)).toEqual([]);
        } else {
          expect(findConflictMarkers(m.text)).toEqual(m.conflicts.map((c) => c.line));
          const oursLines = splitLines(ours);
          for (const c of m.conflicts) {
            expect(out[c.line - 1]).toBe('<<<<<<< api.ts (your edits)');
            expect(out[c.endLine - 1]).toBe('>>>>>>> new port');
            // the lines of ours the conflict names are the ones right after the marker
            expect(splitLines(m.text).slice(c.line, c.line + c.oursLength).map((l) => l.replace(/\r?\n$/, ''))).toEqual(
              oursLines.slice(c.oursLine - 1, c.oursLine - 1 + c.oursLength).map((l) => l.replace(/\r?\n$/, '')),
            );
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it('is exact on text: a merge of edits to different regions is both edits, byte for byte', () => {
    const base = 'a\nb\nc\nd\ne\nf\n';
    expect(merge(base, 'a\nB\nc\nd\ne\nf\n', 'a\nb\nc\nd\nE\nf\n')).toEqual({ text: 'a\nB\nc\nd\nE\nf\n', conflicts: [] });
    expect(merge(base.replace(/\n/g, '\r\n'), 'a\r\nB\r\nc\r\nd\r\ne\r\nf\r\n', 'a\r\nb\r\nc\r\nd\r\nE\r\nf\r\n').text).toBe('a\r\nB\r\nc\r\nd\r\nE\r\nf\r\n');
  });

  it('writes a conflict in diff3 style, with the base between the two sides', () => {
    const m = merge('x\nkeep\n', 'mine\nkeep\n', 'theirs\nkeep\n');
    expect(m.text).toBe('<<<<<<< api.ts (your edits)\nmine\n||||||| base\nx\n=======\ntheirs\n>>>>>>> new port\nkeep\n');
    expect(m.conflicts).toEqual([{ line: 1, endLine: 7, oursLine: 1, oursLength: 1, theirsLine: 1, theirsLength: 1 }]);
  });

  it('without a base every difference is a conflict: nothing is taken on a guess', () => {
    const m = merge(undefined, 'same\nmine\nsame2\n', 'same\ntheirs\nsame2\n');
    expect(m.conflicts).toHaveLength(1);
    expect(m.text).toBe('same\n<<<<<<< api.ts (your edits)\nmine\n=======\ntheirs\n>>>>>>> new port\nsame2\n');
    fc.assert(
      fc.property(text, text, (a, b) => {
        const r = merge(undefined, a, b);
        expect(r.conflicts.length === 0).toBe(a === b);
      }),
      { numRuns: 200 },
    );
  });

  it('edits to regions apart from each other merge cleanly into both, on either alignment', () => {
    // distinct lines between the edited ones: the regions are apart whatever the alignment
    const region = fc.array(fc.constantFrom('}', '', '  return x;', 'a', 'b'), { maxLength: 5 });
    fc.assert(
      fc.property(region, region, region, region, region, (r1, r2, r3, mine, theirs) => {
        const join = (...parts: string[][]) => parts.flat().map((l) => l + '\n').join('');
        const base = join(r1, ['ANCHOR 1'], r2, ['ANCHOR 2'], r3);
        const ours = join(r1, ['ANCHOR 1'], ['// mine', ...mine], r2, ['ANCHOR 2'], r3);
        const theirsText = join(r1, ['ANCHOR 1'], r2, ['ANCHOR 2'], ['// theirs', ...theirs], r3);
        const want = join(r1, ['ANCHOR 1'], ['// mine', ...mine], r2, ['ANCHOR 2'], ['// theirs', ...theirs], r3);
        expect(merge(base, ours, theirsText)).toEqual({ text: want, conflicts: [] });
        expect(anchored(base, ours, theirsText)).toEqual({ text: want, conflicts: [] });
      }),
      { numRuns: 300 },
    );
  });

  it('a hand edit and an upstream change on a 50k-line module (`}` and blank lines by the thousand) merge into both', () => {
    // node-diff3's LCS took more than 11 minutes here (issue 18): the bench (npm run bench:merge) measures it
    const lines = splitLines(generateModule(2120));
    expect(lines.length).toBeGreaterThan(50_000);
    const base = lines.join('');
    // the edited lines: declarations (a line a person edits), far apart
    const at = (n: number) => lines.findIndex((l, i) => i >= n && l.startsWith('export '));
    const [mine, upstream] = [at(20_000), at(40_000)];
    const ours = [...lines];
    ours[mine] = ours[mine].replace(/\n$/, ' // mine\n');
    ours.splice(100, 0, '// checked by hand\n');
    const theirs = [...lines];
    theirs[upstream] = '/* upstream */ ' + theirs[upstream];
    theirs.push('export const added = 1;\n');
    const want = [...ours];
    want[upstream + 1] = theirs[upstream];
    want.push('export const added = 1;\n');
    const m = merge(base, ours.join(''), theirs.join(''));
    expect(m.conflicts).toEqual([]);
    expect(m.text).toBe(want.join(''));
    // the same line changed on both sides: one conflict, at that line
    const clash = [...theirs];
    clash[mine] = clash[mine].replace(/\n$/, ' // theirs\n');
    const c = merge(base, ours.join(''), clash.join(''));
    expect(c.conflicts).toHaveLength(1);
    expect(c.conflicts[0]).toMatchObject({ oursLine: mine + 2, oursLength: 1, theirsLine: mine + 1, theirsLength: 1 });
  });

  it('a last line without a newline still gets its marker on a line of its own', () => {
    const m = merge('a\nb', 'a\nmine', 'a\ntheirs');
    expect(m.text).toBe('a\n<<<<<<< api.ts (your edits)\nmine\n||||||| base\nb\n=======\ntheirs\n>>>>>>> new port\n');
    expect(findConflictMarkers(m.text)).toEqual([2]);
  });
});
