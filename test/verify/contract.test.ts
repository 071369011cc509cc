import { describe, expect, it } from 'vitest';
import type { ModuleFacts } from '../../src/analyzer/module.js';
import { HELPERS } from '../../src/rewriters/helpers.js';
import { loadRulePack } from '../../src/rules.js';
import { CONTRACT, checkSnippet, lineOf } from './snippets.js';

/** A module with a ROME entity, a session and a query over it. */
const HEAD = `import { RomeSession, RomeQuery, RomeColumn, Entity, ClusterLock, or_, and_, not_ } from 'rome-orm';
import { DBDuplicateEntry, DBDeadlock, NoResultFound, MultipleResultsFound } from 'rome-orm';

export class Service extends Entity {
  static __tablename__ = 'services';
  static id: RomeColumn<number>;
  static host: RomeColumn<string>;
  static deleted: RomeColumn<number>;
}
export class ComputeNode extends Entity {
  static __tablename__ = 'compute_nodes';
  static service_id: RomeColumn<number>;
}
const session = new RomeSession();
const q: RomeQuery<Service> = session.query(Service);
`;

/** "Property does not exist", with or without "did you mean" (TS2551). */
const NO_SUCH_MEMBER = 2339;

/** Asserts that each line of `body` fails with `code` on that line, and nothing else fails. */
function expectRejected(body: string, code: number, strict = false): void {
  const text = HEAD + body;
  const lines = body
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => lineOf(text, l));
  const diagnostics = checkSnippet(text, { strict });
  expect(diagnostics.map((d) => [d.line, d.code === 2551 ? NO_SUCH_MEMBER : d.code])).toEqual(lines.map((line) => [line, code]));
}

