import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ALL_REWRITERS } from '../src/rewriters/index.js';
import { repoint } from '../src/rewriters/import.js';
import { portModule } from '../src/port/port-module.js';
import { loadRulePack } from '../src/rules.js';
import { expectFile, FIXTURES, portModelsText, portText, portTextBesideModels } from './helpers.js';

/** The models rewriter runs on the models module (its own pipeline); the others on api.ts. */
const porterOf = (id: string) => (id === 'models' ? portModelsText : portText);

/**
 * A case ports beside the Nova-like models, or beside its own `<case>.models.ts` when it has one
 * (a model class that overrides a method of ROME's Entity).
 */
const casePorter = (id: string, dir: string, name: string) => {
  const models = join(dir, `${name}.models.ts`);
  return id !== 'models' && existsSync(models) ? (text: string) => portText(text, undefined, models) : porterOf(id);
};

/**
 * Per-rewriter fixtures (jscodeshift style): fixtures/<id>/<case>.input.ts ports to
 * <case>.output.ts; skip-<case>.input.ts must come out unchanged. Every case is ported
 * twice: the second port must change nothing.
 */
for (const rewriter of ALL_REWRITERS) {
  const dir = join(FIXTURES, rewriter.id);
  const inputs = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.input.ts')).sort() : [];
  describe(`rewriter ${rewriter.id}`, () => {
    for (const file of inputs) {
      const name = file.replace(/\.input\.ts$/, '');
      const portText = casePorter(rewriter.id, dir, name);
      const input = readFileSync(join(dir, file), 'utf8');
      // each test ports for itself, not the suite at collection: a port that throws then fails its
      // tests instead of emptying the file, and mutation testing (docs/MUTATION.md) sees which
      // test covers which code
      if (name.startsWith('skip-')) {
        it(`${name}: comes out unchanged`, () => {
          const { output, report } = portText(input);
          expect(output).toBe(input);
          expect(report.functions.every((f) => f.status === 'unchanged')).toBe(true);
          expect(report.module.changes).toEqual([]);
        });
      } else {
        it(`${name}: ports to ${name}.output.ts`, () => {
          const { output } = portText(input);
          const { expected, actual } = expectFile(join(dir, `${name}.output.ts`), output);
          expect(actual).toBe(expected);
        });
        it(`${name}: records a ${rewriter.id} change`, () => {
          const { report } = portText(input);
          const kinds = [...report.module.changes, ...report.functions.flatMap((f) => f.changes)].map((c) => c.kind);
          expect(kinds).toContain(rewriter.id);
        });
        it(`${name}: porting the port changes nothing`, () => {
          const { output } = portText(input);
          expect(portText(output).output).toBe(output);
        });
      }
    }
  });
}

describe('rewriter samples (the docs cannot drift)', () => {
  for (const rewriter of ALL_REWRITERS) {
    const portText = porterOf(rewriter.id);
    rewriter.samples.forEach((sample, i) => {
      it(`${rewriter.id} sample ${i + 1}`, () => {
        expect(portText(sample.before).output).toBe(sample.after);
      });
    });
  }
});

describe('generated helpers follow the edits that use them', () => {
  const module = (filter: string) => `import { model_query } from './session';
import { text } from 'sqlalchemy';
import * as models from './models';

export async function get(context: any) {
  return await model_query(context, models.Instance).${filter}.one();
}
`;

  it('a rewrite that survives brings its helper', () => {
    const { output } = portText(module('filter_by({ id: 1 })'));
    expect(output).toContain('return _one(await model_query');
    expect(output).toContain('function _one<T>(rows: T[]): T {');
  });

  it('a rewrite independent of what is kept for a human is still made, and brings its helper', () => {
    const { output } = portText(module("filter(text('id = 1'))"));
    expect(output).toContain("return _one(await model_query(context, models.Instance).filter(text('id = 1')).all());");
    expect(output).toContain('function _one<T>(rows: T[]): T {');
  });

  it('a rewrite dropped inside code kept for a human brings none', () => {
    const { output } = portText(`import * as db_utils from 'oslo.db/sqlalchemy/utils';
import * as models from './models';

export const service_create = db_utils.guarded(async (context: any, values: Record<string, any>) => {
  const service_ref = new models.Service();
  service_ref.update(values);
  await service_ref.save();
  return service_ref;
});
`);
    expect(output).toContain('export const service_create = db_utils.guarded(async (context: any, values: Record<string, any>) => {');
    expect(output).not.toContain('acquire_lock');
    expect(output).not.toContain('ClusterLock');
    expect(output).not.toContain('DBDuplicateEntry');
    expect(output).not.toContain('RomeSession');
  });
});

describe('every removal is named in its record', () => {
  it('loader-option: a loop that only added loader options is named when it goes', () => {
    const { output, report } = portText(readFileSync(join(FIXTURES, 'loader-option', 'options.input.ts'), 'utf8'));
    expect(output).not.toContain('for (const column of columns_to_join)');
    const details = report.functions.find((f) => f.name === 'instance_get')!.changes.map((c) => c.detail);
    expect(details).toContain('dropped `.options(joinedload(column))`: ROME loads relations lazily; the loop over `columns_to_join` that only added them is removed with it');
  });
});

