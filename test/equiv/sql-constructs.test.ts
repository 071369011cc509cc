import { beforeEach, describe, expect, it } from 'vitest';
import { openEngine, type SqlEngine } from '../../src/equiv/sql/engine.js';
import { createTable } from '../../src/equiv/sql/schema.js';
import { configureMappers, mapperOf } from '../../src/equiv/sql/runtime/mapper.js';
import { useEngine, Session, NoResultFound, MultipleResultsFound } from '../../src/equiv/sql/runtime/orm.js';
import { Column, ForeignKey, Integer, String, relationship, tableOf, UnsupportedInReference } from '../../src/equiv/sql/runtime/schema.js';
import { ModelBase } from '../../src/equiv/sql/runtime/oslo-models.js';
import { DBDeadlock, DBDuplicateEntry, InvalidSortKey } from '../../src/equiv/sql/runtime/oslo-exception.js';
import { and_, not_, or_ } from '../../src/equiv/sql/runtime/expressions.js';
import { func, literal_column, null_, select, text, true_ } from '../../src/equiv/sql/runtime/functions.js';
import { create_engine, sql } from '../../src/equiv/sql/runtime/sqlalchemy.js';
import { EngineFacade } from '../../src/equiv/sql/runtime/oslo-session.js';
import { model_query, paginate_query } from '../../src/equiv/sql/runtime/oslo-utils.js';
import { wrap_db_retry } from '../../src/equiv/sql/runtime/oslo-api.js';
import { set_defaults } from '../../src/equiv/sql/runtime/oslo-options.js';
import { declarative_base } from '../../src/equiv/sql/runtime/sqlalchemy-ext-declarative.js';
import { Table, MetaData } from '../../src/equiv/sql/runtime/tables.js';
import { RelationshipProperty } from '../../src/equiv/sql/runtime/relationships.js';

// The constructs the samples use beyond Nova's, each on a small schema of its own: a volume with
// metadata rows (one-to-many, a primaryjoin string that skips deleted rows), and a volume type
// reached many-to-many (not run by the reference).
const BASE = declarative_base();

class Kind extends BASE(ModelBase) {
  static __tablename__ = 'kinds';
  static id = Column(Integer, { primary_key: true });
  static name = Column(String(255));
}

class Volume extends BASE(ModelBase) {
  static __tablename__ = 'volumes';
  static id = Column(String(36), { primary_key: true });
  static host = Column(String(255));
  static size = Column(Integer, { default: 0 });
  static project_id = Column(String(36));
  static deleted = Column(Integer, { default: 0 });
  static kind_id = Column(Integer, ForeignKey('kinds.id'));
  static kind = relationship('Kind');
  static tags = relationship('Kind', { secondary: 'volume_kinds' });
}

class Meta extends BASE(ModelBase) {
  static __tablename__ = 'volume_metadata';
  static id = Column(Integer, { primary_key: true });
  static volume_id = Column(String(36), ForeignKey('volumes.id'), { nullable: false });
  static key = Column(String(255));
  static value = Column(String(255));
  static deleted = Column(Integer, { default: 0 });
  static volume = relationship(Volume, {
    backref: 'volume_metadata',
    primaryjoin: 'and_(Meta.volume_id == Volume.id, Meta.deleted == 0)',
  });
}

let db: SqlEngine;
let session: Session;
const V = Volume as any;
const M = Meta as any;

beforeEach(async () => {
  db = await openEngine();
  for (const [model, keys] of [
    [Kind, []],
    [Volume, []],
    [Meta, [['volume_id', 'key']]],
  ] as const) {
    db.run(createTable(tableOf(model, keys as unknown as string[][])));
    mapperOf(model, model === Kind ? 'Kind' : model === Volume ? 'Volume' : 'Meta');
  }
  configureMappers();
  useEngine(db);
  session = new Session(db);
  for (const [id, host, size, project_id] of [
    ['v1', 'a', 1, 'p1'],
    ['v2', 'a', 2, 'p1'],
    ['v3', 'b', 4, 'p2'],
  ] as const) {
    Object.assign(new Volume(), { id, host, size, project_id }).save(session);
  }
  for (const [volume_id, key, value, deleted] of [
    ['v1', 'tier', 'gold', 0],
    ['v2', 'tier', 'gold', 1],
    ['v3', 'tier', 'silver', 0],
  ] as const) {
    Object.assign(new Meta(), { volume_id, key, value, deleted }).save(session);
  }
});

const ids = (rows: unknown) => (rows as { id: string }[]).map((r) => r.id).sort();

