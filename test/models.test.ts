import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readModels } from '../src/analyzer/models.js';
import { FIXTURES, portModelsAt } from './helpers.js';
import { checkSnippet } from './verify/snippets.js';

const fixture = (name: string) => readFileSync(join(FIXTURES, 'models', `${name}.input.ts`), 'utf8');
const port = portModelsAt;

describe('the models port (issue 9)', () => {
  const { report } = port(fixture('table-args'));
  const cls = (name: string) => report.classes.find((c) => c.name === name)!;

  it('reports by class: models ported, a plain class unchanged', () => {
    expect(report.classes.map((c) => [c.name, c.status])).toEqual([
      ['Base', 'ported'],
      ['Service', 'ported'],
      ['ComputeNode', 'ported'],
      ['Quota', 'unchanged'],
      ['AuditLog', 'ported'],
    ]);
    expect(report.summary).toMatchObject({ classes: 5, unchanged: 1, ported: 4, manual: 0, manualItems: 0 });
  });

  it('records every removal: each table argument, each DDL column option, the SQL base', () => {
    const details = cls('Service').changes.map((c) => c.detail);
    expect(details).toEqual([
      expect.stringMatching(/^`UniqueConstraint` uniq_services0host0topic0deleted \(host, topic, deleted\) dropped: .*create-lock checks this one/),
      expect.stringMatching(/^`Index` services_host_idx \(host\) dropped: ROME creates no SQL index/),
      expect.stringMatching(/^table options `mysql_engine`, `mysql_charset` dropped/),
      expect.stringMatching(/^column `uuid`: option `unique: true` dropped: .*create-lock checks this column/),
      expect.stringMatching(/^column `uuid`: option `index: true` dropped/),
      expect.stringMatching(/^column `report_count`: option `server_default: '0'` dropped/),
    ]);
    expect(cls('Base').changes.map((c) => c.detail)).toEqual([
      expect.stringMatching(/^base class `SoftDeleteMixin\(TimestampMixin\(ModelBase\)\)` → `Entity` \(rome-orm\); soft delete is `Entity.soft_delete\(\)`.*`created_at`\/`updated_at` are filled by ROME on save/),
      // the mixins' columns stay declared: model_query filters on `deleted`
      'columns `created_at`, `updated_at`, `deleted_at`, `deleted` of oslo.db\'s mixins declared on Base: ROME\'s Entity fills them but does not declare them, and queries filter on them',
      expect.stringMatching(/^`__table_args__ = \[\]` dropped/),
      // the base's touch(session?: Session) signature changes too, and says so
      '`Session` → `RomeSession` (renamed with its import)',
    ]);
    // a local mixin stays around the entity base
    expect(cls('AuditLog').changes[0].detail).toMatch(/^base class `Audited\(TimestampMixin\(ModelBase\)\)` → `Audited\(Entity\)`/);
    // a uniq_-named index is a unique key (Nova's convention): create-lock checks it
    expect(cls('ComputeNode').changes[0].detail).toMatch(/create-lock checks this one/);
    expect(report.module.changes.map((c) => c.kind)).toEqual(['import', 'import', 'import', 'import']);
  });

  it('the unique keys create-lock reads stay those of the SQL models, column-level unique included', () => {
    const catalog = readModels('models.ts', fixture('table-args'));
    expect(catalog.get('Service')!.uniqueKeys.map((k) => k.columns)).toEqual([['host', 'topic', 'deleted'], ['uuid']]);
  });

  it('keeps and marks what ROME cannot map, and the SQL imports that code needs', () => {
    const { output, report } = port(fixture('sql-constructs'));
    expect(report.summary.manualItems).toBe(5);
    expect(report.classes.find((c) => c.name === 'Instance')!.manual.map((m) => m.reason)).toEqual([
      expect.stringMatching(/^`column_property` from sqlalchemy\/orm has no ROME equivalent/),
    ]);
    expect(output).toMatch(/\/\/ port-db: manual SQL import kept for manual code: Table, MetaData, select, func\nimport \{ Table, MetaData, select, func \} from 'sqlalchemy';/);
  });

  it('an already ported module is left as it is', () => {
    const text = fixture('skip-already-entities');
    const { output, report } = port(text);
    expect(output).toBe(text);
    expect(report.summary.ported).toBe(0);
  });
});

