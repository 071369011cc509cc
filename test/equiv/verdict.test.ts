import { describe, expect, it } from 'vitest';
import { enabledRules, normalise } from '../../src/equiv/normalise.js';
import type { Plain, RawOutcome, TableDump } from '../../src/equiv/outcome.js';
import { verdictOf } from '../../src/equiv/verdict.js';

// Verdicts from hand-made runs: what the normaliser tolerates (each rule, and only when it is on),
// and what it must not.
const services = (rows: TableDump['rows']): Record<string, TableDump> => ({
  services: { columns: { id: { kind: 'other' }, host: { kind: 'other' }, deleted: { kind: 'other' }, created_at: { kind: 'datetime' }, updated_at: { kind: 'datetime' }, disabled: { kind: 'boolean' } }, primaryKey: 'id', rows },
});
const outcome = (o: Partial<RawOutcome>): RawOutcome => ({ calls: [], tables: {}, locks: [], given: [], ...o });
const all = enabledRules();
const same = (o: RawOutcome) => ({ sql: o, reversed: o });

describe('verdictOf', () => {
  it('equal runs are equivalent', () => {
    const o = outcome({ calls: [{ call: 'service_get', ok: { $entity: 'services', id: 1, host: 'h1' } }], tables: services([{ id: 1, host: 'h1', deleted: 0, created_at: null, updated_at: null, disabled: false }]) });
    expect(verdictOf({ ...same(o), rome: o }, all).verdict).toBe('equivalent');
  });

  it('a different value of a call is a result divergence, naming the call and the path', () => {
    const sql = outcome({ calls: [{ call: 'service_update', ok: { $entity: 'services', id: 1, host: 'h2' } }] });
    const rome = outcome({ calls: [{ call: 'service_update', ok: { $entity: 'services', id: 1, host: 'h1' } }] });
    const v = verdictOf({ ...same(sql), rome }, all);
    expect(v.verdict).toBe('diverged');
    expect(v.divergences).toEqual([{ kind: 'result', call: '#1 service_update', differences: [{ path: 'calls[0].ok.host', sql: 'h2', rome: 'h1' }] }]);
  });

  it('an error on one side only is an error divergence; errors match by class name and columns, not message', () => {
    const sql = outcome({ calls: [{ call: 'service_create', error: { name: 'DBDuplicateEntry', message: 'UNIQUE constraint failed', columns: ['topic', 'host'] } }] });
    const romeSame = outcome({ calls: [{ call: 'service_create', error: { name: 'DBDuplicateEntry', message: 'other words', columns: ['host', 'topic'] } }] });
    const romeOk = outcome({ calls: [{ call: 'service_create', ok: null }] });
    expect(verdictOf({ ...same(sql), rome: romeSame }, all).verdict).toBe('equivalent');
    const v = verdictOf({ ...same(sql), rome: romeOk }, all);
    expect(v.verdict).toBe('diverged');
    expect(v.divergences![0].kind).toBe('error');
  });

  it('a different final table is a store divergence', () => {
    const sql = outcome({ tables: services([{ id: 1, host: 'h1', deleted: 0, created_at: null, updated_at: null, disabled: true }]) });
    const rome = outcome({ tables: services([{ id: 1, host: 'h1', deleted: 0, created_at: null, updated_at: null, disabled: false }]) });
    expect(verdictOf({ ...same(sql), rome }, all).divergences).toEqual([{ kind: 'store', differences: [{ path: 'tables.services[0].disabled', sql: true, rome: false }] }]);
  });

  it('a listed accept makes it accepted, with its reason; one of another kind does not', () => {
    const sql = outcome({ calls: [{ call: 'f', ok: 1 }] });
    const rome = outcome({ calls: [{ call: 'f', ok: 2 }] });
    const v = verdictOf({ ...same(sql), rome }, all, [{ kind: 'result', call: 'f', reason: 'ROME counts differently' }]);
    expect(v.verdict).toBe('accepted');
    expect(v.accepted).toEqual([{ kind: 'result', call: 'f', reason: 'ROME counts differently' }]);
    expect(verdictOf({ ...same(sql), rome }, all, [{ kind: 'store', reason: 'x' }]).verdict).toBe('diverged');
    expect(verdictOf({ ...same(sql), rome }, all, [{ kind: 'result', call: 'g', reason: 'x' }]).verdict).toBe('diverged');
  });

  it('a construct one side does not run makes it skipped, never equivalent', () => {
    const o = outcome({});
    const rome = outcome({ unsupported: { call: 'flavor_get_all', message: 'unsupported in the SQL reference: text()' } });
    const v = verdictOf({ ...same(o), rome }, all);
    expect(v.verdict).toBe('skipped');
    expect(v.reason).toBe('ROME side, at flavor_get_all: unsupported in the SQL reference: text()');
  });

  it('lists whose order changes with the scan order are compared as multisets; a first() that changes is order-dependent', () => {
    const list = (xs: string[]) => outcome({ calls: [{ call: 'key_pair_get_all_by_user', ok: xs }] });
    expect(verdictOf({ sql: list(['a', 'b']), reversed: list(['b', 'a']), rome: list(['b', 'a']) }, all).verdict).toBe('equivalent');
    expect(verdictOf({ sql: list(['a', 'b']), reversed: list(['b', 'a']), rome: list(['a', 'c']) }, all).verdict).toBe('diverged');
    const first = (x: string) => outcome({ calls: [{ call: 'fixed_ip_get_by_host', ok: x }] });
    expect(verdictOf({ sql: first('a'), reversed: first('b'), rome: first('a') }, all).verdict).toBe('order-dependent');
    // with the rule off, a list in another order is already a dependence on order
    const off = enabledRules({ unordered: false });
    expect(verdictOf({ sql: list(['a', 'b']), reversed: list(['b', 'a']), rome: list(['a', 'b']) }, off).verdict).toBe('order-dependent');
  });
});