describe('functions and literals', () => {
  it('func.count/sum/max/min in query(): one row of numbers, grouped by a column', () => {
    expect(session.query(func.count(V.id), func.sum(V.size), func.max(V.size), func.min(V.size)).first()).toEqual([3, 7, 4, 1]);
    expect(session.query(V.host, func.count(V.id)).group_by(V.host).order_by(V.host).all()).toEqual([
      ['a', 2],
      ['b', 1],
    ]);
    expect(session.query(func.count()).filter(V.host.eq('a')).scalar()).toBe(2);
    expect(session.query(func.sum(V.size)).filter(V.host.eq('z')).scalar()).toBeNull();
    expect(session.query(V.host, func.sum(V.size).label('total')).group_by(V.host).having(func.sum(V.size).gt(3)).all()).toEqual([['b', 4]]);
  });

  it('literal_column as an UPDATE value keeps the column; null(), true(), not_, or_, op()', () => {
    expect(session.query(Volume).filter(V.id.eq('v1')).update({ host: literal_column('project_id') })).toBe(1);
    expect(db.all("SELECT host FROM volumes WHERE id = 'v1'")).toEqual([{ host: 'p1' }]);
    session.query(Volume).filter(V.id.eq('v1')).update({ host: null_() });
    expect(ids(session.query(Volume).filter(V.host.is(null)).all())).toEqual(['v1']);
    expect(ids(session.query(Volume).filter(true_()).all())).toEqual(['v1', 'v2', 'v3']);
    expect(ids(session.query(Volume).filter(not_(V.host.eq('a'))).all())).toEqual(['v3']);
    expect(ids(session.query(Volume).filter(V.project_id.op('LIKE')('p%'), or_(V.size.ge(4), V.id.eq('v2'))).all())).toEqual(['v2', 'v3']);
    expect(ids(session.query(Volume).filter(V.project_id.op('NOT LIKE')('p1%')).all())).toEqual(['v3']);
    expect(() => V.host.op('; DROP TABLE volumes')).toThrow(UnsupportedInReference);
    expect(sql.null).toBe(null_);
  });

  it('text(): session.execute with :named parameters (a list expands), engine.execute, text() as a filter', () => {
    const rows = [...session.execute(text('SELECT id FROM volumes WHERE size >= :min AND id IN :ids ORDER BY id'), { min: 2, ids: ['v1', 'v2', 'v3'] })];
    expect(rows).toEqual([{ id: 'v2' }, { id: 'v3' }]);
    expect(create_engine('mysql://x').execute(text('DELETE FROM volume_metadata WHERE deleted != 0')).rowcount).toBe(1);
    expect(ids(session.query(Volume).filter(text("host = 'b'")).all())).toEqual(['v3']);
    expect(() => session.query(Volume).filter(text('host = :h')).all()).toThrow(UnsupportedInReference);
    expect(() => session.execute(text('SELECT 1 WHERE :x'), {})).toThrow(/:x/);
  });

  it('select() and Core statements on a Table raise unsupported when used, not when built or imported', () => {
    expect(() => select([V.id])).toThrow(UnsupportedInReference);
    const t = new Table('volumes', new MetaData());
    expect(() => t.delete()).toThrow(UnsupportedInReference);
    expect(() => t.c).toThrow(UnsupportedInReference);
  });
});

describe('one_or_none', () => {
  it('answers the only row or null and raises MultipleResultsFound on more, in both spellings', () => {
    expect((session.query(Volume).filter(V.id.eq('v1')).one_or_none() as any).id).toBe('v1');
    expect((session.query(Volume).filter(V.id.eq('v1')).oneOrNone() as any).id).toBe('v1');
    expect(session.query(Volume).filter(V.id.eq('none')).oneOrNone()).toBeNull();
    expect(() => session.query(Volume).oneOrNone()).toThrow(MultipleResultsFound);
  });
});

