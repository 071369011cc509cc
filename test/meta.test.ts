import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ALL_REWRITERS } from '../src/rewriters/index.js';
import { loadRulePack } from '../src/rules.js';
import { FIXTURES, ROOT } from './helpers.js';

const NOT_REWRITERS = new Set(['index.ts', 'types.ts', 'helpers.ts', 'locks.ts', 'library.ts', 'loaded-row.ts', 'own-query-session.ts', 'fresh-session-soft-delete.ts', 'nested-begin.ts', 'query-loop.ts']);

describe('registry', () => {
  const files = readdirSync(join(ROOT, 'src', 'rewriters')).filter((f) => f.endsWith('.ts') && !NOT_REWRITERS.has(f));

  it('registers every rewriter file, under its file name', () => {
    expect(ALL_REWRITERS.map((r) => `${r.id}.ts`).sort()).toEqual(files.sort());
  });

  for (const r of ALL_REWRITERS) {
    it(`${r.id} declares a title, a description and a sample`, () => {
      expect(r.title).toMatch(/^[A-Z][^.]*[^.]$/);
      expect(r.description.length).toBeGreaterThan(40);
      expect(r.samples.length).toBeGreaterThan(0);
    });
    it(`${r.id} has a change fixture and a skip fixture`, () => {
      const dir = join(FIXTURES, r.id);
      expect(existsSync(dir)).toBe(true);
      const inputs = readdirSync(dir).filter((f) => f.endsWith('.input.ts'));
      expect(inputs.some((f) => f.startsWith('skip-'))).toBe(true);
      expect(inputs.some((f) => !f.startsWith('skip-'))).toBe(true);
    });
  }

  it('the default pack loads and names only known construct actions', () => {
    const pack = loadRulePack();
    expect(pack.name).toBe('default');
    for (const action of Object.values(pack.constructs)) expect(['drop', 'map', 'manual']).toContain(action);
  });
});