describe('the ROME contract (rules/rome-orm.d.ts)', () => {
  it('declares the module the default pack targets, exporting every name the pack imports from it', () => {
    const pack = loadRulePack();
    expect(CONTRACT).toContain(`declare module '${pack.target.module}'`);
    // re-exported, so a type (RomeExpression) counts like a value (RomeSession)
    const text = `import { ${pack.target.names.join(', ')} } from '${pack.target.module}';\nexport { ${pack.target.names.join(', ')} };\n`;
    expect(checkSnippet(text)).toEqual([]);
  });

  it('has no query method ROME lacks: limit, offset, with_lockmode, with_for_update, one, exists, options, group_by, subquery', () => {
    expectRejected(
      `q.limit(10);
q.offset(5);
q.with_lockmode('update');
q.withLockmode('update');
q.with_for_update();
q.one();
q.exists();
q.options();
q.group_by(Service.host);
q.subquery();
q.scalar();
`,
      NO_SUCH_MEMBER,
    );
  });

  it('has no session method ROME lacks: execute, rollback, begin_nested, merge, expire, refresh, expunge', () => {
    expectRejected(
      `session.execute('SELECT 1');
session.rollback();
session.begin_nested(async () => undefined);
session.merge(new Service());
session.expire(new Service());
session.refresh(new Service());
session.expunge(new Service());
`,
      NO_SUCH_MEMBER,
    );
  });

  it('has no savepoint or subtransaction flags on begin', () => {
    expectRejected(`session.begin(async () => 1, { subtransactions: true });\n`, 2554);
  });

  it('accepts the chain ROME supports, in both spellings, with typed rows', () => {
    const text =
      HEAD +
      `export async function uses() {
  const a: Service | null = await q.filter(Service.host.eq('h'), or_(Service.id.gt(1), Service.id.le(3)))
    .filter(and_(Service.id.ne(2), not_(Service.host.like('x%'))), Service.host.is(null), Service.id.in_([1, 2]))
    .filter_by({ host: 'h' }).filterBy({ id: 1 })
    .order_by(Service.id.asc()).orderBy(Service.host.desc())
    .first();
  const all: Service[] = await q.all();
  const n: number = (await q.count()) + (await q.update({ host: 'x' }, { synchronize_session: 'evaluate' }));
  const hosts: string[] = await session.query(Service.host).all();
  const joined: [Service, ComputeNode][] = await q.join(ComputeNode, ComputeNode.service_id.eq(Service.id)).all();
  const pairs: [string, number][] = await session.query(Service.host, Service.id).all();
  const distinct: Service[] = await q.distinct();
  const again: RomeQuery<Service> = await q.soft_delete();
  await q.softDelete();
  await q.delete({ synchronize_session: false });
  for await (const row of q) row.host;
  const d: number | undefined = Service.deleted.default;
  const owner = Service.host.class_;
  return [a?.host, all, n, hosts, joined, pairs, distinct, again, d, owner];
}
`;
    expect(checkSnippet(text, { strict: true })).toEqual([]);
  });

  it('types the session, entities, the DLM and the errors', () => {
    const text =
      HEAD +
      `export async function uses() {
  const s = new Service();
  s.update({ host: 'h' });
  s.anything = 1;
  await s.save(session);
  await s.save();
  await s.soft_delete(session);
  await s.delete();
  session.add(s, new ComputeNode());
  session.delete(s);
  const r: number = await session.begin(async () => 1);
  const r2: string = await session.begin(() => 'sync work');
  await session.flush();
  const lock = new ClusterLock();
  const taken: boolean = await lock.lock('services:create:h', 100);
  await lock.unlock('services:create:h');
  const dup = new DBDuplicateEntry(['host', 'topic']);
  const cols: string[] = dup.columns;
  const errors: Error[] = [dup, new DBDeadlock('held'), new NoResultFound('none'), new MultipleResultsFound('many')];
  return [r, r2, taken, cols, errors];
}
`;
    expect(checkSnippet(text, { strict: true })).toEqual([]);
  });

  it('accepts the helpers port-db generates, strict or not', () => {
    const rules = loadRulePack();
    const facts = { rules } as unknown as ModuleFacts;
    const names = { session: ['get_session', 'getSession'], query: ['model_query', 'modelQuery'] };
    const imports = [...new Set(HELPERS.flatMap((h) => h.imports))].sort();
    const used = HELPERS.flatMap((h) => [...h.render(facts, names).matchAll(/^(?:async )?function (\w+)|^const (\w+) =/gm)].map((m) => m[1] ?? m[2]));
    const text = `import { ${imports.join(', ')} } from '${rules.target.module}';\n\n${HELPERS.map((h) => h.render(facts, names)).join('\n\n')}\n\nexport const helpers = [${used.join(', ')}];\n`;
    expect(used).toEqual(expect.arrayContaining(['get_session', 'model_query', 'modelQuery', '_one']));
    expect(checkSnippet(text)).toEqual([]);
    expect(checkSnippet(text, { strict: true })).toEqual([]);
    // a project with its own typed timer (a callback of no arguments), not Node's
    const ownTimer = `${text}\ndeclare global {\n  function setTimeout(handler: () => void, timeout?: number): number;\n}\n`;
    expect(checkSnippet(ownTimer, { strict: true, node: false })).toEqual([]);
  });

  it('makes terminals asynchronous: a sync call site that reads the row does not compile', () => {
    const body = `export function sync_first() { const r = q.first(); return r.host; }
export function sync_all() { for (const r of q.all()) r.host; }
export function sync_count() { return q.count() + 1; }
`;
    const text = HEAD + body;
    expect(checkSnippet(text).map((d) => [d.line, d.code])).toEqual([
      [lineOf(text, 'sync_first'), 2339],
      [lineOf(text, 'sync_all'), 2488],
      [lineOf(text, 'sync_count'), 2365],
    ]);
    // returning the promise to a caller that awaits it is fine
    expect(checkSnippet(HEAD + 'export function later() { return q.first(); }\n')).toEqual([]);
  });

  it('says delete() and soft_delete() answer the query, not a row count', () => {
    expectRejected(`(async () => { if ((await q.soft_delete()) === 0) return; })();\n`, 2367);
  });

  it('rejects SQL-only column operators, and a query as the values of in_()', () => {
    expectRejected(`Service.host.ilike('x');\nService.host.label('h');\n`, NO_SUCH_MEMBER);
    expectRejected(`Service.id.in_(q);\n`, 2345);
  });
});