describe('the entity declarations of the ROME contract', () => {
  it('type-check every ported models fixture, strict or not', () => {
    for (const name of ['table-args', 'declarative-base']) {
      const output = port(fixture(name)).output;
      expect(checkSnippet(output), name).toEqual([]);
      expect(checkSnippet(output, { strict: true }).filter((d) => d.code !== 7006), name).toEqual([]);
    }
  });

  it('declare no DDL: UniqueConstraint, Index, and the unique/index column options do not type-check', () => {
    const text = `import { Entity, Column, Integer } from 'rome-orm';
import { UniqueConstraint, Index } from 'rome-orm';
export class A extends Entity {
  static id = Column(Integer, { primary_key: true, unique: true });
  static n = Column(Integer, { index: true });
}
`;
    const found = checkSnippet(text);
    // no overload of Column takes `unique` or `index`
    expect(found.map((d) => [d.line, d.code])).toEqual([
      [2, 2305],
      [2, 2305],
      [4, 2769],
      [5, 2769],
    ]);
    expect(found[2].message).toMatch(/'unique' does not exist/);
    expect(found[3].message).toMatch(/'index' does not exist/);
  });
});

describe('the models catalog sees inherited columns (real models declare them once, in a base)', () => {
  const catalog = readModels(
    'models.ts',
    `import { Column, Integer, String, Boolean, DateTime, UniqueConstraint } from 'sqlalchemy';
import { ModelBase, SoftDeleteMixin, TimestampMixin } from 'oslo.db/sqlalchemy/models';

export class NovaBase extends SoftDeleteMixin(TimestampMixin(ModelBase)) {}

export class InstanceGroup extends NovaBase {
  static __tablename__ = 'instance_groups';
  static __table_args__ = [UniqueConstraint('uuid', 'deleted', { name: 'uniq_instance_groups0uuid0deleted' })];
  static id = Column(Integer, { primary_key: true, autoincrement: true });
  static uuid = Column(String(36), { nullable: false });
}

/** Cinder's shape: the project's base declares its own soft-delete columns and the id. */
export function CinderBase<B extends new (...a: any[]) => any>(Base: B) {
  return class extends Base {
    static id = Column(String(36), { primary_key: true });
    static deleted_at = Column(DateTime);
    static deleted = Column(Boolean, { default: false });
  };
}

export class Volume extends CinderBase(TimestampMixin(ModelBase)) {
  static __tablename__ = 'volumes';
  static __table_args__ = [UniqueConstraint('name', 'deleted')];
  static name = Column(String(255));
}
`,
  );

  it('a column of a library mixin (SoftDeleteMixin.deleted) makes the key unique among live rows', () => {
    const group = catalog.get('InstanceGroup')!;
    expect(group.softDelete).toBe('deleted');
    expect([...group.columns.keys()].sort()).toEqual(['created_at', 'deleted', 'deleted_at', 'id', 'updated_at', 'uuid']);
    expect(group.uniqueKeys).toEqual([{ name: 'uniq_instance_groups0uuid0deleted', columns: ['uuid', 'deleted'], amongLive: true }]);
  });

  it('columns and the primary key of a local mixin function count, and its Boolean deleted is the soft-delete column', () => {
    const volume = catalog.get('Volume')!;
    expect(volume.softDelete).toBe('deleted');
    expect(volume.columns.get('deleted')).toEqual({ type: 'Boolean' });
    expect(volume.primaryKey).toEqual(['id']);
    // a String id is chosen by the client: the primary key is a unique key too
    expect(volume.uniqueKeys.map((k) => k.columns)).toEqual([['id'], ['name', 'deleted']]);
  });
});