describe('relationships', () => {
  it('any() is EXISTS over the related rows, with the primaryjoin’s own condition (deleted rows skipped)', () => {
    expect(ids(session.query(Volume).filter(V.volume_metadata.any({ key: 'tier', value: 'gold' })).all())).toEqual(['v1']);
    expect(ids(session.query(Volume).filter(not_(V.volume_metadata.any())).all())).toEqual(['v2']);
    expect(ids(session.query(Meta).filter(M.volume.has(V.host.eq('b'))).all())).toEqual([3]);
    expect(V.volume_metadata.property).toBeInstanceOf(RelationshipProperty);
    expect(V.volume_metadata.property.uselist).toBe(true);
  });

  it('an instance loads its related rows lazily from its session; a transient one has none', () => {
    const v1 = session.query(Volume).filter(V.id.eq('v1')).one() as any;
    expect(v1.volume_metadata.map((m: any) => [m.key, m.value])).toEqual([['tier', 'gold']]);
    const v2 = session.query(Volume).filter(V.id.eq('v2')).one() as any;
    expect(v2.volume_metadata).toEqual([]);
    const meta = session.query(Meta).filter(M.id.eq(1)).one() as any;
    expect(meta.volume.id).toBe('v1');
    expect((new Volume() as any).volume_metadata).toEqual([]);
  });

  it('assigned children are saved with their parent (save-update cascade), the foreign key set', async () => {
    const v = Object.assign(new Volume(), { id: 'v4' }) as any;
    v.volume_metadata = [Object.assign(new Meta(), { key: 'a', value: '1' })];
    v.kind = Object.assign(new Kind(), { name: 'ssd' });
    await session.begin(async () => session.add(v));
    expect(db.all("SELECT volume_id, key FROM volume_metadata WHERE volume_id = 'v4'")).toEqual([{ volume_id: 'v4', key: 'a' }]);
    expect(db.all("SELECT kinds.name FROM volumes JOIN kinds ON kinds.id = volumes.kind_id WHERE volumes.id = 'v4'")).toEqual([{ name: 'ssd' }]);
  });

  it('a many-to-many (secondary) relationship raises unsupported when used', () => {
    const v1 = session.query(Volume).filter(V.id.eq('v1')).one() as any;
    expect(() => v1.tags).toThrow(UnsupportedInReference);
    expect(() => session.query(Volume).filter(V.tags.any()).all()).toThrow(/secondary/);
  });

  it('subquery() in in_(); its columns (joins to a subquery) are unsupported', () => {
    const sub = session.query(M.volume_id).filter(M.value.eq('gold')).subquery();
    expect(ids(session.query(Volume).filter(V.id.in_(sub)).all())).toEqual(['v1', 'v2']);
    expect(ids(session.query(Volume).filter(V.id.in_(session.query(M.volume_id).filter(M.value.eq('silver')))).all())).toEqual(['v3']);
    expect(() => sub.c.volume_id).toThrow(UnsupportedInReference);
  });
});

describe('oslo.db', () => {
  it('a duplicate create raises DBDuplicateEntry with the key’s columns, and nothing is written', () => {
    expect(() => Object.assign(new Meta(), { volume_id: 'v1', key: 'tier', value: 'x' }).save(new Session(db))).toThrow(DBDuplicateEntry);
    try {
      Object.assign(new Meta(), { volume_id: 'v1', key: 'tier', value: 'x' }).save(new Session(db));
    } catch (e) {
      expect((e as DBDuplicateEntry).columns).toEqual(['volume_id', 'key']);
    }
    expect(db.all("SELECT count(*) AS n FROM volume_metadata WHERE volume_id = 'v1'")).toEqual([{ n: 1 }]);
  });

  it('EngineFacade: sessions and an engine on the reference database, whatever the connection', () => {
    set_defaults({}, { connection: 'sqlite://' });
    const conf = { database: {} as Record<string, unknown> };
    set_defaults(conf, { connection: 'sqlite://', max_pool_size: 5 });
    expect(conf.database).toEqual({ connection: 'sqlite://', max_pool_size: 5 });
    const facade = EngineFacade.from_config(conf);
    expect(facade.get_session()).toBeInstanceOf(Session);
    expect(facade.get_session().query(Volume).count()).toBe(3);
    expect(facade.get_engine().execute('SELECT count(*) AS n FROM volumes').scalar()).toBe(3);
  });

  it('model_query filters on deleted (against the column default) and project_id', () => {
    expect(ids(model_query({ model: Volume, session, project_id: 'p1' }).all())).toEqual(['v1', 'v2']);
    expect(ids(model_query({ model: Volume, session, project_id: ['p2'] }).all())).toEqual(['v3']);
    expect(model_query({ model: Meta, session, deleted: true }).count()).toBe(1);
    expect(model_query({ model: Meta, session, deleted: false }).count()).toBe(2);
    expect(() => model_query({ model: Kind, session, deleted: false })).toThrow(/deleted/);
    expect(() => model_query({ model: {}, session })).toThrow(TypeError);
  });

  it('paginate_query: sort keys and directions, rows after the marker, at most limit', () => {
    const page = (marker: unknown, limit: number | null) => ids(paginate_query(session.query(Volume), Volume, limit, ['host', 'id'], { marker, sort_dirs: ['desc', 'asc'] }).all());
    const order = (rows: unknown) => (rows as { id: string }[]).map((r) => r.id);
    expect(order(paginate_query(session.query(Volume), Volume, null, ['host', 'id'], { sort_dirs: ['desc', 'asc'] }).all())).toEqual(['v3', 'v1', 'v2']);
    expect(page({ host: 'b', id: 'v3' }, 1)).toEqual(['v1']);
    expect(page({ host: 'a', id: 'v1' }, 5)).toEqual(['v2']);
    expect(() => paginate_query(session.query(Volume), Volume, 1, ['nope'])).toThrow(InvalidSortKey);
    expect(() => paginate_query(session.query(Volume), Volume, 1, ['id'], { sort_dir: 'up' })).toThrow(/sort direction/);
  });

  it('wrap_db_retry re-runs a call that raised DBDeadlock (sync stays sync), at most max_retries times', async () => {
    let calls = 0;
    const flaky = wrap_db_retry({ max_retries: 2, retry_on_deadlock: true })(async () => {
      if (++calls < 3) throw new DBDeadlock();
      return 'done';
    });
    expect(await flaky()).toBe('done');
    expect(calls).toBe(3);
    calls = 0;
    const always = wrap_db_retry({ max_retries: 2, retry_on_deadlock: true })(() => {
      calls++;
      throw new DBDeadlock();
    });
    expect(() => always()).toThrow(DBDeadlock);
    expect(calls).toBe(3);
    calls = 0;
    const other = wrap_db_retry({ max_retries: 5, retry_on_deadlock: true })(() => {
      calls++;
      throw new NoResultFound();
    });
    expect(() => other()).toThrow(NoResultFound);
    expect(calls).toBe(1);
    expect(wrap_db_retry()(() => 7)()).toBe(7);
  });

  it('declarative_base shares one MetaData', () => {
    expect((Volume as any).metadata).toBe(BASE.metadata);
    expect(BASE.metadata).toBeInstanceOf(MetaData);
  });
});

