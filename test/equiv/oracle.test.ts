// The verdict of a concurrent scenario (EQUIV.md §4), on outcomes written by hand: every ROME
// schedule must end as some serial order of the SQL side did.
import { describe, expect, it } from 'vitest';
import { concurrentVerdictOf } from '../../src/equiv/concurrency/oracle.js';
import { enabledRules } from '../../src/equiv/normalise.js';
import type { CallRecord, LabeledOutcome, RawOutcome, SideRuns } from '../../src/equiv/outcome.js';

const rules = enabledRules();
const options = { preemptions: 2, latencyMs: 0 };

/** Two creates of one host: who won, and the table. */
function outcome(calls: CallRecord[], hosts: string[], extra: Partial<RawOutcome> = {}): RawOutcome {
  return {
    calls,
    tables: { services: { columns: { id: { kind: 'other' }, host: { kind: 'other' }, binary: { kind: 'other' } }, primaryKey: 'id', rows: hosts.map((h, i) => ({ id: i + 1, host: 'h1', binary: h })) } },
    locks: [],
    given: [],
    ...extra,
  };
}
const created = (binary: string): CallRecord => ({ call: 'service_create', async: true, ok: { $entity: 'services', id: 1, host: 'h1', binary } });
const refused: CallRecord = { call: 'service_create', async: true, error: { name: 'ServiceTopicExists', message: 'exists' } };

// SQL: in the order 1,2 the first call wins; in 2,1 the second
const first = outcome([created('a'), refused], ['a']);
const second = outcome([refused, created('b')], ['b']);
const sql: SideRuns = {
  runs: [
    { label: '1,2', count: 1, outcome: first },
    { label: '2,1', count: 1, outcome: second },
  ],
  groups: [2],
};
const rome = (runs: LabeledOutcome[], extra: Partial<SideRuns> = {}): SideRuns => ({ runs, groups: [2], explored: { schedules: 10, exhaustive: true, random: 5 }, ...extra });

describe('the concurrent oracle', () => {
  it('every schedule ending as some serial order is equivalent; the line counts orders, schedules, outcomes', () => {
    const found = concurrentVerdictOf({ sql, reversed: sql, rome: rome([{ label: '0', count: 6, outcome: first }, { label: '1', count: 4, outcome: second }]) }, rules, [], options);
    expect(found.verdict).toBe('equivalent');
    expect(found.concurrency).toMatchObject({ orders: 2, allowed: 2, schedules: 10, exhaustive: true, outcomes: 2, divergedSchedules: 0, locks: 'none' });
  });

  it('a schedule where both requests win diverges, shown against the closest serial order with its token', () => {
    const both = outcome([created('a'), created('b')], ['a', 'b'], { locks: ['lock services:create:h1', 'expired services:create:h1'] });
    const found = concurrentVerdictOf({ sql, reversed: sql, rome: rome([{ label: '0', count: 6, outcome: first }, { label: '0.1.1', count: 3, outcome: both }], { locksTaken: true }) }, rules, [], options);
    expect(found.verdict).toBe('diverged');
    expect(found.concurrency).toMatchObject({ divergedSchedules: 3, locks: 'not-checked' });
    // closest: 1,2 (the first call's result and row agree; the second call and the extra row differ)
    expect(found.divergences?.map((d) => [d.kind, d.call, d.schedule, d.closestOrder])).toEqual([
      ['error', '#2 service_create', '0.1.1', '1,2'],
      ['store', undefined, '0.1.1', '1,2'],
    ]);
    expect(found.divergences?.[0].expiredLocks).toEqual(['services:create:h1']);
    expect(found.teethAgainst).toBeUndefined();
  });

  it('lists the functions the port made async (a sync SQL function answering a promise on ROME), compared on their awaited values', () => {
    const sync = (o: RawOutcome): RawOutcome => ({ ...o, calls: o.calls.map((c) => ({ ...c, async: undefined })) });
    const sqlSync: SideRuns = { ...sql, runs: sql.runs.map((r) => ({ ...r, outcome: sync(r.outcome) })) };
    const found = concurrentVerdictOf({ sql: sqlSync, reversed: sqlSync, rome: rome([{ label: '0', count: 10, outcome: first }]) }, rules, [], options);
    expect(found.verdict).toBe('equivalent');
    expect(found.awaited).toEqual(['service_create']);
    // both sides async: nothing made async by the port
    expect(concurrentVerdictOf({ sql, reversed: sql, rome: rome([{ label: '0', count: 10, outcome: first }]) }, rules, [], options).awaited).toBeUndefined();
  });

  it('a hang is its own kind', () => {
    const hung = outcome([created('a'), { call: 'service_create' }], ['a'], { threw: { name: 'Hang', message: 'every task is blocked' } });
    const found = concurrentVerdictOf({ sql, reversed: sql, rome: rome([{ label: '1.0', count: 1, outcome: hung }]) }, rules, [], options);
    expect(found.verdict).toBe('diverged');
    expect(found.divergences?.map((d) => d.kind)).toContain('hang');
  });

  it('hands the allowed outcomes to the teeth run when the locks were taken and nothing diverged', () => {
    const found = concurrentVerdictOf({ sql, reversed: sql, rome: rome([{ label: '0', count: 1, outcome: first }], { locksTaken: true }) }, rules, [], options);
    expect(found.verdict).toBe('equivalent');
    expect(found.concurrency?.locks).toBe('not-checked');
    expect(found.teethAgainst?.allowed).toHaveLength(2);
  });

  it('an order the SQL side answers differently with its scans reversed is order-dependent', () => {
    const reversed: SideRuns = { ...sql, runs: [sql.runs[0], { label: '2,1', count: 1, outcome: outcome([refused, created('c')], ['c']) }] };
    const found = concurrentVerdictOf({ sql, reversed, rome: rome([{ label: '0', count: 1, outcome: first }]) }, rules, [], options);
    expect(found.verdict).toBe('order-dependent');
    expect(found.reason).toContain('2,1');
  });
});
