// One test per behaviour of ROME the runtime models, each naming the lines of ROME's Python source
// (BeyondTheClouds/rome, lib/rome/) it follows. The same tests run on every Store: the in-memory
// one (rome-memory.test.ts), one Redis node (rome-redis.test.ts) and a Redis Cluster
// (rome-redis-cluster.test.ts), with ROME's own locks.
import { beforeEach, describe, expect, it } from 'vitest';
import {
  ClusterLock, Column, DBDeadlock, DateTime, Boolean, Entity, ForeignKey, Integer, MultipleResultsFound, NoResultFound,
  RomeQuery, RomeSession, String, UnsupportedInRomeMemory, and_, not_, or_, relationship, useClock, useStore,
  type Store,
} from '../../src/equiv/rome-memory/index.js';
import { backref } from '../../src/equiv/rome-memory/index.js';
import { romeRelationshipsOf } from '../../src/equiv/rome-memory/mapping.js';

type Dump = { hashes: Record<string, Record<string, string>>; counters: Record<string, number> };
/** A fresh, empty store for each test, and its content as the in-memory store's dump() shows it. */
export type TestStore = Store & { dump(): Dump | Promise<Dump> };

export function romeBehaviour(backend: { name: string; fresh(): Promise<TestStore> }): void {
describe(`ROME on ${backend.name}`, () => {
  class Base extends Entity {
    static created_at = Column(DateTime);
    static updated_at = Column(DateTime);
    static deleted_at = Column(DateTime);
    static deleted = Column(Integer, { default: 0 });
  }

  class Host extends Base {
    static __tablename__ = 'hosts';
    static id = Column(Integer, { primary_key: true });
    static name = Column(String(255));
    static zone = Column(String(255));
    static weight = Column(Integer);
    static public = Column(Boolean, { default: true });
    static seen = Column(DateTime);
  }

  class Vm extends Base {
    static __tablename__ = 'vms';
    static id = Column(Integer, { primary_key: true });
    static name = Column(String(255));
    static host_id = Column(Integer, ForeignKey('hosts.id'));
    static host = relationship('Host', { primaryjoin: 'and_(Vm.host_id == Host.id, Vm.deleted == 0)' });
  }

  class Disk extends Base {
    static __tablename__ = 'disks';
    static id = Column(Integer, { primary_key: true });
    static vm_id = Column(Integer, ForeignKey('vms.id'));
    static vm = relationship(Vm);
  }

  const T0 = Date.UTC(2026, 0, 2, 3, 4, 5, 678);
  let store: TestStore;
  let now: number;

  beforeEach(async () => {
    store = await backend.fresh();
    useStore(store);
    now = T0;
    useClock({ now: () => now, sleep: async (ms) => void (now += ms) });
  });

  async function seed<E extends Entity>(cls: new () => E, values: Record<string, unknown>): Promise<E> {
    const entity = new cls();
    entity.update(values);
    await entity.save();
    return entity;
  }

  // A table's rows by id (numbers by value): a Redis hash of long values keeps no insertion order.
  async function stored(table: string): Promise<Record<string, any>[]> {
    const ids = (field: string) => field.split(':').at(-1)!;
    const fields = Object.entries((await store.dump()).hashes[table] ?? {});
    fields.sort(([a], [b]) => ids(a).localeCompare(ids(b), 'en', { numeric: true }));
    return fields.map(([, json]) => JSON.parse(json));
  }

  async function storedRow(table: string, id: number): Promise<Record<string, any>> {
    return JSON.parse((await store.dump()).hashes[table][`${table}:id:${id}`]);
  }

  const query = <E>(target: E) => new RomeSession().query(target);

  describe('store layout (driver/redis/driver.py)', () => {
    it('a hash per table of JSON rows under <table>:id:<id>, ids from INCR nextkey:<table> (driver.py:126-148, models.py:338-340)', async () => {
      await seed(Host, { name: 'a' });
      await seed(Host, { name: 'b' });
      await seed(Vm, { name: 'v' });
      const { hashes, counters } = await store.dump();
      expect(Object.keys(hashes.hosts).sort()).toEqual(['hosts:id:1', 'hosts:id:2']);
      expect(counters).toEqual({ 'nextkey:hosts': 2, 'nextkey:vms': 1 });
      expect(JSON.parse(hashes.vms['vms:id:1'])).toMatchObject({ id: 1, name: 'v', _nova_classname: 'vms', _metadata_novabase_classname: 'Vm' });
    });

    it('every store operation goes through the Store: an insert is INCR, HGET, HSET (models.py:339, 402, 438), a lock HMGET, HSETNX (lock.py:279, 261)', async () => {
      const calls: string[] = [];
      const inner = await backend.fresh();
      useStore(new Proxy(inner, { get: (t, k) => (typeof k === 'string' && typeof (t as any)[k] === 'function' && k !== 'dump' ? (calls.push(k), (t as any)[k].bind(t)) : (t as any)[k]) }) as Store);
      await seed(Host, { name: 'a' });
      expect(calls).toEqual(['incr', 'hget', 'hset']);
      calls.length = 0;
      await new ClusterLock().lock('x', 100);
      expect(calls).toEqual(['hmget', 'hsetnx']);
    });
  });

  describe('Query (core/orm/query.py)', () => {
    it('limit() answers the query unchanged and there is no offset (query.py:178-179)', async () => {
      for (const name of ['a', 'b', 'c']) await seed(Host, { name });
      const q = query(Host) as any;
      expect(q.limit(1)).toBe(q);
      expect(await q.limit(1).all()).toHaveLength(3);
      expect(q.offset).toBeUndefined();
    });

    it('one() raises NoResultFound / MultipleResultsFound but answers nothing on success (query.py:128-135)', async () => {
      await expect((query(Host) as any).one()).rejects.toBeInstanceOf(NoResultFound);
      await seed(Host, { name: 'a' });
      expect(await (query(Host) as any).one()).toBeNull();
      await seed(Host, { name: 'b' });
      await expect((query(Host) as any).one()).rejects.toBeInstanceOf(MultipleResultsFound);
    });

    it('one_or_none() (and oneOrNone()) answers the only row, null without rows, raises MultipleResultsFound on more (query.py:117-126)', async () => {
      expect(await query(Host).one_or_none()).toBeNull();
      expect(await query(Host).oneOrNone()).toBeNull();
      await seed(Host, { name: 'a' });
      expect(((await query(Host).one_or_none()) as any).name).toBe('a');
      expect(((await query(Host).oneOrNone()) as any).name).toBe('a');
      await seed(Host, { name: 'b' });
      await expect(query(Host).one_or_none()).rejects.toBeInstanceOf(MultipleResultsFound);
      await expect(query(Host).oneOrNone()).rejects.toBeInstanceOf(MultipleResultsFound);
    });

    it('first() is null without rows; count() is the length of all(); exists() a boolean (query.py:110-141)', async () => {
      expect(await query(Host).first()).toBeNull();
      expect(await (query(Host) as any).exists()).toBe(false);
      await seed(Host, { name: 'a' });
      await seed(Host, { name: 'b' });
      expect(await query(Host).count()).toBe(2);
      expect(await (query(Host) as any).exists()).toBe(true);
    });

    it('distinct() answers a list: values dedupe, loaded rows never merge (query.py:175-176)', async () => {
      await seed(Host, { name: 'a', zone: 'z' });
      await seed(Host, { name: 'b', zone: 'z' });
      expect(await query(Host.zone).distinct()).toEqual(['z']);
      const rows = await query(Host).distinct();
      expect(Array.isArray(rows)).toBe(true);
      expect(rows).toHaveLength(2);
    });

    it('update(values) without a session saves each row at once and answers the count (query.py:159-173)', async () => {
      await seed(Host, { name: 'a', zone: 'z' });
      await seed(Host, { name: 'b', zone: 'z' });
      await seed(Host, { name: 'c', zone: 'y' });
      expect(await new RomeQuery(Host).filter(Host.zone.eq('z')).update({ weight: 7 })).toBe(2);
      expect((await stored('hosts')).map((r) => r.weight)).toEqual([7, 7, null]);
    });

    it('update(values) on a session query is only queued: written at the next flush (query.py:165-166, session.py:62-67)', async () => {
      await seed(Host, { name: 'a' });
      const session = new RomeSession();
      expect(await session.query(Host).update({ weight: 3 })).toBe(1);
      expect((await storedRow('hosts', 1)).weight).toBeNull();
      await session.flush();
      expect((await storedRow('hosts', 1)).weight).toBe(3);
    });

    it('soft_delete() sets deleted = 1 on each row at once and answers the query, not a count (query.py:143-149, models.py:240-249)', async () => {
      await seed(Host, { name: 'a' });
      await seed(Host, { name: 'b' });
      const q = query(Host).filter(Host.name.eq('a'));
      expect(await q.soft_delete()).toBe(q);
      expect((await stored('hosts')).map((r) => [r.name, r.deleted])).toEqual([['a', 1], ['b', 0]]);
      expect((await storedRow('hosts', 1)).deleted_at).toEqual({ simplify_strategy: 'datetime', value: '2026-01-02 03:04:05', timezone: 'None' });
    });

    it('delete() removes each row from the store and answers the query (query.py:151-157, models.py:232-238)', async () => {
      await seed(Host, { name: 'a' });
      await seed(Host, { name: 'b' });
      const q = query(Host).filter(Host.name.eq('a'));
      expect(await q.delete()).toBe(q);
      expect((await stored('hosts')).map((r) => r.name)).toEqual(['b']);
    });

    it('filter_by drops a key that is not a column, silently (query.py:227-241)', async () => {
      await seed(Host, { name: 'a' });
      await seed(Host, { name: 'b' });
      expect(await query(Host).filter_by({ name: 'a', colour: 'red' }).count()).toBe(1);
      expect(await query(Host).filter_by({ colour: 'red' }).count()).toBe(2);
    });

    it('options() is dropped, with_lockmode() answers the query unchanged (query.py:349-360, 375-376)', async () => {
      await seed(Host, { name: 'a' });
      const q = query(Host) as any;
      expect(q.with_lockmode('update')).toBe(q);
      expect(await q.options('joinedload').count()).toBe(1);
    });

    it('filter() drops an argument that is not a criterion (query.py:98)', async () => {
      await seed(Host, { name: 'a' });
      expect(await query(Host).filter(false, undefined).count()).toBe(1);
    });

    it('outerjoin is join: rows without a match disappear (query.py:346-347)', async () => {
      const h = await seed(Host, { name: 'h' });
      await seed(Vm, { name: 'on', host_id: h.id });
      await seed(Vm, { name: 'nowhere', host_id: null });
      const rows = await query(Vm).outerjoin(Host).all();
      expect(rows.map(([vm]: any) => vm.name)).toEqual(['on']);
    });
  });

  describe('rows (core/rows/rows.py, tuples.py)', () => {
    it('one entity gives bare rows: instances of its class (rows.py:262-263)', async () => {
      await seed(Host, { name: 'a' });
      const [row] = await query(Host).all();
      expect(row).toBeInstanceOf(Host);
      expect(row.name).toBe('a');
    });

    it('join(M) gives [a, b] rows, on the relationship\'s primaryjoin, its `deleted == 0` conjunct included (rows.py:264-265, query.py:303-329)', async () => {
      const h1 = await seed(Host, { name: 'h1' });
      const h2 = await seed(Host, { name: 'h2' });
      await seed(Vm, { name: 'v1', host_id: h1.id });
      await seed(Vm, { name: 'v2', host_id: h2.id, deleted: 5 });
      const rows = await query(Host).join(Vm).all();
      expect(rows.map(([host, vm]: any) => [host.name, vm.name])).toEqual([['h1', 'v1']]);
      expect(rows[0][0]).toBeInstanceOf(Host);
    });

    it('join(M) without a primaryjoin joins on the foreign key (SQLAlchemy\'s default, read by query.py:316-329)', async () => {
      const vm = await seed(Vm, { name: 'v' });
      await seed(Vm, { name: 'w' });
      await seed(Disk, { vm_id: vm.id });
      const rows = await query(Disk).join(Vm).all();
      expect(rows.map(([, v]: any) => v.name)).toEqual(['v']);
    });

    it('a column query gives bare values, not one-element rows (rows.py:257-263)', async () => {
      await seed(Host, { name: 'abc' });
      const rows = await query(Host.name).all();
      expect(rows).toEqual(['abc']);
      expect(rows[0][0]).toBe('a');
    });

    it('without order_by, rows come back by id AS A STRING: 1, 10, 2 (driver.py:166)', async () => {
      for (let i = 1; i <= 10; i++) await seed(Host, { name: `h${i}` });
      expect((await query(Host.id).all()).slice(0, 3)).toEqual([1, 10, 2]);
    });

    it('order_by(asc()) sorts descending and desc() ascending: reverse=(direction == "ASC") (tuples.py:290-298)', async () => {
      for (const weight of [2, 3, 1]) await seed(Host, { weight });
      expect(await query(Host.weight).order_by(Host.weight.asc()).all()).toEqual([3, 2, 1]);
      expect(await query(Host.weight).order_by(Host.weight.desc()).all()).toEqual([1, 2, 3]);
    });

    it('a loaded row reads its fields as loaded: update() changes what save() writes, not what the row reads (lazy.py:183-210)', async () => {
      await seed(Host, { name: 'a' });
      const row = await query(Host).first();
      row.update({ name: 'b' });
      expect(row.name).toBe('a');
      await row.save();
      expect((await storedRow('hosts', 1)).name).toBe('b');
      row.zone = 'z';
      expect(row.zone).toBe('z');
    });
  });

  describe('criteria (core/expression/expression.py, rows/tuples.py)', () => {
    it('NULL is 0: eq(null) and is(null) match null and 0, ne(v) matches null, isnot(null) drops 0 (tuples.py:380-381, 412)', async () => {
      await seed(Host, { name: 'null', weight: null });
      await seed(Host, { name: 'zero', weight: 0 });
      await seed(Host, { name: 'five', weight: 5 });
      const names = async (c: unknown) => (await query(Host).filter(c).all()).map((h: any) => h.name).sort();
      expect(await names(Host.weight.is(null))).toEqual(['null', 'zero']);
      expect(await names(Host.weight.eq(null))).toEqual(['null', 'zero']);
      expect(await names(Host.weight.ne(5))).toEqual(['null', 'zero']);
      expect(await names(Host.weight.isnot(null))).toEqual(['five']);
      expect(await names(Host.weight.lt(1))).toEqual(['null', 'zero']);
    });

    it('a boolean compares as 0/1, NULL as 0: filter_by({ public: false }) matches false and null (SQLAlchemy 1.0 renders `= 0`; tuples.py:412)', async () => {
      await seed(Host, { name: 'private' });
      await seed(Host, { name: 'unset' });
      await seed(Host, { name: 'public' });
      await query(Host).filter_by({ name: 'private' }).update({ public: false });
      await query(Host).filter_by({ name: 'unset' }).update({ public: null });
      expect((await stored('hosts')).map((r) => r.public)).toEqual([true, true, true]);
      await store.hset('hosts', 'hosts:id:1', JSON.stringify({ ...(await storedRow('hosts', 1)), public: false }));
      await store.hset('hosts', 'hosts:id:2', JSON.stringify({ ...(await storedRow('hosts', 2)), public: null }));
      const names = (await query(Host).filter_by({ public: false }).all()).map((h: any) => h.name).sort();
      expect(names).toEqual(['private', 'unset']);
    });

    it('LIKE drops every % and tests containment both ways (expression.py:187-189, 261-264)', async () => {
      await seed(Host, { name: 'web-1' });
      await seed(Host, { name: 'w' });
      await seed(Host, { name: 'db' });
      const names = async (p: string) => (await query(Host).filter(Host.name.like(p)).all()).map((h: any) => h.name).sort();
      expect(await names('%web%')).toEqual(['w', 'web-1']);
      expect(await names('web_1')).toEqual(['w']);
    });

    it('a criterion on id, whatever its operator, narrows the load to that id: id != 1 finds nothing (query.py:185-190, expression.py:90-110, rows.py:207-209)', async () => {
      await seed(Host, { name: 'a' });
      await seed(Host, { name: 'b' });
      expect(await query(Host).filter(Host.id.ne(1)).count()).toBe(0);
      expect(await query(Host).filter(or_(Host.id.eq(1), Host.name.eq('b'))).count()).toBe(1);
      expect(await query(Host).filter(Host.name.ne('a')).count()).toBe(1);
    });

    it('datetimes compare at second precision (tuples.py:385-403, expression.py:202-203)', async () => {
      await seed(Host, { name: 'a' });
      const sameSecond = new Date(T0 - 600);
      expect(await query(Host).filter(Host.created_at.eq(sameSecond)).count()).toBe(1);
      expect(await query(Host).filter(Host.created_at.lt(new Date(T0))).count()).toBe(0);
      expect(await query(Host).filter(Host.created_at.gt(new Date(T0 - 1000))).count()).toBe(1);
    });

    it('a stored datetime compares only in a column named *_at: last seen = its own value finds nothing (tuples.py:385-403)', async () => {
      const seen = new Date(T0);
      await seed(Host, { name: 'a', seen });
      expect(await query(Host).filter(Host.seen.eq(seen)).count()).toBe(0);
      expect(await query(Host).filter(Host.created_at.eq(seen)).count()).toBe(1);
    });

    it('a value compared with an Integer column goes through int(): eq("2") and eq(2.7) match 2, eq("two") raises (expression.py:198-201)', async () => {
      await seed(Host, { name: 'a', weight: 2 });
      await seed(Host, { name: 'b', weight: 3 });
      expect(await query(Host).filter(Host.weight.eq('2')).count()).toBe(1);
      expect(await query(Host).filter(Host.weight.eq(2.7)).count()).toBe(1);
      expect(await query(Host).filter(Host.name.eq(2)).count()).toBe(0);
      await expect(query(Host).filter(Host.weight.eq('two')).all()).rejects.toThrow(/ValueError/);
    });

    it('or_ / and_ (terms.py:17-22), not_, in_ and notin_', async () => {
      await seed(Host, { name: 'a', zone: 'x' });
      await seed(Host, { name: 'b', zone: 'y' });
      await seed(Host, { name: 'c', zone: 'y' });
      const names = async (c: unknown) => (await query(Host).filter(c).all()).map((h: any) => h.name).sort();
      expect(await names(or_(Host.name.eq('a'), Host.zone.eq('y')))).toEqual(['a', 'b', 'c']);
      expect(await names(and_(Host.name.eq('b'), Host.zone.eq('y')))).toEqual(['b']);
      expect(await names(not_(Host.zone.eq('y')))).toEqual(['a']);
      expect(await names(Host.name.in_(['a', 'c']))).toEqual(['a', 'c']);
      expect(await names(Host.name.notin_(['a', 'c']))).toEqual(['b']);
    });
  });

  describe('Entity (core/models.py)', () => {
    it('no unique constraint: the same values save twice (models.py:316-471 checks none)', async () => {
      await seed(Host, { name: 'same' });
      await seed(Host, { name: 'same' });
      expect(await stored('hosts')).toHaveLength(2);
    });

    it('a client-chosen id overwrites the stored row: every column is written, unset ones as null; only ROME\'s own keys merge (models.py:392-405)', async () => {
      await seed(Host, { name: 'a', zone: 'z', weight: 4 });
      now += 5000;
      await seed(Host, { id: 1, name: 'b' });
      const row = await storedRow('hosts', 1);
      expect([row.name, row.zone, row.weight]).toEqual(['b', null, null]);
      expect(row.created_at.value).toBe('2026-01-02 03:04:10');
      expect(row._rome_version_number).toBe(1);
      expect(await stored('hosts')).toHaveLength(1);
    });

    it('save() sets created_at when empty and updated_at on every save, inserts included, to the second; the entity never gets created_at, so saving it again resets it (models.py:405, 414-421, 469; utils.py:32)', async () => {
      const host = await seed(Host, { name: 'a' });
      const row = await storedRow('hosts', 1);
      expect(row.created_at).toEqual({ simplify_strategy: 'datetime', value: '2026-01-02 03:04:05', timezone: 'None' });
      expect(row.updated_at).toEqual(row.created_at);
      expect(host.created_at ?? null).toBeNull();
      expect(host.updated_at.getTime()).toBe(T0);
      now += 3000;
      host.name = 'b';
      await host.save();
      expect((await storedRow('hosts', 1)).updated_at.value).toBe('2026-01-02 03:04:08');
      expect((await storedRow('hosts', 1)).created_at.value).toBe('2026-01-02 03:04:08');
      now += 3000;
      const loaded = await query(Host).first();
      loaded.update({ name: 'c' });
      await loaded.save();
      expect((await storedRow('hosts', 1)).created_at.value).toBe('2026-01-02 03:04:08');
    });

    it('save() of an unchanged row writes nothing, updated_at included (models.py:404-407)', async () => {
      await seed(Host, { name: 'a' });
      now += 3000;
      const row = await query(Host).first();
      await row.save();
      expect((await storedRow('hosts', 1)).updated_at.value).toBe('2026-01-02 03:04:05');
    });

    it('save() gives a column with a default its default when the value is falsy: false becomes true (models.py:142-151)', async () => {
      await seed(Host, { name: 'a', public: false });
      expect((await storedRow('hosts', 1)).public).toBe(true);
    });

    it('update() fills empty columns with their (non-function) defaults before setting values (models.py:251-278)', () => {
      const host = new Host();
      host.update({ name: 'a', extra: 1 });
      expect([host.deleted, host.public, host.name, host.extra, host.weight]).toEqual([0, true, 'a', 1, undefined]);
    });

    it('delete(session) is a soft delete at commit; delete() without a session a hard delete (models.py:232-238, session.py:128-129)', async () => {
      await seed(Host, { name: 'a' });
      await seed(Host, { name: 'b' });
      const session = new RomeSession();
      const [a, b] = await session.query(Host).all();
      await a.delete(session);
      await session.flush();
      await b.delete();
      expect((await stored('hosts')).map((r) => [r.name, r.deleted])).toEqual([['a', 1]]);
    });
  });

  describe('Session (core/session/session.py)', () => {
    it('no dirty tracking: a loaded row changed but not added is not written (session.py:124-135)', async () => {
      await seed(Host, { name: 'a' });
      const session = new RomeSession();
      await session.begin(async () => {
        const host = await session.query(Host).first();
        host.name = 'b';
      });
      expect((await storedRow('hosts', 1)).name).toBe('a');
    });

    it('begin() flushes only when the block did not throw, rolls nothing back, keeps the queue (session.py:16-30, 83-84)', async () => {
      const session = new RomeSession();
      const direct = new Host();
      const queued = new Host();
      queued.name = 'queued';
      await expect(
        session.begin(async () => {
          direct.name = 'direct';
          await direct.save();
          session.add(queued);
          throw new Error('boom');
        }),
      ).rejects.toThrow('boom');
      expect((await stored('hosts')).map((r) => r.name)).toEqual(['direct']);
      await session.flush();
      expect((await stored('hosts')).map((r) => r.name)).toEqual(['direct', 'queued']);
    });

    it('flush takes session_lock_<table>_<id> (TTL 100 ms) per object and fails fast with DBDeadlock, releasing what it took (session.py:103-122)', async () => {
      await seed(Host, { name: 'a' });
      await seed(Host, { name: 'b' });
      const other = new ClusterLock();
      expect(await other.lock('session_lock_hosts_2', 1000)).toBe(true);
      const session = new RomeSession();
      const [a, b] = await session.query(Host).all();
      session.add(a, b);
      const before = now;
      await expect(session.flush()).rejects.toBeInstanceOf(DBDeadlock);
      expect(now - before).toBeLessThanOrEqual(10);
      expect(Object.keys((await store.dump()).hashes.lock ?? {})).toEqual(['0_session_lock_hosts_2']);
      const held = JSON.parse((await store.dump()).hashes.lock['0_session_lock_hosts_2']);
      expect(held.host).toBe(other.uuid);
    });

    it('commit releases only the 1st, 3rd, … lock (list.remove while iterating), the others expire (session.py:131-133)', async () => {
      for (const name of ['a', 'b', 'c']) await seed(Host, { name });
      const session = new RomeSession();
      const rows = await session.query(Host).all();
      rows.forEach((row: any, i: number) => row.update({ weight: i }));
      session.add(...rows);
      await session.flush();
      expect(Object.keys((await store.dump()).hashes.lock ?? {})).toEqual(['0_session_lock_hosts_2']);
      expect(JSON.parse((await store.dump()).hashes.lock['0_session_lock_hosts_2']).ttl).toBe(100);
    });

    it('a session writes a row at most once over all its flushes (models.py:325-326, 398-399, 448-449; session.py:43)', async () => {
      const session = new RomeSession();
      const host = new Host();
      host.name = 'a';
      await host.save(session);
      host.name = 'b';
      await host.save(session);
      expect((await storedRow('hosts', 1)).name).toBe('a');
      await host.save();
      expect((await storedRow('hosts', 1)).name).toBe('b');
    });

    it('add() ignores a second load of an unchanged row: same signature (session.py:45-60)', async () => {
      await seed(Host, { name: 'a' });
      const session = new RomeSession();
      const first = await session.query(Host).first();
      const second = await session.query(Host).first();
      first.update({ zone: 'from-first' });
      second.update({ zone: 'from-second' });
      session.add(first, second);
      await session.flush();
      expect((await storedRow('hosts', 1)).zone).toBe('from-first');
    });

    it('save(session) flushes everything the session queued (models.py:318-321)', async () => {
      const session = new RomeSession();
      const queued = new Host();
      queued.name = 'queued';
      session.add(queued);
      const saved = new Host();
      saved.name = 'saved';
      await saved.save({ session });
      expect((await stored('hosts')).map((r) => r.name).sort()).toEqual(['queued', 'saved']);
    });
  });

  class Shelf extends Base {
    static __tablename__ = 'shelves';
    static id = Column(String(36), { primary_key: true });
    static name = Column(String(255));
  }

  class Book extends Base {
    static __tablename__ = 'books';
    static id = Column(Integer, { primary_key: true });
    static title = Column(String(255));
    static shelf_id = Column(String(36), ForeignKey('shelves.id'));
    static shelf = relationship(Shelf, { backref: 'books', primaryjoin: 'and_(Book.shelf_id == Shelf.id, Book.deleted == 0)' });
  }

  class Item extends Base {
    static __tablename__ = 'items';
    static id = Column(Integer, { primary_key: true });
    static kind_id = Column(String(36));
  }

  // as cinder's VolumeTypes.volumes: `foreign_keys` names the "one" side's own id
  class Kind extends Base {
    static __tablename__ = 'kinds';
    static id = Column(String(36), { primary_key: true });
    static items = relationship(Item, {
      backref: backref('kind', { uselist: false }),
      foreign_keys: Kind.id,
      primaryjoin: 'and_(Item.kind_id == Kind.id, Kind.deleted == 0)',
    });
  }

  describe('relationships (core/models.py:166-230, 280-288, 452-467; core/utils.py:258-269, 375-457)', () => {
    it('are read as ROME reads them: the first local/remote pair, the direction from the foreign column, a backref reversed, `id` never a relationship field (utils.py:261-269, 407-428)', () => {
      new Book();
      new Item();
      expect(romeRelationshipsOf(Book).known).toEqual([
        { localObjectField: 'shelf', localFkField: 'shelf_id', remoteObjectField: 'id', remoteTable: 'shelves', isList: false, direction: 'MANYTOONE' },
      ]);
      expect(romeRelationshipsOf(Shelf).known).toEqual([
        { localObjectField: 'books', localFkField: 'id', remoteObjectField: 'shelf_id', remoteTable: 'books', isList: true, direction: 'ONETOMANY' },
      ]);
      expect([...romeRelationshipsOf(Shelf).fields]).toEqual(['books']);
      expect(romeRelationshipsOf(Kind).known).toEqual([
        { localObjectField: 'items', localFkField: 'id', remoteObjectField: 'kind_id', remoteTable: 'items', isList: false, direction: 'MANYTOONE' },
      ]);
      expect(romeRelationshipsOf(Item).known).toEqual([
        { localObjectField: 'kind', localFkField: 'kind_id', remoteObjectField: 'id', remoteTable: 'kinds', isList: false, direction: 'ONETOMANY' },
      ]);
    });

    it('a list assigned to a one-to-many sets each child\'s fk and object, the child registers itself on the parent; save() writes the parent, then the children, the last registered first (models.py:220-227, 208-219, 280-285, 452-467)', async () => {
      const shelf = new Shelf();
      shelf.id = 's1';
      const a = new Book();
      a.title = 'a';
      const b = new Book();
      b.title = 'b';
      shelf.update({ name: 'x', books: [a, b] });
      expect(a.shelf_id).toBe('s1');
      expect(a.shelf).toBe(shelf);
      expect(shelf._associated_objects).toHaveLength(2);
      expect(shelf._associated_objects[0]).toBe(b);
      expect(shelf._associated_objects[1]).toBe(a);
      await shelf.save();
      expect(await stored('shelves')).toMatchObject([{ id: 's1', name: 'x' }]);
      expect((await stored('books')).map((r) => [r.id, r.title, r.shelf_id, r.deleted])).toEqual([
        [1, 'b', 's1', 0],
        [2, 'a', 's1', 0],
      ]);
      expect((await stored('books'))[0]).not.toHaveProperty('shelf');
      expect(shelf._associated_objects).toEqual([]);
    });

    it('the fk is copied at assignment: children assigned before the parent has an id keep a null fk (models.py:226; `id` is no relationship field, utils.py:268)', async () => {
      const shelf = new Shelf();
      const a = new Book();
      shelf.books = [a];
      shelf.id = 's2';
      await shelf.save();
      expect(await stored('books')).toMatchObject([{ id: 1, shelf_id: null }]);
    });

    it('a many-to-one object: the fk takes its remote field (models.py:210); saving the child saves the unsaved object too, id booked first, without its defaults (json.py:125-131; models.py:333, 357-377)', async () => {
      const vm = new Vm();
      vm.name = 'v';
      const disk = new Disk();
      disk.vm = vm;
      expect(disk.vm_id).toBeNull();
      expect(vm._associated_objects[0]).toBe(disk);
      await disk.save();
      expect((await store.dump()).counters).toEqual({ 'nextkey:disks': 1, 'nextkey:vms': 1 });
      expect(await stored('vms')).toMatchObject([{ id: 1, name: 'v', deleted: null }]);
      expect(await stored('disks')).toMatchObject([{ id: 1, vm_id: null, deleted: 0 }]);
      const host = await seed(Host, { name: 'h' });
      const vm2 = new Vm();
      vm2.host = host;
      expect(vm2.host_id).toBe(host.id);
    });

    it("a parent object assigned to a child takes the child as its one-to-many value only when that is None — the child itself, not a list; a list never set reads [] in SQLAlchemy, not None, and is kept (models.py:213-217)", () => {
      const shelf = new Shelf();
      shelf.id = 's4';
      const b = new Book();
      b.shelf = shelf;
      expect(b.shelf_id).toBe('s4');
      expect(shelf.books).toBeUndefined();
      expect(shelf._associated_objects[0]).toBe(b);
      const emptied = new Shelf();
      emptied.books = null;
      const c = new Book();
      c.shelf = emptied;
      expect(emptied.books).toBe(c);
    });

    it('the one-to-many of a scalar backref: the object gets EVERY many-to-one fk from this entity (models.py:220-227), and a fk set later reaches an object whose remote field is None (192-199)', () => {
      const item = new Item();
      item.kind_id = 'k1';
      const kind = new Kind();
      item.kind = kind;
      expect(kind.id).toBe('k1');
      expect(kind.items).toBe(item);
      expect(item._associated_objects[0]).toBe(kind);
      const item2 = new Item();
      const kind2 = new Kind();
      item2.kind = kind2;
      expect(kind2.id).toBeNull();
      item2.kind_id = 'k2';
      expect(kind2.id).toBe('k2');
    });

    it('with a session, the flush writes the parent and then its children, each row once (models.py:325-326, 398-399, 448-449, 452-467)', async () => {
      const session = new RomeSession();
      const shelf = new Shelf();
      shelf.id = 's3';
      const a = new Book();
      shelf.books = [a];
      await session.begin(async () => session.add(shelf));
      expect(await stored('shelves')).toMatchObject([{ id: 's3', _rome_version_number: 0 }]);
      expect(await stored('books')).toMatchObject([{ id: 1, shelf_id: 's3', _rome_version_number: 0 }]);
      expect(session.alreadySaved).toEqual(new Set(['shelves:s3', 'books:1']));
    });
  });

  describe('ClusterLock (driver/redis/lock.py)', () => {
    it('lock() is one HSETNX on the hash `lock`: false while held, after a 5-10 ms sleep (lock.py:249-273)', async () => {
      const a = new ClusterLock();
      const b = new ClusterLock();
      expect(await a.lock('x', 100)).toBe(true);
      const before = now;
      expect(await b.lock('x', 100)).toBe(false);
      expect(now - before).toBeGreaterThanOrEqual(5);
      expect(now - before).toBeLessThanOrEqual(10);
      expect(JSON.parse((await store.dump()).hashes.lock['0_x'])).toMatchObject({ host: a.uuid, ttl: 100, key: '0_x', start_date: T0 / 1000 });
    });

    it('lock() first clears an expired lock (lock.py:250, 284-289)', async () => {
      const a = new ClusterLock();
      const b = new ClusterLock();
      await a.lock('x', 100);
      now = T0 + 50;
      expect(await b.lock('x', 100)).toBe(false);
      now = T0 + 101;
      expect(await b.lock('x', 100)).toBe(true);
    });

    it('unlock() deletes the lock if this instance owns it or it expired, not another owner\'s live lock (lock.py:275-295)', async () => {
      const a = new ClusterLock();
      const b = new ClusterLock();
      await a.lock('x', 100);
      await b.unlock('x');
      expect(Object.keys((await store.dump()).hashes.lock ?? {})).toEqual(['0_x']);
      await a.unlock('x');
      expect(Object.keys((await store.dump()).hashes.lock ?? {})).toEqual([]);
      await a.lock('y', 100);
      now += 200;
      await b.unlock('y');
      expect(Object.keys((await store.dump()).hashes.lock ?? {})).toEqual([]);
    });

    it('the owner is the ClusterLock instance: one shared lock object lets any caller release (lock.py:241, 252)', async () => {
      const shared = new ClusterLock();
      expect(await shared.lock('x', 100)).toBe(true);
      expect(await shared.lock('x', 100)).toBe(false);
      await shared.unlock('x');
      expect(await new ClusterLock().lock('x', 100)).toBe(true);
    });
  });

  describe('what the runtime does not model', () => {
    it('raises UnsupportedInRomeMemory instead of guessing (an aggregate-looking column, query.py:59)', () => {
      class Counter extends Base {
        static __tablename__ = 'counters';
        static id = Column(Integer, { primary_key: true });
        static report_count = Column(Integer);
      }
      expect(() => query(Counter.report_count)).toThrow(UnsupportedInRomeMemory);
    });

    it('raises UnsupportedInRomeMemory on reading a relationship of a loaded row (ROME loads it lazily, core/utils.py:460-519)', async () => {
      await seed(Vm, { name: 'v' });
      const vm = await query(Vm).first();
      expect(vm.name).toBe('v');
      expect(() => vm.host).toThrow(UnsupportedInRomeMemory);
    });

    it('raises it too on a backref another class declares to the loaded row (not undefined: ROME loads backrefs as well, get_relationships walks the mapper)', async () => {
      await seed(Shelf, { id: 's1', name: 'fiction' });
      const shelf = await query(Shelf).first();
      expect(shelf.name).toBe('fiction');
      expect(() => shelf.books).toThrow(UnsupportedInRomeMemory);
    });
  });
});
}
