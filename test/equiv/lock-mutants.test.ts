// Issue 17: removing any one lock a sample port takes makes its concurrent scenario diverge —
// each lock guards something SQL's unique keys or row locks guaranteed, and the schedules show
// it. The mutant drops the acquire (the release of a lock not held does nothing in ROME). That
// the real port's scenarios are equivalent, exhaustive and have teeth, the samples' golden
// reports say (samples.test.ts).
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { equiv } from '../../dist/equiv/run.js';
import type { ScenarioResult } from '../../src/report/equivalence-model.js';
import { FIXTURES } from '../helpers.js';

const LOCKS: Record<'nova' | 'glance', Array<{ lock: string; scenario: string }>> = {
  nova: [
    { lock: 'services:create:${values.host}', scenario: 'service_create: the same host/topic twice at once' },
    { lock: 'fixed_ips:${address}', scenario: 'fixed_ip_associate: two instances take the same free address at once' },
    { lock: 'security_groups:create:${values.project_id}:${values.name}', scenario: 'security_group_create: the same project/name twice at once' },
    { lock: 'key_pairs:create:${values.user_id}:${values.name}', scenario: 'key_pair_create: the same user/name twice at once' },
    { lock: 'quotas:create:${project_id}:${resource}', scenario: 'quota_create: the same project/resource twice at once' },
    { lock: 'quota_usages:${project_id}', scenario: 'quota_reserve: two reservations against one usage row at once' },
    { lock: 'cells:create:${values.name}', scenario: 'cell_create: the same name twice at once' },
  ],
  glance: [
    { lock: 'images:create', scenario: 'image_create: two requests register the same client-chosen id at once' },
    { lock: 'image_properties:create:${values.image_id}:${values.name}', scenario: 'image_property_create: two requests create the same image/name at once' },
    // image_members:create guards a key Glance never fills (deleted_at is dropped from the values):
    // its scenario is `weak` (glance/db/equiv/equivalence.expected.json), and no removal can show it
  ],
};

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'port-db-lock-mutants-'));
  for (const sample of Object.keys(LOCKS)) cpSync(join(FIXTURES, sample), join(tmp, sample), { recursive: true });
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function verdict(sample: string, scenario: string): Promise<ScenarioResult> {
  const result = await equiv({ roots: [join(tmp, sample)], only: scenario });
  const [found] = result.modules[0].scenarios;
  expect(found?.name).toContain(scenario);
  return found;
}

for (const [sample, locks] of Object.entries(LOCKS)) {
  describe(`each lock of the ${sample} port: without it, its concurrent scenario diverges`, () => {
    for (const { lock, scenario } of locks) {
      it(lock, async () => {
        const api = join(tmp, sample, sample, 'db', 'discovery', 'api.ts');
        const original = readFileSync(api, 'utf8');
        const site = `const lock_name = \`${lock}\`;\n`;
        const acquire = new RegExp(`(${site.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*)await acquire_lock\\(lock_name\\);\\n`);
        // the lock must be there once: a port that changed shape needs this list updated
        expect(original.split(site).length - 1).toBe(1);
        expect(acquire.test(original)).toBe(true);
        writeFileSync(api, original.replace(acquire, '$1'));
        try {
          const mutated = await verdict(sample, scenario);
          expect(mutated.verdict).toBe('diverged');
          expect(mutated.divergences?.[0].schedule).toMatch(/^[0-9a-z.]+$/);
        } finally {
          writeFileSync(api, original);
        }
      });
    }
  });
}
