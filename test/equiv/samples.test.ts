import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { equiv } from '../../dist/equiv/run.js';
import { FIXTURES, UPDATE } from '../helpers.js';

// `port-db equiv` on the bundled samples, in CI: the whole report is a golden file (every verdict,
// divergence and accept reason; read its diff when a rewriter changes), and the SQL module against
// itself is equivalent on every scenario (the reference runs them, and they are deterministic).
const SAMPLES = ['nova', 'glance'];

for (const sample of SAMPLES) {
  describe(`equiv on the ${sample} sample`, () => {
    const root = join(FIXTURES, sample);
    const expected = join(root, sample, 'db', 'equiv', 'equivalence.expected.json');

    it('gives the expected report (fixtures/…/db/equiv/equivalence.expected.json)', async () => {
      const actual = JSON.stringify(await equiv({ roots: [sample], cwd: FIXTURES }), null, 2) + '\n';
      if (UPDATE || !existsSync(expected)) writeFileSync(expected, actual);
      expect(actual).toBe(readFileSync(expected, 'utf8'));
    });

    it('finds the SQL module equivalent to itself on every scenario', async () => {
      const result = await equiv({ roots: [sample], cwd: FIXTURES, against: 'source' });
      const notEquivalent = result.modules.flatMap((m) => m.scenarios.filter((s) => s.verdict !== 'equivalent' && !/concurrent groups/.test(s.reason ?? '')));
      expect(notEquivalent.map((s) => `${s.name}: ${s.verdict} ${s.reason ?? JSON.stringify(s.divergences)}`)).toEqual([]);
    });
  });
}
