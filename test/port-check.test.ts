import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateModule } from '../bench/generate.mjs';
import { scan } from './check/helpers.js';
import { FIXTURES, portModelsText, portText } from './helpers.js';

/**
 * `port-db check` on a fresh port finds exactly its manual items (issue 15): every SQL reference
 * and every construct ROME lacks is either rewritten or inside a marked statement, and each
 * marker is one item of the report. Checked on every per-rewriter fixture and on a bench module;
 * the samples are checked on their written trees in golden.test.ts.
 */
const REWRITER_FIXTURES = ['create-lock', 'import', 'loader-option', 'manual', 'models', 'query', 'row-lock', 'session', 'session-add', 'transaction'];

function expectFindingsAreItems(port: ReturnType<typeof portText>, file: string): void {
  const findings = scan(port.output, file);
  expect(findings.filter((f) => f.rule !== 'manual-marker').map((f) => `${f.line}:${f.column} ${f.rule} ${f.message}`)).toEqual([]);
  const report = port.report;
  const items = [...report.module.manual, ...report.functions.flatMap((f) => f.manual)].map((m) => m.outputLine).sort((a, b) => a - b);
  expect(findings.map((f) => f.line)).toEqual(items);
}

describe('check on a port finds exactly its manual items', () => {
  for (const dir of REWRITER_FIXTURES) {
    // not the `skip-` cases: look-alikes the rewriters leave alone by design (an object with its
    // own with_lockmode()), which check, reading text without types, still reports
    const inputs = readdirSync(join(FIXTURES, dir)).filter((f) => f.endsWith('.input.ts') && !f.startsWith('skip-')).sort();
    for (const input of inputs) {
      it(`${dir}/${input}`, () => {
        const text = readFileSync(join(FIXTURES, dir, input), 'utf8');
        const models = dir === 'models';
        const own = join(FIXTURES, dir, input.replace(/\.input\.ts$/, '.models.ts'));
        const port = models ? portModelsText(text) : existsSync(own) ? portText(text, undefined, own) : portText(text);
        expectFindingsAreItems(port, models ? '/repo/svc/db/discovery/models.ts' : '/repo/svc/db/discovery/api.ts');
      });
    }
  }

  it('a bench module (Nova-shaped, generated)', () => {
    expectFindingsAreItems(portText(generateModule(120)), '/repo/svc/db/discovery/api.ts');
  });
});
