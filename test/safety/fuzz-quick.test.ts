import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { exitCodeFor } from '../../src/errors.js';
import { hasConflicts } from '../../src/port/merge.js';
import { port } from '../../src/port/run.js';
import { ROOT } from '../helpers.js';
// @ts-expect-error plain JavaScript, shared with bench/fuzz.mjs
import { classify } from '../../fuzz/classify.mjs';
// @ts-expect-error plain JavaScript, shared with bench/fuzz.mjs
import { fuzzCase } from '../../fuzz/mutate.mjs';
// @ts-expect-error plain JavaScript, shared with bench/fuzz.mjs
import { loadCorpus } from '../../fuzz/corpus.mjs';
import { scratchDir } from '../scratch.js';

/**
 * The quick, fixed-seed version of `npm run fuzz` (bench/fuzz.mjs), on src/: the seed corpus ports
 * cleanly, and random mutants of it end with exit 0, 1 or 2, never 3. Failures the fuzzer found
 * and that are not fixed yet are kept in fuzz/crashes/<id>/ (api.ts, info.json).
 */
const tool = { port, exitCodeFor, hasConflicts };
const CRASHES = join(ROOT, 'fuzz', 'crashes');
const corpus: Array<{ name: string; api: string; models: string }> = loadCorpus(ROOT);
const NOVA_MODELS = corpus.find((e) => e.name === 'nova')!.models;
const known = existsSync(CRASHES)
  ? readdirSync(CRASHES)
      .filter((d) => existsSync(join(CRASHES, d, 'info.json')))
      .map((d) => ({ dir: d, ...(JSON.parse(readFileSync(join(CRASHES, d, 'info.json'), 'utf8')) as { signature: string; corpus?: string }) }))
  : [];
const root = () => scratchDir('port-db-fuzz-');

describe('fuzzing, quick (fixed seed)', () => {
  it(`every module of the seed corpus ports, ports again unchanged, keeps a hand edit, and merges it with an upstream change (${corpus.length} modules)`, () => {
    const dir = root();
    for (const entry of corpus) {
      // the two large samples are ported twice by the golden tests already: once is enough here
      const rerun = entry.api.length < 20000;
      const r = classify(tool, dir, Buffer.from(entry.api), entry.models, rerun);
      expect(r, entry.name).toEqual({ code: 0, problem: undefined, ...(rerun ? { merged: true } : {}) });
    }
  });

  it('random mutants (deleted, duplicated, swapped tokens; bytes) end with exit 0, 1 or 2: never 3', () => {
    const dir = root();
    const small = corpus.filter((e) => e.api.length < 20000);
    const histogram: Record<string, number> = {};
    const unexpected: string[] = [];
    for (let i = 0; i < 120; i++) {
      const entry = small[i % small.length];
      const { bytes, rerun } = fuzzCase(entry.api, 20240607, i, 0.1);
      const r = classify(tool, dir, bytes, entry.models, rerun);
      histogram[r.code] = (histogram[r.code] ?? 0) + 1;
      const signature = r.problem?.signature ?? r.signature;
      if ((r.code === 3 || r.problem) && !known.some((k) => k.signature === signature)) {
        unexpected.push(`case ${i} (${entry.name}): ${signature}\n${r.stack ?? ''}`);
      }
    }
    expect(unexpected).toEqual([]);
    // the mutants reach both ends: bad input and ports
    expect(histogram[0]).toBeGreaterThan(20);
    expect(histogram[2]).toBeGreaterThan(20);
  });

  for (const k of known) {
    // a known bug: when it is fixed this test fails; then move fuzz/crashes/<dir>/api.ts to fuzz/corpus
    it.fails(`known failure fuzz/crashes/${k.dir} is not fixed yet: ${k.signature}`, () => {
      const dir = root();
      const entry = corpus.find((e) => e.name === k.corpus) ?? { models: NOVA_MODELS };
      const r = classify(tool, dir, readFileSync(join(CRASHES, k.dir, 'api.ts')), entry.models, false);
      expect(r.code === 3 || r.problem !== undefined).toBe(false);
    });
  }
});
