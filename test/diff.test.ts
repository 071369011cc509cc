import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { applyPatch, createTwoFilesPatch, diffArrays, FILE_HEADERS_ONLY, structuredPatch } from 'diff';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { diffHunks, renderDiff, type DiffOptions, type Hunk } from '../src/report/diff.js';
import { generateModule } from '../bench/generate.mjs';
import { portText } from './helpers.js';

const FIXTURES = resolve(__dirname, '..', 'fixtures');
const read = (...p: string[]) => readFileSync(join(FIXTURES, ...p), 'utf8');

/** Source module → committed port, for both sample trees. */
const SAMPLES = [
  ['nova', read('nova', 'nova', 'db', 'sqlalchemy', 'api.ts'), read('nova', 'nova', 'db', 'discovery', 'api.ts')],
  ['glance', read('glance', 'glance', 'db', 'sqlalchemy', 'api.ts'), read('glance', 'glance', 'db', 'discovery', 'api.ts')],
] as const;

/**
 * Whether Myers finishes these two texts within renderDiff's budget (1,000,000 steps). The Nova
 * port, formatted with its tree's prettier config, changes more lines than that allows.
 */
const underBudget = (a: string, b: string) => {
  const [x, y] = [a.split('\n'), b.split('\n')];
  return diffArrays(x, y, { maxEditLength: Math.floor(1_000_000 / (x.length + y.length)) }) !== undefined;
};
const novaSource = read('nova', 'nova', 'db', 'sqlalchemy', 'api.ts');
/** Pairs under the budget: the samples that are, and the Nova port in port-db's own style. */
const SMALL = [...SAMPLES.filter(([, a, b]) => underBudget(a, b)), ['nova, unformatted', novaSource, portText(novaSource).output] as const];

/** Whole-text Myers never runs: the anchored alignment is what big modules get. */
const ANCHORED: DiffOptions = { wholeBudget: 0 };

