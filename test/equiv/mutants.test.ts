import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { equiv } from '../../dist/equiv/run.js';
import type { ScenarioResult } from '../../src/report/equivalence-model.js';
import { FIXTURES } from '../helpers.js';

// EQUIV.md §6.2: mutants of the Nova sample's port, one ROME mistake each. Each must turn a
// scenario that is equivalent on the real port into a divergence: equiv sees the mistake.
// (A create lock removed and a lock never released need concurrent schedules: issue 17.)
let tmp: string;
let api: string;
let original: string;

const MUTANTS: Array<{ name: string; scenario: string; from: string; to: string }> = [
  {
    name: 'a session.add removed (service_report_state)',
    scenario: 'service_heartbeat and service_report_state',
    from: '    service_ref.report_count++;\n    session.add(service_ref);\n',
    to: '    service_ref.report_count++;\n',
  },
  {
    name: 'a filter dropped (service_get_by_host_and_topic)',
    scenario: 'service_get_by_host_and_topic: only the live, enabled service',
    from: '      .filter_by({ disabled: false })\n',
    to: '',
  },
  {
    name: 'model_query reduced to a bare query (soft-deleted rows come back)',
    scenario: 'instance_destroy: soft-deleted, then hidden',
    from: "  if (read_deleted === 'no') {",
    to: '  if (false) {',
  },
  {
    name: 'a uniqueness check that never matches (service_create)',
    scenario: 'service_create: a new service, then the same host/topic',
    from: '.filter_by({ host: service_ref.host, topic: service_ref.topic })',
    to: ".filter_by({ host: service_ref.host, topic: 'never-a-topic' })",
  },
  {
    name: 'the filters widened to none (instance_get_all_by_filters)',
    scenario: 'instance_get_all_by_filters: exact keys, uuids, deleted, project scoping',
    from: "    const read_deleted = filters.deleted ? 'only' : context.read_deleted;\n",
    to: "    filters = {};\n    const read_deleted = filters.deleted ? 'only' : context.read_deleted;\n",
  },
];

async function verdict(scenario: string): Promise<ScenarioResult> {
  const result = await equiv({ roots: [join(tmp, 'nova')], only: scenario });
  const found = result.modules[0].scenarios;
  expect(found.length).toBeGreaterThan(0);
  return found[0];
}

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'port-db-mutants-'));
  cpSync(join(FIXTURES, 'nova'), join(tmp, 'nova'), { recursive: true });
  api = join(tmp, 'nova', 'nova', 'db', 'discovery', 'api.ts');
  original = readFileSync(api, 'utf8');
});

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('each mutant of the Nova port diverges on a scenario the real port passes', () => {
  for (const m of MUTANTS) {
    it(m.name, async () => {
      writeFileSync(api, original);
      expect((await verdict(m.scenario)).verdict).toBe('equivalent');
      // the mutation site must exist: a port that changed shape needs this list updated
      expect(original.split(m.from).length - 1).toBe(1);
      writeFileSync(api, original.replace(m.from, m.to));
      try {
        const mutated = await verdict(m.scenario);
        expect(mutated.verdict).toBe('diverged');
      } finally {
        writeFileSync(api, original);
      }
    });
  }
});