describe('column types and validators', () => {
  it('a TypeDecorator column converts on the way in and out; @validates runs on assignment', async () => {
    const { TypeDecorator } = await import('../../src/equiv/sql/runtime/tables.js');
    const { validates } = await import('../../src/equiv/sql/runtime/sqlalchemy-orm.js');
    const { Text } = await import('../../src/equiv/sql/runtime/schema.js');
    class JSONEncodedDict extends TypeDecorator {
      static impl = Text;
      process_bind_param(value: unknown) {
        return value === null || value === undefined ? value : JSON.stringify(value);
      }
      process_result_value(value: unknown) {
        return value === null || value === undefined ? value : JSON.parse(value as string);
      }
    }
    class Task extends BASE(ModelBase) {
      static __tablename__ = 'tasks';
      static id = Column(Integer, { primary_key: true });
      static input = Column(JSONEncodedDict as any);
      static reason = Column(String(255));
      validate_reason(_key: string, value: string) {
        return (value && value.slice(0, 3)) || '';
      }
    }
    // applied by hand (the test's transformer keeps decorator syntax; the worker's TypeScript
    // lowers it, see the Cinder sample's Backup in sql-samples.test)
    const initializers: ((this: unknown) => void)[] = [];
    validates('reason')(Task.prototype.validate_reason, { addInitializer: (f: (this: unknown) => void) => initializers.push(f) } as unknown as ClassMethodDecoratorContext);
    for (const init of initializers) init.call(new Task());
    db.run(createTable(tableOf(Task, [])));
    mapperOf(Task, 'Task');
    const task = Object.assign(new Task(), { input: { a: [1] }, reason: 'abcdef' }) as any;
    expect(task.reason).toBe('abc');
    task.save(session);
    expect(db.all('SELECT input, reason FROM tasks')).toEqual([{ input: '{"a":[1]}', reason: 'abc' }]);
    const loaded = new Session(db).query(Task).one() as any;
    expect(loaded.input).toEqual({ a: [1] });
    expect(loaded.reason).toBe('abc');
  });
});

describe('errors of the service’s own SQL', () => {
  it('session.execute of failing SQL raises DBError; a foreign key violated raises DBReferenceError', async () => {
    const { DBError, DBReferenceError } = await import('../../src/equiv/sql/runtime/oslo-exception.js');
    expect(() => session.execute(text('INSERT INTO shadow_volumes SELECT * FROM volumes'))).toThrow(DBError);
    expect(() => Object.assign(new Meta(), { volume_id: 'nope', key: 'k' }).save(new Session(db))).toThrow(DBReferenceError);
  });
});