const work = mkdtempSync(join(tmpdir(), 'port-db-diff-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Applies the patch with `git apply` and with `patch -p1` to a copy of `before`; returns both results. */
function applyWithTools(before: string, patch: string): { git: string; patch: string } {
  const dir = mkdtempSync(join(work, 'case-'));
  const file = join(dir, 'api.ts');
  writeFileSync(join(dir, 'change.diff'), patch);
  writeFileSync(file, before);
  execFileSync('git', ['apply', '--whitespace=nowarn', 'change.diff'], { cwd: dir, stdio: 'pipe' });
  const git = readFileSync(file, 'utf8');
  writeFileSync(file, before);
  execFileSync('patch', ['-p1', '-s', '--no-backup-if-mismatch', '-i', 'change.diff'], { cwd: dir, stdio: 'pipe' });
  return { git, patch: readFileSync(file, 'utf8') };
}

const changed = (hunks: Hunk[]) => hunks.reduce((n, h) => n + h.lines.filter((l) => l[0] === '+' || l[0] === '-').length, 0);
const myersHunks = (a: string, b: string): Hunk[] => structuredPatch('a', 'b', a, b, '', '', { context: 3 })!.hunks;

describe('renderDiff: a unified diff that reproduces the port', () => {
  for (const [name, before, after] of SAMPLES) {
    for (const [mode, options] of [['default', undefined], ['anchored', ANCHORED]] as const) {
      it(`${name}: git apply and patch turn the source into the port (${mode})`, () => {
        const hunks = diffHunks(before, after, options);
        expect(hunks.length).toBeGreaterThan(0);
        const patch = mode === 'default' ? renderDiff('a/api.ts', 'b/api.ts', before, after) : render(hunks);
        const out = applyWithTools(before, patch);
        expect(out.git).toBe(after);
        expect(out.patch).toBe(after);
      });
    }

    it(`${name}: the anchored alignment is as small as Myers' (same changed lines, no more hunks)`, () => {
      const anchored = diffHunks(before, after, ANCHORED);
      const myers = myersHunks(before, after);
      expect(changed(anchored)).toBe(changed(myers));
      expect(anchored.length).toBeLessThanOrEqual(myers.length);
    });
  }

  for (const [name, before, after] of SMALL) {
    it(`${name}: under the Myers budget the diff is exactly jsdiff's createTwoFilesPatch`, () => {
      expect(underBudget(before, after)).toBe(true);
      const expected = createTwoFilesPatch('a/x.ts', 'b/y.ts', before, after, undefined, undefined, { context: 3, headerOptions: FILE_HEADERS_ONLY });
      expect(renderDiff('a/x.ts', 'b/y.ts', before, after)).toBe(expected);
    });
  }

  it('a generated 6k-line module and a codemod-like edit of it: valid, and as small as Myers', () => {
    const before: string = generateModule(250);
    const after = codemod(before);
    const hunks = diffHunks(before, after);
    expect(applyPatch(before, render(hunks))).toBe(after);
    expect(applyWithTools(before, render(hunks)).git).toBe(after);
    const myers = myersHunks(before, after);
    expect(changed(hunks)).toBe(changed(myers));
    expect(hunks.length).toBeLessThanOrEqual(myers.length);
  });

  it('a 50k-line pair (past any Myers budget) still gives a valid patch', () => {
    const before: string = generateModule(2000);
    const after = codemod(before);
    const hunks = diffHunks(before, after);
    expect(hunks.length).toBeGreaterThan(300);
    expect(applyPatch(before, render(hunks))).toBe(after);
  });

  it('no change, no diff; headers, colour and "\\ No newline at end of file"', () => {
    expect(renderDiff('a/f', 'b/f', 'x\ny\n', 'x\ny\n')).toBe('');
    expect(renderDiff('a/f', 'b/f', '', '')).toBe('');
    expect(renderDiff('a/f', 'b/f', 'x\ny', 'x\nz')).toBe('--- a/f\n+++ b/f\n@@ -1,2 +1,2 @@\n x\n-y\n\\ No newline at end of file\n+z\n\\ No newline at end of file\n');
    expect(renderDiff('a/f', 'b/f', '', 'x\n')).toBe('--- a/f\n+++ b/f\n@@ -0,0 +1,1 @@\n+x\n');
    expect(renderDiff('a/f', 'b/f', 'x\n', '')).toBe('--- a/f\n+++ b/f\n@@ -1,1 +0,0 @@\n-x\n');
    const colours = { bold: (s: string) => `B(${s})`, cyan: (s: string) => `C(${s})`, green: (s: string) => `G(${s})`, red: (s: string) => `R(${s})` };
    expect(renderDiff('a/f', 'b/f', 'x\ny\n', 'x\nz\n', colours as never)).toBe('B(--- a/f)\nB(+++ b/f)\nC(@@ -1,2 +1,2 @@)\n x\nR(-y)\nG(+z)\n');
  });
});

describe('renderDiff on random edits (fast-check)', () => {
  /** Texts from few distinct lines (many repeats), optionally CRLF or without a final newline. */
  const texts = fc
    .record({
      base: fc.array(fc.constantFrom('a', 'b', 'c', '}', '', '  return x;', 'd', 'e'), { maxLength: 60 }),
      edits: fc.array(
        fc.record({
          op: fc.constantFrom('insert', 'delete', 'replace', 'move', 'duplicate'),
          at: fc.nat(),
          len: fc.integer({ min: 1, max: 8 }),
          line: fc.constantFrom('a', 'x', 'y', 'z', '}', '', 'new line'),
        }),
        { maxLength: 8 },
      ),
      crlf: fc.boolean(),
      noFinalNewlineBefore: fc.boolean(),
      noFinalNewlineAfter: fc.boolean(),
    })
    .map(({ base, edits, crlf, noFinalNewlineBefore, noFinalNewlineAfter }) => {
      const after = applyEdits(base, edits);
      const join = (lines: string[], open: boolean) => {
        const eol = crlf ? '\r\n' : '\n';
        const t = lines.join(eol);
        return lines.length === 0 ? '' : open ? t : t + eol;
      };
      return { before: join(base, noFinalNewlineBefore), after: join(after, noFinalNewlineAfter) };
    });

  it('small inputs: byte-identical to createTwoFilesPatch (both are Myers, formatted alike)', () => {
    fc.assert(
      fc.property(texts, ({ before, after }) => {
        const mine = renderDiff('a/f.ts', 'b/f.ts', before, after);
        const theirs = createTwoFilesPatch('a/f.ts', 'b/f.ts', before, after, undefined, undefined, { context: 3, headerOptions: FILE_HEADERS_ONLY });
        expect(mine).toBe(before === after ? '' : theirs);
      }),
      { numRuns: 400 },
    );
  });

  it('anchored alignment: the patch reproduces the new text, and changes no fewer lines than Myers', () => {
    fc.assert(
      fc.property(texts, ({ before, after }) => {
        const hunks = diffHunks(before, after, ANCHORED);
        if (before === after) {
          expect(hunks).toEqual([]);
          return;
        }
        expect(applyPatch(before, render(hunks))).toBe(after);
        expect(changed(hunks)).toBeGreaterThanOrEqual(changed(myersHunks(before, after)));
      }),
      { numRuns: 400 },
    );
  });

  it('anchored alignment with gaps Myers may not finish: still a valid patch', () => {
    fc.assert(
      fc.property(texts, ({ before, after }) => {
        const hunks = diffHunks(before, after, { wholeBudget: 0, gapBudget: 4 });
        if (before !== after) expect(applyPatch(before, render(hunks))).toBe(after);
      }),
      { numRuns: 300 },
    );
  });

  it('lines unique on each side: the anchored diff is minimal (as many changed lines as Myers)', () => {
    const unique = fc
      .record({ n: fc.integer({ min: 0, max: 40 }), keep: fc.array(fc.boolean(), { minLength: 40, maxLength: 40 }), moves: fc.array(fc.tuple(fc.nat(39), fc.nat(39)), { maxLength: 4 }), fresh: fc.array(fc.tuple(fc.nat(40), fc.nat(5)), { maxLength: 6 }) })
      .map(({ n, keep, moves, fresh }) => {
        const base = Array.from({ length: n }, (_, i) => `line ${i}`);
        let next = base.filter((_, i) => keep[i]);
        for (const [from, to] of moves) {
          if (next.length === 0) break;
          const [l] = next.splice(from % next.length, 1);
          next.splice(to % (next.length + 1), 0, l);
        }
        fresh.forEach(([at, k], f) => next.splice(at % (next.length + 1), 0, ...Array.from({ length: k }, (_, i) => `new ${f}.${i}`)));
        return { before: base.map((l) => l + '\n').join(''), after: next.map((l) => l + '\n').join('') };
      });
    fc.assert(
      fc.property(unique, ({ before, after }) => {
        const hunks = diffHunks(before, after, ANCHORED);
        expect(applyPatch(before, render(hunks))).toBe(before === after ? before : after);
        expect(changed(hunks)).toBe(changed(myersHunks(before, after)));
      }),
      { numRuns: 300 },
    );
  });

  it('git apply agrees on a sample of random cases', () => {
    const samples = fc.sample(texts, { numRuns: 25, seed: 42 }).filter(({ before, after }) => before !== after);
    for (const { before, after } of samples) {
      const out = applyWithTools(before, render(diffHunks(before, after, ANCHORED)));
      expect(out.git).toBe(after);
      expect(out.patch).toBe(after);
    }
  });
});

/** The hunks as a patch of `a/api.ts` (what renderDiff prints, without colour). */
function render(hunks: Hunk[]): string {
  const out = ['--- a/api.ts', '+++ b/api.ts'];
  for (const h of hunks) {
    out.push(`@@ -${h.oldLines === 0 ? h.oldStart - 1 : h.oldStart},${h.oldLines} +${h.newLines === 0 ? h.newStart - 1 : h.newStart},${h.newLines} @@`, ...h.lines);
  }
  return out.join('\n') + '\n';
}

function applyEdits(base: string[], edits: Array<{ op: string; at: number; len: number; line: string }>): string[] {
  const out = [...base];
  for (const e of edits) {
    const at = out.length === 0 ? 0 : e.at % (out.length + 1);
    if (e.op === 'insert') out.splice(at, 0, ...Array.from({ length: e.len }, () => e.line));
    else if (e.op === 'delete') out.splice(at, e.len);
    else if (e.op === 'replace') out.splice(at, e.len, e.line);
    else if (e.op === 'duplicate') out.splice(at, 0, ...out.slice(at, at + e.len));
    else {
      const block = out.splice(at, e.len);
      out.splice(out.length === 0 ? 0 : (e.at * 7) % (out.length + 1), 0, ...block);
    }
  }
  return out;
}

/** What a port does to a module, roughly: rewrites some lines, inserts some, deletes some. */
function codemod(text: string): string {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    if (/\.options\(joinedload/.test(line)) continue;
    if (/^import .* from 'sqlalchemy'/.test(line)) {
      out.push("import { or_, and_, NoResultFound } from 'rome-orm';");
      continue;
    }
    if (/\.one\(\);$/.test(line)) {
      out.push(line.replace(/(\s*)(.*)\.one\(\);$/, '$1// port-db: one() keeps its SQL contract'), line.replace('.one();', '.all();'));
      continue;
    }
    out.push(line.replace(', { subtransactions: true }', '').replace('.limit(limit).all()', '.all()).slice(0, limit)'));
    if (/\w+_ref\.update\(values\);$/.test(line)) out.push(line.replace(/(\w+_ref)\.update\(values\);$/, 'session.add($1);'));
  }
  return out.join('\n');
}