describe('session-add: one record per add', () => {
  const dir = join(FIXTURES, 'session-add');
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.input.ts') && !f.startsWith('skip-'))) {
    it(`${file}: as many session-add records as adds it wrote`, () => {
      const input = readFileSync(join(dir, file), 'utf8');
      const { output, report } = portText(input);
      // code only: a manual marker may name the add it asks for
      const adds = (text: string) => text.split('\n').filter((l) => !l.includes('port-db: manual') && l.includes('session.add(')).map((l) => l.split('session.add(').length - 1).reduce((a, b) => a + b, 0);
      const records = report.functions.flatMap((f) => f.changes).filter((c) => c.kind === 'session-add');
      expect(records.length).toBe(adds(output) - adds(input));
    });
  }
});

describe('manual: member names are not references to an import', () => {
  it('an interface member named like an SQL import is not flagged', () => {
    const { output } = portText(`import * as session from 'oslo.db/sqlalchemy/session';

interface Options {
  session?: unknown;
  session_of(): unknown;
}

export function f(o: Options) {
  return o;
}
`);
    expect(output).not.toContain('has no ROME equivalent');
  });
});

describe('manual: what the pack says of a construct', () => {
  // the same port as the fixtures, under a pack changed in memory
  const portWith = (text: string, change: (rules: ReturnType<typeof loadRulePack>) => void) => {
    const rules = loadRulePack();
    change(rules);
    return portModule({ sourcePath: '/svc/db/sqlalchemy/api.ts', outputPath: '/svc/db/discovery/api.ts', displaySource: 'db/sqlalchemy/api.ts', displayOutput: 'db/discovery/api.ts', text, rules }).output;
  };
  const page = `import { paginate_query } from '../../common/pagination';

export async function service_get_page(query: any, limit: number, marker: any) {
  return await paginate_query(query, limit, ['created_at', 'id'], { marker });
}
`;

  it('a pagination helper is SQL pagination only while the pack says it is manual', () => {
    expect(portWith(page, () => {})).toContain('// port-db: manual `paginate_query()`: SQL pagination');
    // a project whose own paginate_query pages plain rows: its pack does not list it
    expect(portWith(page, (rules) => delete rules.constructs.paginate_query)).toBe(page);
  });

  it('an engine factory the pack adds is an SQL engine too', () => {
    const text = `import { open_engine } from '../../common/engines';

export function _archive_engine(url: string) {
  return open_engine(url);
}
`;
    expect(portWith(text, () => {})).toBe(text);
    const out = portWith(text, (rules) => (rules.engineFactories = [...(rules.engineFactories ?? []), 'open_engine']));
    expect(out).toContain('  // port-db: manual `open_engine()`: an SQL engine (connections, dispose, raw SQL); ROME has none\n  return open_engine(url);');
  });

  it('a call to a name of a mapped module that the pack says is manual is kept and marked', () => {
    const text = `import { bulk_insert, table_name } from '@acme/db';

export async function fixed_ip_bulk_create(ips: any[]) {
  return await bulk_insert('fixed_ips', ips);
}

export function fixed_ip_table_name() {
  return table_name('fixed_ips');
}
`;
    const out = portWith(text, (rules) => {
      rules.importMappings = { ...rules.importMappings, '@acme/db': 'rome-orm' };
      rules.constructs = { ...rules.constructs, bulk_insert: 'manual' };
    });
    expect(out).toContain("  // port-db: manual `bulk_insert()` from @acme/db: ROME has no equivalent\n  return await bulk_insert('fixed_ips', ips);");
    // one the pack does not call manual is not
    expect(out).not.toContain('`table_name()`');
  });

  it("oslo.db's retry decorator becomes the generated helper only while the pack maps it", () => {
    const text = `import * as oslo_db_api from 'oslo.db/api';

export const service_destroy = oslo_db_api.wrap_db_retry({ retry_on_deadlock: true })(async (context: any, service_id: number) => service_id);
`;
    expect(portWith(text, () => {})).toContain('export const service_destroy = wrap_db_retry({ retry_on_deadlock: true })(');
    // a pack that keeps it for a human (isWanted): the call keeps oslo.db's name, and no helper comes
    const kept = portWith(text, (rules) => (rules.constructs = { ...rules.constructs, wrap_db_retry: 'manual' }));
    expect(kept).toContain('oslo_db_api.wrap_db_retry({ retry_on_deadlock: true })(');
    expect(kept).not.toContain('function wrap_db_retry');
  });
});