describe('sessionmaker', () => {
  it('query_cls: the session’s queries are of that class along the whole chain', async () => {
    const { Query, sessionmaker } = await import('../../src/equiv/sql/runtime/orm.js');
    class Counting extends Query {
      count(): number {
        return 100 + super.count();
      }
    }
    const s = sessionmaker({ query_cls: Counting })();
    const q = s.query(Volume).filter(V.host.eq('a')).order_by(V.id);
    expect(q).toBeInstanceOf(Counting);
    expect(q.count()).toBe(102);
  });
});

describe('query results as SQLAlchemy answers them', () => {
  it('a column query answers rows (row[0], row.<key>), an entity query instances, several targets rows', () => {
    const [row] = session.query(V.id).order_by(V.id).all() as any[];
    expect(row[0]).toBe('v1');
    expect(row.id).toBe('v1');
    expect(row).toHaveLength(1);
    expect(session.query(V.id).order_by(V.id).all()).toEqual([['v1'], ['v2'], ['v3']]);
    const first = session.query(V.host).filter(V.id.eq('v3')).first() as any;
    expect([first[0], first.host]).toEqual(['b', 'b']);
    const [host] = first;
    expect(host).toBe('b');
    expect(session.query(V.id).filter(V.id.eq('v2')).one()).toEqual(['v2']);
    expect(session.query(V.id).filter(V.id.eq('v2')).scalar()).toBe('v2');
    const pair = session.query(Volume, V.size).filter(V.id.eq('v2')).first() as any;
    expect(pair[0]).toBeInstanceOf(Volume);
    expect(pair.Volume).toBe(pair[0]);
    expect([pair[1], pair.size]).toEqual([2, 2]);
    const labelled = session.query(func.count(V.id).label('n')).first() as any;
    expect([labelled[0], labelled.n]).toEqual([3, 3]);
    // an entity alone is the instance itself
    expect(session.query(Volume).filter(V.id.eq('v1')).first()).toBeInstanceOf(Volume);
    // rows are plain arrays to what compares or serialises them
    expect(JSON.stringify(row)).toBe('["v1"]');
    expect(Array.isArray(row.map((x: unknown) => x))).toBe(true);
  });

  it('a query with a mapped entity answers each joined row once (legacy Query uniquing); a column query keeps them', () => {
    Object.assign(new Meta(), { volume_id: 'v1', key: 'size', value: 'big' }).save(session);
    const joined = session.query(Volume).join(Meta).filter(M.deleted.eq(0));
    expect(ids(joined.all())).toEqual(['v1', 'v3']);
    expect(joined.filter(V.id.eq('v1')).one()).toBeInstanceOf(Volume);
    // SQLAlchemy's count() counts the SQL rows (a subquery), uniquing is the ORM's
    expect(joined.count()).toBe(3);
    expect(session.query(V.id).join(Meta).filter(M.deleted.eq(0)).order_by(V.id).all()).toEqual([['v1'], ['v1'], ['v3']]);
    // an entity with a column: the tuple is uniqued (entity by identity, column by value)
    expect(session.query(Volume, M.key).join(Meta).filter(M.deleted.eq(0)).all()).toHaveLength(3);
    expect(session.query(Volume, V.host).join(Meta).filter(M.deleted.eq(0)).all()).toHaveLength(2);
  });

  it('exists() answers whether a row matches (the samples await it as a boolean)', async () => {
    expect(await session.query(Volume).filter(V.host.eq('a')).exists()).toBe(true);
    expect(session.query(Volume).filter(V.host.eq('z')).exists()).toBe(false);
  });

  it('a member the reference lacks raises UnsupportedInReference on Query, Session, columns and relationships; probes answer undefined', () => {
    const q = session.query(Volume) as any;
    expect(() => q.with_entities(V.id)).toThrow(UnsupportedInReference);
    expect(() => q.yield_per(10)).toThrow(/Query\.yield_per/);
    expect(() => (session as any).merge(new Volume())).toThrow(UnsupportedInReference);
    expect(() => (session as any).expire_all()).toThrow(/Session\.expire_all/);
    expect(() => V.host.contains('x')).toThrow(UnsupportedInReference);
    expect(() => V.size.between(1, 2)).toThrow(/between/);
    expect(() => M.volume.of_type(Volume)).toThrow(UnsupportedInReference);
    // what awaiting, serialising or printing a value looks for is not a call of the service
    expect(q.then).toBeUndefined();
    expect(q.toJSON).toBeUndefined();
    expect(V.host.then).toBeUndefined();
    expect(typeof q.filter).toBe('function');
    expect(V.host.key).toBe('host');
  });
});