describe('normalise', () => {
  it('renames ids per table in order of first appearance (final tables first), and foreign keys to them follow', () => {
    const raw = outcome({
      calls: [{ call: 'f', ok: [{ $entity: 'nodes', id: 7, service_id: 3 }] }],
      tables: {
        services: { columns: { id: { kind: 'other' } }, primaryKey: 'id', rows: [{ id: 3 }, { id: 4 }] },
        nodes: {
          columns: { id: { kind: 'other' }, service_id: { kind: 'other', references: { table: 'services', column: 'id' } }, host: { kind: 'other', references: { table: 'services', column: 'host' } } },
          primaryKey: 'id',
          rows: [{ id: 7, service_id: 3, host: 'h1' }],
        },
      },
    });
    const n = normalise(raw, all);
    expect(n.calls[0].ok).toEqual([{ $entity: 'nodes', id: 'nodes#1', service_id: 'services#1' }]);
    // a foreign key to a column that is not the primary key is data, not an id
    expect(n.tables).toEqual({ nodes: [{ id: 'nodes#1', service_id: 'services#1', host: 'h1' }], services: [{ id: 'services#1' }, { id: 'services#2' }] });
    expect(normalise(raw, enabledRules({ ids: false })).tables.services).toEqual([{ id: 3 }, { id: 4 }]);
  });

  it('names generated siblings by what they hold, not by the order one flush numbered them in; other keys in key order', () => {
    // a parent's metadata rows: SQL inserts them in the collection's order, ROME saves a parent's new
    // children last first (BeyondTheClouds/rome lib/rome/core/models.py:280-285): ids 2, 3 trade rows
    const meta = (rows: TableDump['rows']): Record<string, TableDump> => ({
      meta: { columns: { id: { kind: 'other' }, owner_id: { kind: 'other', references: { table: 'owners', column: 'id' } }, key: { kind: 'other' }, value: { kind: 'other' } }, primaryKey: 'id', rows },
      owners: { columns: { id: { kind: 'other' }, ref: { kind: 'other' } }, primaryKey: 'id', rows: [{ id: 'o-1', ref: 'anything' }] },
    });
    const seeded = { meta: ['1'] };
    const run = (rows: TableDump['rows'], answer: Plain) => outcome({ calls: [{ call: 'meta_get', ok: answer }], tables: meta(rows), given: ['o-1'], seeded });
    const sql = run(
      [{ id: 1, owner_id: 'o-1', key: 'seeded', value: 'x' }, { id: 2, owner_id: 'o-1', key: 'reason', value: 'pre-upgrade' }, { id: 3, owner_id: 'o-1', key: 'ticket', value: 'OPS-1' }],
      { $entity: 'meta', id: 3, key: 'ticket' },
    );
    const rome = run(
      [{ id: 1, owner_id: 'o-1', key: 'seeded', value: 'x' }, { id: 2, owner_id: 'o-1', key: 'ticket', value: 'OPS-1' }, { id: 3, owner_id: 'o-1', key: 'reason', value: 'pre-upgrade' }],
      { $entity: 'meta', id: 2, key: 'ticket' },
    );
    expect(verdictOf({ ...same(sql), rome }, all).verdict).toBe('equivalent');
    // a call's answer follows the names: the ticket row is the same row on both sides
    expect(normalise(rome, all).calls[0].ok).toEqual({ $entity: 'meta', id: 'meta#3', key: 'ticket' });
    // what a row holds still counts
    const romeOther = run(
      [{ id: 1, owner_id: 'o-1', key: 'seeded', value: 'x' }, { id: 2, owner_id: 'o-1', key: 'ticket', value: 'OPS-2' }, { id: 3, owner_id: 'o-1', key: 'reason', value: 'pre-upgrade' }],
      { $entity: 'meta', id: 2, key: 'ticket' },
    );
    expect(verdictOf({ ...same(sql), rome: romeOther }, all).divergences).toEqual([{ kind: 'store', differences: [{ path: 'tables.meta[2].value', sql: 'OPS-1', rome: 'OPS-2' }] }]);
    // a seeded row keeps its place (key order) when what it holds differs, so the difference is its own
    const seededRows = (value: string) => [{ id: 1, owner_id: 'o-1', key: 'z', value }, { id: 2, owner_id: 'o-1', key: 'a', value: 'v' }];
    const both = (value: string) => outcome({ tables: meta(seededRows(value)), given: ['o-1'], seeded: { meta: ['1', '2'] } });
    expect(verdictOf({ ...same(both('before')), rome: both('after') }, all).divergences).toEqual([{ kind: 'store', differences: [{ path: 'tables.meta[0].value', sql: 'before', rome: 'after' }] }]);
    // with the ids rule off the keys are compared as they are
    expect(verdictOf({ ...same(sql), rome }, enabledRules({ ids: false })).verdict).toBe('diverged');
    // rows that reference nothing are no siblings: key order, so a row only one side wrote does not
    // rename the rows both wrote (here the first one, which a call answered)
    const hosts = (rows: TableDump['rows']) => outcome({ calls: [{ call: 'service_create', ok: { $entity: 'services', id: 1, host: 'h1' } }], tables: services(rows) });
    const row = (id: number, host: string) => ({ id, host, deleted: 0, created_at: null, updated_at: null, disabled: false });
    const extra = verdictOf({ ...same(hosts([row(1, 'h1')])), rome: hosts([row(1, 'h1'), row(2, 'H1')]) }, all);
    expect(extra.divergences?.map((d) => d.kind)).toEqual(['store']);
    // siblings of different parents, or apart in key order, are no run either
    const apart = (rows: TableDump['rows']) => outcome({ tables: meta(rows), given: ['o-1', 'o-2'] });
    const [m1, m2, m3] = [
      { id: 1, owner_id: 'o-1', key: 'b', value: '1' },
      { id: 2, owner_id: 'o-2', key: 'a', value: '2' },
      { id: 3, owner_id: 'o-1', key: 'a', value: '3' },
    ];
    expect(normalise(apart([m1, m2, m3]), all).tables.meta.map((r) => r.value)).toEqual(['1', '2', '3']);
  });

  it('renames generated UUIDs, compares datetimes as set or not, and the soft-delete marker as deleted or not', () => {
    const raw = outcome({
      calls: [{ call: 'f', ok: ['0b5e1f40-1c2d-4e5f-8a9b-0c1d2e3f4a5b', '0B5E1F40-1C2D-4E5F-8A9B-0C1D2E3F4A5B', 'not-a-uuid', '11111111-2222-4333-8444-555555555555'] }],
      given: ['11111111-2222-4333-8444-555555555555'],
      tables: services([{ id: 1, host: 'h', deleted: 1, created_at: { $date: '2026-01-01T00:00:00.000Z' }, updated_at: null, disabled: false }]),
    });
    const n = normalise(raw, all);
    // the scenario's own UUID is data
    expect(n.calls[0].ok).toEqual(['uuid#1', 'uuid#1', 'not-a-uuid', '11111111-2222-4333-8444-555555555555']);
    expect(n.tables.services).toEqual([{ id: 'services#1', host: 'h', deleted: '<deleted>', created_at: '<ignored>', updated_at: '<ignored>', disabled: false }]);
    // a live row's marker: 0, false, or a text column's 'False' (Manila); a deleted one's: anything else
    const marker = (deleted: unknown) => normalise(outcome({ tables: services([{ id: 1, deleted } as never]) }), all).tables.services[0].deleted;
    expect([0, false, 'False', 'fa1c2e'].map(marker)).toEqual([false, false, false, '<deleted>']);
    const off = normalise(raw, enabledRules({ 'soft-delete-marker': false, 'rome-timestamps': false, datetimes: false }));
    expect(off.tables.services[0]).toMatchObject({ deleted: 1, created_at: { $date: '2026-01-01T00:00:00.000Z' }, updated_at: null });
  });

  it('compares a call the port made async on its awaited value (the awaited rule), else as a divergence', () => {
    const sql = outcome({ calls: [{ call: 'quota_create', ok: 1 }] });
    const rome = outcome({ calls: [{ call: 'quota_create', async: true, ok: 1 }] });
    const v = verdictOf({ ...same(sql), rome }, all);
    expect(v).toMatchObject({ verdict: 'equivalent', awaited: ['quota_create'] });
    const strict = verdictOf({ ...same(sql), rome }, enabledRules({ awaited: false }));
    expect(strict.divergences).toEqual([{ kind: 'result', call: '#1 quota_create', differences: [{ path: 'calls[0]', sql: 'a value', rome: 'a promise' }] }]);
  });

  it('a crash of the SQL side is skipped (never equivalent, even when both sides crash); a crash of the port only is a divergence with both messages', () => {
    const crash = outcome({ calls: [{ call: 'f', error: { name: 'TypeError', message: 'q.subquery is not a function' } }] });
    expect(verdictOf({ ...same(crash), rome: crash }, all)).toMatchObject({ verdict: 'skipped', reason: 'the SQL side crashed at f: TypeError: q.subquery is not a function (a construct the reference lacks?)' });
    const ok = outcome({ calls: [{ call: 'f', ok: 1 }] });
    const v = verdictOf({ ...same(ok), rome: crash }, all);
    expect(v.verdict).toBe('diverged');
    expect(v.divergences![0]).toMatchObject({ kind: 'error', messages: { rome: 'q.subquery is not a function' } });
  });

  it('keeps an error by class name and sorted columns only', () => {
    const n = normalise(outcome({ calls: [{ call: 'f', error: { name: 'DBDuplicateEntry', message: 'x', columns: ['topic', 'host'] } }] }), all);
    expect(n.calls).toEqual([{ call: 'f', error: { name: 'DBDuplicateEntry', columns: ['host', 'topic'] } }]);
  });
});
