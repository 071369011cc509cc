import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderRules } from '../../src/report/rules.js';
import { loadRulePack } from '../../src/rules.js';
import { expectFile, ROOT } from '../helpers.js';

describe('docs/RULES.md', () => {
  it('is what `port-db rules --format md` prints for the bundled pack', () => {
    const { expected, actual } = expectFile(join(ROOT, 'docs', 'RULES.md'), renderRules(loadRulePack(), 'md', { cwd: ROOT }));
    expect(actual, 'docs/RULES.md drifted from the rewriters, checks or rules/default.json: regenerate it with UPDATE_FIXTURES=1 npm test').toBe(expected);
  });
});