describe('every change is named in its record, under its own kind', () => {
  const details = (file: string, kind = 'transaction') => {
    const { report } = portText(readFileSync(join(FIXTURES, kind, file), 'utf8'));
    return [...report.module.changes, ...report.functions.flatMap((f) => f.changes)].filter((c) => c.kind === kind).map((c) => c.detail);
  };

  it('transaction: a flag object, on one line even when the source spreads it over several', () => {
    expect(details('flag-before-callback.input.ts')).toEqual([
      'dropped `{ subtransactions: true }` from begin(): ROME has no subtransactions or savepoints (and no rollback)',
      'dropped `{ subtransactions: true, nested: true, }` from begin(): ROME has no subtransactions or savepoints (and no rollback)',
    ]);
  });

  it('transaction: the retry decorator, as the source spelled it', () => {
    expect(details('wrap-db-retry.input.ts')).toEqual([
      "`oslo_db_api.wrap_db_retry` → generated `wrap_db_retry`: retries on ROME's DBDeadlock (a lock held elsewhere) as oslo.db did, with the same options (retry_on_disconnect and retry_on_request have nothing to retry on ROME)",
      "`wrapDbRetry` → generated `wrap_db_retry`: retries on ROME's DBDeadlock (a lock held elsewhere) as oslo.db did, with the same options (retry_on_disconnect and retry_on_request have nothing to retry on ROME)",
    ]);
  });

  it('loader-option: each removal, the options on one line even when the source spreads them over several', () => {
    expect(details('self-assign.input.ts', 'loader-option')).toEqual(Array(3).fill("dropped `.options(joinedload('info_cache'))`: ROME loads relations lazily"));
    expect(details('multiline-and-values.input.ts', 'loader-option')).toEqual([
      "dropped `.options( joinedload('info_cache'), undefer('user_data'), )`: ROME loads relations lazily",
    ]);
  });

  it('create-lock: the split, the awaits it adds, a lock per table, a model without a unique key', () => {
    expect(details('sync-create.input.ts', 'create-lock')).toEqual([
      'uniqueness on (project_id, resource, deleted) checked before the save; lock quotas:create:{project_id}:{resource}; body moved to quota_create_; quota_create is now async (signature change)',
      'awaits `quota_ref.save()`: ROME saves asynchronously, and the lock must be held until the save is done',
      'awaits quota_create(), which is now async',
    ]);
    expect(details('lock-key-sources.input.ts', 'create-lock').slice(0, 2)).toEqual([
      'uniqueness on (address, deleted) checked before the save; lock fixed_ips:create:{address}; body moved to fixed_ip_create_param_',
      'uniqueness on (address, deleted) checked before the save; lock fixed_ips:create (per table: the wrapper cannot tell the key values, the body sets or changes them before the save); body moved to fixed_ip_create_param_changed_',
    ]);
    expect(details('two-unique-keys.input.ts', 'create-lock')[0]).toMatch(/^uniqueness on \(host, topic, deleted\) and \(host, binary, deleted\) checked before the save;/);
    expect(details('no-unique-key.input.ts', 'create-lock')).toEqual(['models.Migration (migrations) has no unique key: no lock or uniqueness check needed']);
  });

  it('row-lock: without a models module the lock is named after the model class (its table unknown)', () => {
    const text = `import { get_session, model_query } from './session';
import * as models from './models';

export async function fixed_ip_associate(context: any, address: string, instance_uuid: string) {
  const session = get_session();
  return session.begin(async () => {
    const fixed_ip_ref = await model_query(context, models.FixedIp, { session }).filter_by({ address }).with_lockmode('update').first();
    fixed_ip_ref.instance_uuid = instance_uuid;
    return fixed_ip_ref;
  });
}
`;
    const { output } = portModule({ sourcePath: '/svc/db/sqlalchemy/api.ts', outputPath: '/svc/db/discovery/api.ts', displaySource: 'db/sqlalchemy/api.ts', displayOutput: 'db/discovery/api.ts', text, rules: loadRulePack() });
    expect(output).toContain("const lock_name = `fixedip:${address}`;");
  });

  it('create-lock: without a models module each create, bound to a name or not, is kept for a human, and the reason says why', () => {
    const text = `import * as models from './models';

export async function fixed_ip_create(values: Record<string, any>) {
  const fixed_ip_ref = new models.FixedIp();
  fixed_ip_ref.update(values);
  await fixed_ip_ref.save();
  return fixed_ip_ref;
}

export async function fixed_ips_create(rows: Record<string, any>[]) {
  return rows.map((r) => Object.assign(new models.FixedIp(), r));
}
`;
    const { output } = portModule({ sourcePath: '/svc/db/sqlalchemy/api.ts', outputPath: '/svc/db/discovery/api.ts', displaySource: 'db/sqlalchemy/api.ts', displayOutput: 'db/discovery/api.ts', text, rules: loadRulePack() });
    expect(output).toContain(
      '// port-db: manual create of models.FixedIp: the models module could not be read (no models.ts beside the module), so its unique keys are unknown\n  const fixed_ip_ref = new models.FixedIp();',
    );
    expect(output).toContain(
      '// port-db: manual create of models.FixedIp: the models module could not be read (no models.ts beside the module), so its unique keys are unknown\n  return rows.map(',
    );
    expect(output).not.toContain('acquire_lock');
  });

  it('query: a bulk delete() names the model, and the class defining its delete() when that is a base', () => {
    const dir = join(FIXTURES, 'query');
    const { report } = portText(readFileSync(join(dir, 'bulk-delete-own-delete.input.ts'), 'utf8'), undefined, join(dir, 'bulk-delete-own-delete.models.ts'));
    const bulk = [...report.module.changes, ...report.functions.flatMap((f) => f.changes)].filter((c) => c.kind === 'query' && c.detail.startsWith('bulk')).map((c) => c.detail);
    expect(bulk.map((d) => /, and (.*?) defines its own delete\(\)/.exec(d)?.[1])).toEqual(['ImageTag (GlanceBase)', 'ImageMember (GlanceBase)', 'Task', 'ImageTag (GlanceBase)', 'ImageTag (GlanceBase)']);
    expect(bulk[2]).toBe(
      "bulk `delete()` → `_bulk_delete(query)`: SQL's bulk delete() removes the rows in one DELETE and runs no model method; ROME's delete() calls each row's own delete() (lib/rome/core/orm/query.py:151-157), and Task defines its own delete(), which ROME would run on each row instead; each row is removed with ROME's Entity.delete without a session, a hard delete at once (lib/rome/core/models.py:232-238), and the count is answered as SQL's delete() answered it",
    );
  });

  it('query: the rows of a query variable ordered before are sorted by its order, named by the variable', () => {
    expect(details('order-by.input.ts', 'query').filter((d) => d.startsWith('the order of'))).toEqual([
      "the order of `query` → `_order_by(rows, query_order_by)` after all(): ROME sorts asc() descending and desc() ascending, gives every key the first key's direction and orders NULLs as Python 2 (lib/rome/core/rows/tuples.py:290-298)",
      "the order of `query` → `_order_by(rows, query_order_by)` after all() (first() → the first sorted row): ROME sorts asc() descending and desc() ascending, gives every key the first key's direction and orders NULLs as Python 2 (lib/rome/core/rows/tuples.py:290-298)",
      "the order of `query` → `_order_by(rows, query_order_by)` after all(): ROME sorts asc() descending and desc() ascending, gives every key the first key's direction and orders NULLs as Python 2 (lib/rome/core/rows/tuples.py:290-298)",
    ]);
  });

  it('query: a fallback session bound to no name, handed straight to a query helper, dropped', () => {
    expect(details('own-model-query-fallback-not-bound.input.ts', 'query').filter((d) => d.includes('fallback'))).toEqual([
      "the fallback `get_session()` of `kwargs.session` dropped: the query helper it is handed to queries with ROME's Query(M) when no session is given, whose update()/delete() write at once as SQL's autocommit did (a fresh RomeSession only queues them for a flush nobody calls)",
    ]);
  });

  it("query: a query helper's fallback session dropped, and each query it makes without one", () => {
    const own = details('own-model-query-cinder.input.ts', 'query').filter((d) => d.includes('without a session'));
    const fallback =
      "the fallback `get_session()` of `session` dropped: without a session the helper queries with ROME's Query(M), whose update()/delete() write at once as SQL's autocommit did (a fresh RomeSession only queues them for a flush nobody calls)";
    expect(own).toEqual([
      fallback,
      "`session.query(...args)` made without a session when none is given: `new RomeQuery(...args)`",
      fallback,
      '`session.query(model, ...kwargs.columns)` made without a session when none is given: `new RomeQuery(model, ...kwargs.columns)`',
      '`session.query(model)` made without a session when none is given: `new RomeQuery(model)`',
    ]);
  });

  it('query: an update on a loaded row, with `void` where its value is used, a tested value, a long receiver on one line', () => {
    const rome = "ROME's loaded row reads its fields as loaded; update() would change only the entity behind it (lazy.py)";
    const text = (receiver: string, becomes: string, tail = '') => `\`${receiver}.update(...)\` on a row a query loaded becomes \`${becomes}\`: ${rome}${tail}`;
    const voided = "; `void` keeps what SQL's update() returned (nothing)";
    const tested = '; the value is what SQL\'s update() returned (nothing), in a form TypeScript accepts there';
    const first = details('loaded-row-first.input.ts', 'query');
    expect(first).toContain(text('ref', 'Object.assign(...)'));
    expect(first).toContain(text('key_pair', 'void Object.assign(...)', voided));
    const used = details('loaded-row-value-used.input.ts', 'query');
    expect(used).toContain(text('ref', '(Object.assign(...), undefined)', tested));
    expect(used).toContain(text('ref', '(Object.assign(...), <the right of ??>)', tested));
    expect(used[used.length - 1]).toBe(text('(await model_query(context, models.Service) .filter_by({ ...', 'Object.assign(...)'));
    expect(details('loaded-row-receivers.input.ts', 'query')).toContain(text('(await query.filter_by({ topic, binary, disabled }).first())', 'Object.assign(...)'));
    expect(details('loaded-row-unbound.input.ts', 'query')).toContain(
      "`update(...)` on a row a query loaded becomes `Object.assign(...)` on the name it is bound to: ROME's loaded row reads its fields as loaded; update() would change only the entity behind it (lazy.py)",
    );
  });

  it('query: filter_by() after join() rewritten on the joined entity, each key named', () => {
    const why = (join: string) => `\`filter_by()\` after \`${join}\`: SQLAlchemy filters the joined entity, ROME the first selected class that has the column`;
    expect(details('filter-by-after-join.input.ts', 'query')).toContain(
      `${why('join(models.InstanceFault, models.InstanceFault.instance_uuid.eq(models.Instance.uuid))')}: \`filter_by({ host, code: 500 })\` → \`filter(models.InstanceFault.host.eq(…), models.InstanceFault.code.eq(…))\` on the joined entity`,
    );
  });

  it('session: a flush after a soft delete on a fresh session, named by its call', () => {
    const flushes = details('soft-delete-on-a-fresh-session.input.ts', 'session').filter((d) => d.includes('flush'));
    const text = (call: string) =>
      `\`${call}(...)\` on session, made here and never flushed: \`await session.flush()\` after it (ROME's soft_delete(session) only adds the row to the session, oslo.db's save flushed it)`;
    expect(flushes).toEqual([text('fault.soft_delete'), text('fault.soft_delete')]);
  });

  it('session-add: the change named by its first line (60 characters at most; 40 after a bound load), the load and the value a return keeps', () => {
    const returned = details('rebound-and-returned.input.ts', 'session-add');
    expect(returned).toContain('adds `session.add(ref)` after `ref.host = b` so the ROME session saves it (ROME has no dirty tracking)');
    expect(returned).toContain(
      "adds `session.add(volume_ref)` after `volume_ref.attach_status = values.attach_status ?? 'attachin` so the ROME session saves it (ROME has no dirty tracking)",
    );
    expect(returned).toContain('adds `session.add(volume_ref)` after `volume_ref.update({` so the ROME session saves it (ROME has no dirty tracking)');
    expect(returned).toContain(
      'adds `session.add(volume_ref)` after `Object.assign(volume_ref, {`, before the return (which returns the same value, kept in `result`), so the ROME session saves it (ROME has no dirty tracking)',
    );
    // a returned change whose first line is longer: cut at 60 characters too
    expect(details('returned-change.input.ts', 'session-add')).toContain(
      "adds `session.add(service_ref)` after `Object.assign(service_ref, { disabled_reason: 'by request' }`, before the return (which returns the same value, kept in `result`), so the ROME session saves it (ROME has no dirty tracking)",
    );
    expect(details('unbound-names.input.ts', 'session-add')).toEqual([
      'binds `(await network_get(context, values.network_id, { session }))` to `network_ref` and adds `session.add(network_ref)` after `network_ref.update(values)` so the ROME session saves it (ROME has no dirty tracking)',
      'binds `(await _fixed_ip_get_by_address(context, address, { session ` to `fixed_ip_ref3` and adds `session.add(fixed_ip_ref3)` after `fixed_ip_ref3.update(values)` so the ROME session saves it (ROME has no dirty tracking)',
      'binds `(await _fixed_ip_get_by_address(context, address, { session ` to `fixed_ip_ref` and adds `session.add(fixed_ip_ref)` after `fixed_ip_ref.update({ leased: false, allocated: fals` so the ROME session saves it (ROME has no dirty tracking); the return returns the same value, kept in `result`',
    ]);
  });

  it('import: what left each import and why, what moved to the target module, one rename record per name and function', () => {
    expect(details('relative-names-gone.input.ts', 'import')).toEqual([
      'RomeSession, RomeQuery, or_ imported from rome-orm',
      'get_session, model_query, joinedload_all no longer imported from `./session`: get_session, model_query re-emitted in this module; joinedload_all no longer used (its uses were rewritten)',
      "`./session` re-pointed to `../sqlalchemy/session` for the module's new folder",
      '`./session_utils` import removed: get_session_ re-emitted in this module; joinedload no longer used (its uses were rewritten)',
      '`./loaders` import removed: subqueryload, undefer no longer used (its uses were rewritten)',
      "`./models` re-pointed to `../sqlalchemy/models` for the module's new folder",
    ]);
    expect(details('name-kept-by-manual-code.input.ts', 'import')).toEqual([
      '`./session` import removed: get_session, model_query re-emitted in this module',
      "`./models` re-pointed to `../sqlalchemy/models` for the module's new folder",
      'RomeSession, RomeQuery, or_ imported from rome-orm',
    ]);
    expect(details('sql-import-narrowed.input.ts', 'import')).toEqual([
      'RomeSession, RomeQuery, or_ imported from rome-orm',
      '`sqlalchemy` import narrowed to sql, sa_func (used by manual code only): or_ now from rome-orm; text, literal_column removed (no longer used)',
      '`sqlalchemy/sql/expression` import narrowed to sql_expression (used by manual code only): literal removed (no longer used)',
      '`sqlalchemy/orm` import narrowed to Mapper (used by manual code only): Session, Query now from rome-orm',
      "`./models` re-pointed to `../sqlalchemy/models` for the module's new folder",
      '`Session` → `RomeSession` (renamed with its import)',
    ]);
    expect(details('sql-imports.input.ts', 'import')).toContain('`oslo.db/exception` → `rome-orm` (rule pack import mapping)');
    expect(details('target-import-extended.input.ts', 'import')).toEqual([
      'or_, not_ imported from rome-orm',
      '`sqlalchemy` import removed: or_, not_ now from rome-orm; text removed (no longer used)',
      '`sqlalchemy/orm` import removed: Session now from rome-orm',
      '`Session` → `RomeSession` (renamed with its import)',
    ]);
    expect(details('renamed-per-statement.input.ts', 'import')).toEqual([
      'RomeSession, NoResultFound imported from rome-orm',
      '`sqlalchemy/orm` import removed: Session now from rome-orm',
      '`sqlalchemy/orm` import removed: sa_orm removed (no longer used)',
      '`Session` → `RomeSession` (renamed with its import)',
      '`sa_orm.exc.NoResultFound` → `NoResultFound` (rome-orm): the name the namespace reached',
      '`Session` → `RomeSession` (renamed with its import)',
      '`sa_orm.exc.NoResultFound` → `NoResultFound` (rome-orm): the name the namespace reached',
    ]);
  });

  it('models: each base, declarative base, mixin column and table argument, named as the source wrote it (one line, clipped at 60)', () => {
    const details = (file: string) => {
      const { report } = portModelsText(readFileSync(join(FIXTURES, 'models', file), 'utf8'));
      return [...report.module.changes, ...report.functions.flatMap((f) => f.changes)].filter((c) => c.kind === 'models').map((c) => c.detail);
    };
    expect(details('declarative-base.input.ts')).toEqual([
      "`declarative_base()` → `Entity` (rome-orm): the models' base class is the ROME entity base",
      "table option `mysql_engine` dropped: SQL-only (ROME creates no tables)",
    ]);
    expect(details('base-declarations.input.ts')).toEqual([
      "`sa_declarative_base()` → `Entity` (rome-orm): the models' base class is the ROME entity base",
      "`declarativeBase()` → `Entity` (rome-orm): the models' base class is the ROME entity base",
      "base class `Audited(TimestampMixin(ModelBase))` → `Audited(Entity)` (rome-orm); `created_at`/`updated_at` are filled by ROME on save (`updated_at` from the first save on, where the SQL mixin left it empty until the first update)",
      "columns `created_at`, `updated_at` of oslo.db's mixins declared on AuditLog: ROME's Entity fills them but does not declare them, and queries filter on them",
    ]);
    expect(details('base-shapes.input.ts')).toEqual([
      "`declarative_base()` → `Entity` (rome-orm): the models' base class is the ROME entity base",
      "base class `TimestampMixin(ModelBase)` → `Entity` (rome-orm); `created_at`/`updated_at` are filled by ROME on save (`updated_at` from the first save on, where the SQL mixin left it empty until the first update)",
      "columns `updated_at` of oslo.db's mixins declared on GlanceBase: ROME's Entity fills them but does not declare them, and queries filter on them",
      "column `created_at`: `default: () => timeutils.utcnow()` applied as SQL applies it, to a field left null or unset (`_sql_default`): ROME's Entity gives a column its default over any falsy value at each save (a saved `false`, `0` or `''` would be replaced by a call of the function)",
      "base class `Versioned(TimestampMixin(ModelBase), { column: 'revision' })` → `Versioned(Entity, { column: 'revision' })` (rome-orm); `created_at`/`updated_at` are filled by ROME on save (`updated_at` from the first save on, where the SQL mixin left it empty until the first update)",
      "columns `created_at`, `updated_at` of oslo.db's mixins declared on Image: ROME's Entity fills them but does not declare them, and queries filter on them",
      "base class `Versioned( SoftDeleteMixin(TimestampMixin(ModelBase)), { co…` → `Versioned(Entity, { column: 'version', table: 'instances' })` (rome-orm); soft delete is `Entity.soft_delete()` (ROME sets `deleted = 1` and `deleted_at`); `created_at`/`updated_at` are filled by ROME on save (`updated_at` from the first save on, where the SQL mixin left it empty until the first update)",
      "columns `created_at`, `updated_at`, `deleted_at`, `deleted` of oslo.db's mixins declared on Instance: ROME's Entity fills them but does not declare them, and queries filter on them",
      "base class `(SoftDeleteMixin(TimestampMixin(ModelBase)))` → `Entity` (rome-orm); soft delete is `Entity.soft_delete()` (ROME sets `deleted = 1` and `deleted_at`); `created_at`/`updated_at` are filled by ROME on save (`updated_at` from the first save on, where the SQL mixin left it empty until the first update)",
      "columns `created_at`, `updated_at`, `deleted_at`, `deleted` of oslo.db's mixins declared on Cell: ROME's Entity fills them but does not declare them, and queries filter on them",
      "base class `declarative_base()` → `Entity` (rome-orm)",
      "base class `SoftDeleteMixin(GlanceBase)` → `GlanceBase` (rome-orm); soft delete is `Entity.soft_delete()` (ROME sets `deleted = 1` and `deleted_at`)",
      "columns `deleted_at`, `deleted` of oslo.db's mixins declared on Volume: ROME's Entity fills them but does not declare them, and queries filter on them",
      "base class `TimestampMixin(Volume)` → `Volume` (rome-orm); `created_at`/`updated_at` are filled by ROME on save (`updated_at` from the first save on, where the SQL mixin left it empty until the first update)",
      "columns `created_at`, `updated_at` of oslo.db's mixins declared on Snapshot: ROME's Entity fills them but does not declare them, and queries filter on them",
    ]);
    expect(details('table-args.input.ts')).toEqual([
      "base class `SoftDeleteMixin(TimestampMixin(ModelBase))` → `Entity` (rome-orm); soft delete is `Entity.soft_delete()` (ROME sets `deleted = 1` and `deleted_at`); `created_at`/`updated_at` are filled by ROME on save (`updated_at` from the first save on, where the SQL mixin left it empty until the first update)",
      "columns `created_at`, `updated_at`, `deleted_at`, `deleted` of oslo.db's mixins declared on Base: ROME's Entity fills them but does not declare them, and queries filter on them",
      "`__table_args__ = []` dropped: SQL-only table arguments (ROME creates no tables)",
      "`UniqueConstraint` uniq_services0host0topic0deleted (host, topic, deleted) dropped: ROME enforces no unique key; create-lock checks this one before each create (read from the SQL models)",
      "`Index` services_host_idx (host) dropped: ROME creates no SQL index",
      "table options `mysql_engine`, `mysql_charset` dropped: SQL-only (ROME creates no tables)",
      "column `uuid`: option `unique: true` dropped: ROME enforces no unique key; create-lock checks this column before each create (read from the SQL models)",
      "column `uuid`: option `index: true` dropped: ROME creates no SQL index",
      "column `report_count`: option `server_default: '0'` dropped: a default the SQL server fills in; ROME has no server (use `default`)",
      "`Index` uniq_compute_nodes0host0hypervisor_hostname0deleted (host, hypervisor_hostname, deleted) dropped: ROME enforces no unique key; create-lock checks this one before each create (read from the SQL models)",
      "base class `Audited(TimestampMixin(ModelBase))` → `Audited(Entity)` (rome-orm); `created_at`/`updated_at` are filled by ROME on save (`updated_at` from the first save on, where the SQL mixin left it empty until the first update)",
      "columns `created_at`, `updated_at` of oslo.db's mixins declared on AuditLog: ROME's Entity fills them but does not declare them, and queries filter on them",
    ]);
    expect(details('table-args-shapes.input.ts')).toEqual([
      "base class `ModelBase` → `Entity` (rome-orm)",
      "`__table_args__` declaration dropped: SQL-only table arguments (ROME creates no tables)",
      "`CheckConstraint` (deleted IN (0, 1)) dropped: SQL-only table argument (ROME creates no tables)",
      "`UniqueConstraint` (project_id, name, deleted) dropped: ROME enforces no unique key; create-lock checks this one before each create (read from the SQL models)",
      "`UniqueConstraint` uniq_security_groups0uuid0deleted (uuid, deleted) dropped: ROME enforces no unique key; create-lock checks this one before each create (read from the SQL models)",
      "`Index` uniq_security_groups0host0deleted (host, deleted) dropped: ROME enforces no unique key; create-lock checks this one before each create (read from the SQL models)",
      "`Index` security_groups_project_id_idx (project_id) dropped: ROME creates no SQL index",
      "`ForeignKeyConstraint` dropped: SQL-only table argument (ROME creates no tables)",
      "table options `...MYSQL_TABLE_OPTIONS`, `mysql_charset` dropped: SQL-only (ROME creates no tables)",
      "table argument `MYSQL_TABLE_ARGS` dropped: SQL-only (ROME creates no tables)",
      "`__table_args__ = MYSQL_TABLE_ARGS` dropped: SQL-only table arguments (ROME creates no tables)",
      "table option `mysql_engine` dropped: SQL-only (ROME creates no tables)",
      "`Index` aggregate_uuid_idx (uuid) dropped: ROME creates no SQL index",
      "table option `mysql_engine` dropped: SQL-only (ROME creates no tables)",
      "table option `mysql_engine` dropped: SQL-only (ROME creates no tables)",
      "table option `mysql_engine` dropped: SQL-only (ROME creates no tables)",
      "table option `mysql_engine` dropped: SQL-only (ROME creates no tables)",
    ]);
  });

  it('row-lock: the lock, named after the table and key, and a second lock call on the same query', () => {
    expect(details('lock-asked-twice.input.ts', 'row-lock')).toEqual([
      '`with_lockmode()` removed (ROME takes no row locks); the unit of work runs under lock fixed_ips:{address}, released in finally',
      '`with_for_update()` removed too (a second row lock on the same query)',
    ]);
  });
  it('models: each ported default, dropped column option, base class and mixin column, named per column', () => {
    const models = (file: string) => {
      const { report } = portModelsText(readFileSync(join(FIXTURES, 'models', file), 'utf8'));
      return [...report.module.changes, ...report.functions.flatMap((f) => f.changes)].filter((c) => c.kind === 'models').map((c) => c.detail);
    };
    const ported = (column: string, value: string, stored: string) =>
      `column \`${column}\`: \`default: ${value}\` applied as SQL applies it, to a field left null or unset (\`_sql_default\`): ROME's Entity gives a column its default over any falsy value at each save (${stored})`;
    const unknown = "its value is not known here: were it truthy, a saved `false`, `0` or `''` would be stored as it";
    const called = "a saved `false`, `0` or `''` would be replaced by a call of the function";
    const timestamps =
      '`created_at`/`updated_at` are filled by ROME on save (`updated_at` from the first save on, where the SQL mixin left it empty until the first update)';
    const softDelete = 'soft delete is `Entity.soft_delete()` (ROME sets `deleted = 1` and `deleted_at`)';
    expect(models('truthy-defaults.input.ts')).toEqual([
      'base class `ModelBase` → `Entity` (rome-orm)',
      ported('is_public', 'true', 'a saved `false` would be stored as `true`'),
      ported('rxtx_factor', '1.0', 'a saved `0` would be stored as `1.0`'),
      ported('vcpu_weight', '-1', 'a saved `0` would be stored as `-1`'),
      ported('status', "'active'", "a saved `''` would be stored as `'active'`"),
      "column `status`: option `server_default: 'active'` dropped: a default the SQL server fills in; ROME has no server (use `default`)",
      ported('state', 'constants.STATE_QUEUED', unknown),
      ported('flavorid', '() => generate_uuid()', called),
    ]);
    expect(models('default-literals.input.ts')).toEqual([
      'base class `ModelBase` → `Entity` (rome-orm)',
      ported('total', '1n', 'a saved `0` would be stored as `1n`'),
      ported('flags', '0x10n', 'a saved `0` would be stored as `0x10n`'),
      ported('hard_limit', 'DEFAULT_QUOTA', unknown),
      ported('enforced', '(true)', 'a saved `false` would be stored as `true`'),
      ported('checked', '!0', unknown),
      ported('refreshed_at', 'utcnow()', unknown),
      ported('kind', '`absolute`', "a saved `''` would be stored as ``absolute``"),
      ported('allocated', 'function () { return 1; }', called),
    ]);
    expect(models('ddl-options-argument.input.ts')).toEqual([
      'base class `ModelBase` → `Entity` (rome-orm)',
      'column `uuid`: option `unique: true` dropped: ROME enforces no unique key; create-lock checks this column before each create (read from the SQL models)',
      'column `uuid`: option `index: true` dropped: ROME creates no SQL index',
      'column `hostname`: option `index: true` dropped: ROME creates no SQL index',
      "column `node`: option `server_default: 'none'` dropped: a default the SQL server fills in; ROME has no server (use `default`)",
      'column `host_id`: option `index: true` dropped: ROME creates no SQL index',
    ]);
    expect(models('mixin-own-columns.input.ts')).toEqual([
      `base class \`models.SoftDeleteMixin(models.TimestampMixin(models.ModelBa…\` → \`Entity\` (rome-orm); ${softDelete}; ${timestamps}`,
      "columns `created_at`, `updated_at`, `deleted_at` of oslo.db's mixins declared on CinderBase: ROME's Entity fills them but does not declare them, and queries filter on them",
      `base class \`models.TimestampMixin(models.ModelBase)\` → \`Entity\` (rome-orm); ${timestamps}`,
      "columns `created_at`, `updated_at` of oslo.db's mixins declared on GlanceBase: ROME's Entity fills them but does not declare them, and queries filter on them",
    ]);
    expect(models('mixin-local-mixin-only.input.ts')).toEqual([
      `base class \`Audited(TimestampMixin(ModelBase))\` → \`Audited(Entity)\` (rome-orm); ${timestamps}`,
      "columns `created_at`, `updated_at` of oslo.db's mixins declared on AuditLog: ROME's Entity fills them but does not declare them, and queries filter on them",
    ]);
    // `extends BASE`: the base is already what it ports to (BASE becomes Entity where it is declared)
    expect(models('declarative-base.input.ts')).toEqual([
      "`declarative_base()` → `Entity` (rome-orm): the models' base class is the ROME entity base",
      'table option `mysql_engine` dropped: SQL-only (ROME creates no tables)',
    ]);
  });
});