describe('truthy column defaults: ROME gives a default to every FALSY field at save (models.py:142-151)', () => {
  const { output, report } = port(fixture('truthy-defaults'));

  it('wraps each default that is not a falsy literal, one record per column; falsy literals and the soft-delete column stay', () => {
    const details = report.classes.find((c) => c.name === 'Flavor')!.changes.map((c) => c.detail).filter((d) => d.includes('_sql_default'));
    expect(details.map((d) => /^column `(\w+)`/.exec(d)![1])).toEqual(['is_public', 'rxtx_factor', 'vcpu_weight', 'status', 'state', 'flavorid']);
    expect(details[0]).toBe(
      "column `is_public`: `default: true` applied as SQL applies it, to a field left null or unset (`_sql_default`): ROME's Entity gives a column its default over any falsy value at each save (a saved `false` would be stored as `true`)",
    );
    for (const kept of ['disabled = Column(Boolean, { default: false })', 'swap = Column(Integer, { nullable: false, default: 0 })', "description = Column(Text, { default: '' })", "deleted = Column(String(36), { default: 'False' })"])
      expect(output).toContain(kept);
    expect(output.match(/function _sql_default/g)).toHaveLength(1);
  });

  it('on ROME (in memory), the wrapped default keeps a saved false / 0 and fills an unset or null field; a loaded row keeps its value', async () => {
    const { default: ts } = await import('typescript');
    const { HELPERS } = await import('../src/rewriters/helpers.js');
    const rome = await import('../src/equiv/rome-memory/index.js');
    const helper = HELPERS.find((h) => h.id === 'sql_default')!.render(undefined as never, { session: [], query: [] });
    const js = ts.transpileModule(helper, { compilerOptions: { target: ts.ScriptTarget.ES2022 } }).outputText;
    const _sql_default = new Function(`${js}; return _sql_default;`)() as (key: string, value: unknown) => unknown;
    class Flavor extends rome.Entity {
      static __tablename__ = 'flavors_sql_default';
      static id = rome.Column(rome.Integer, { primary_key: true });
      static is_public = rome.Column(rome.Boolean, { default: _sql_default('is_public', true) });
      static rxtx_factor = rome.Column(rome.Float, { default: _sql_default('rxtx_factor', 1.0) });
      static flavorid = rome.Column(rome.String(36), { default: _sql_default('flavorid', () => 'generated') });
    }
    rome.useStore(rome.createMemoryStore());
    const save = async (values: Record<string, unknown>) => {
      const f = new Flavor();
      f.update(values);
      // not before the save: SQL fills a default at INSERT, ROME's update() skips a function default
      expect(f.is_public).toBe(values.is_public);
      await f.save();
      return f;
    };
    const given = await save({ is_public: false, rxtx_factor: 0, flavorid: '' });
    expect([given.is_public, given.rxtx_factor, given.flavorid]).toEqual([false, 0, '']);
    const unset = await save({ is_public: undefined, rxtx_factor: null });
    expect([unset.is_public, unset.rxtx_factor, unset.flavorid]).toEqual([true, 1.0, 'generated']);
    const loaded = (await new rome.RomeSession().query(Flavor).filter_by({ id: given.id }).first()) as Flavor;
    loaded.update({ rxtx_factor: 2 });
    await loaded.save();
    const again = (await new rome.RomeSession().query(Flavor).filter_by({ id: given.id }).first()) as Flavor;
    expect([again.is_public, again.rxtx_factor, again.flavorid]).toEqual([false, 2, '']);
    rome.forgetMappedClasses();
  });
});

describe('the methods a model runs, with the class that defines each (bulk delete, lib/rome/core/orm/query.py:151-157)', () => {
  it("inherited from a base, the model's own, none (ROME's Entity's)", () => {
    const catalog = readModels('models.ts', readFileSync(join(FIXTURES, 'query', 'bulk-delete-own-delete.models.ts'), 'utf8'));
    expect(catalog.get('ImageTag')?.methodOwners?.get('delete')).toBe('GlanceBase');
    expect(catalog.get('ImageTag')?.methods?.has('delete')).toBe(true);
    expect(catalog.get('Task')?.methodOwners?.get('delete')).toBe('Task');
    expect(catalog.get('AuditLog')?.methodOwners?.has('delete')).toBe(false);
  });

  it("the nearest definition wins: the model's over its base's, an outer mixin's over an inner one's", () => {
    const catalog = readModels(
      'models.ts',
      `function Inner(Base: any) { return class extends Base { delete() {} save() {} }; }
function Outer(Base: any) { return class extends Base { save() {} }; }
class Base extends Outer(Inner(ModelBase)) { delete() {} }
class A extends Base { static __tablename__ = 'a'; delete() {} }
class B extends Base { static __tablename__ = 'b'; }
class C extends Outer(Inner(ModelBase)) { static __tablename__ = 'c'; }
`,
    );
    expect(catalog.get('A')?.methodOwners?.get('delete')).toBe('A');
    expect(catalog.get('B')?.methodOwners?.get('delete')).toBe('Base');
    expect(catalog.get('C')?.methodOwners?.get('delete')).toBe('Inner');
    expect(catalog.get('C')?.methodOwners?.get('save')).toBe('Outer');
  });
});