describe('import: where a relative import points from the output folder', () => {
  it('a module already beside the output is a sibling', () => {
    expect(repoint('../discovery/fields', '/svc/db/sqlalchemy', '/svc/db/discovery')).toBe('./fields');
    expect(repoint('./models', '/svc/db/sqlalchemy', '/svc/db/discovery')).toBe('../sqlalchemy/models');
  });

  it('the models module, ported beside the output, is imported as it was: its ROME entities', () => {
    const text = `import * as models from './models';
import { Instance } from './models.js';
import type { Service } from './models.mjs';
import { CONF } from '../../conf';

export async function instance_get(session: any, id: number) {
  return [await session.query(models.Instance).filter_by({ id }).first(), Instance, CONF];
}

export type S = Service;
`;
    const { output, report } = portTextBesideModels(text);
    expect(output).toBe(text);
    expect(report.module.changes.map((c) => `${c.kind}: ${c.detail}`)).toEqual([
      'import: `./models` now imports the ported models (ROME entities, written beside this module by the models port)',
      'import: `./models.js` now imports the ported models (ROME entities, written beside this module by the models port)',
      'import: `./models.mjs` now imports the ported models (ROME entities, written beside this module by the models port)',
    ]);
  });

  it('an import of the ported models module that also brings a re-emitted name keeps the rest from the models port', () => {
    const text = `import { Instance, get_session } from './models';

export async function instance_get(id: number) {
  const session = get_session();
  return await session.query(Instance).filter_by({ id }).first();
}
`;
    const { output, report } = portTextBesideModels(text);
    expect(output.split('\n').slice(0, 3)).toEqual(["import { RomeSession } from 'rome-orm';", "import { Instance } from './models';", '']);
    expect(report.module.changes.filter((c) => c.kind === 'import').map((c) => c.detail)).toEqual([
      'RomeSession imported from rome-orm',
      '`./models` now imports the ported models (ROME entities, written beside this module by the models port)',
      'get_session no longer imported from `./models`: get_session re-emitted in this module',
    ]);
    expect(report.module.manual).toEqual([]);
  });
});
