import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { readModels } from '../../src/analyzer/models.js';
import { ConstraintError, openEngine } from '../../src/equiv/sql/engine.js';
import { createTable, creationOrder } from '../../src/equiv/sql/schema.js';
import { tableOf, type ModelClass } from '../../src/equiv/sql/runtime/schema.js';
import { FIXTURES } from '../helpers.js';

// the sample's SQL models run on the reference's own sqlalchemy and oslo.db
vi.mock('sqlalchemy', () => import('../../src/equiv/sql/runtime/schema.js'));
vi.mock('oslo.db/sqlalchemy/models', () => import('../../src/equiv/sql/runtime/oslo-models.js'));

const MODELS = join(FIXTURES, 'nova', 'nova', 'db', 'sqlalchemy', 'models.ts');

async function novaTables() {
  const models = (await import(MODELS)) as Record<string, unknown>;
  const catalog = readModels(MODELS, readFileSync(MODELS, 'utf8'));
  return [...catalog.values()].map((info) => tableOf(models[info.className] as ModelClass, info.uniqueKeys.map((k) => k.columns)));
}

describe('the SQL reference maps the sample models to real tables', () => {
  it('every model of the Nova sample, with its inherited columns', async () => {
    const tables = await novaTables();
    const services = tables.find((t) => t.name === 'services')!;
    expect(services.columns.map((c) => c.name)).toEqual(expect.arrayContaining(['id', 'host', 'topic', 'binary', 'created_at', 'updated_at', 'deleted_at', 'deleted']));
    expect(services.columns.find((c) => c.name === 'host')).toMatchObject({ type: 'text', length: 255 });
    // a type used uncalled (`Column(Integer, ...)`) has no length
    expect(services.columns.find((c) => c.name === 'deleted')).toEqual({ name: 'deleted', type: 'integer', nullable: true });
    expect(services.uniqueKeys).toEqual([
      ['host', 'topic', 'deleted'],
      ['host', 'binary', 'deleted'],
    ]);
    const computeNodes = tables.find((t) => t.name === 'compute_nodes')!;
    expect(computeNodes.columns.find((c) => c.name === 'service_id')).toMatchObject({ references: { table: 'services', column: 'id' } });
  });

  it('creates them on the engine, which then enforces the unique keys create-lock checks', async () => {
    const db = await openEngine();
    for (const t of creationOrder(await novaTables())) db.run(createTable(t));
    // report_count is NOT NULL with a client default (the runtime fills it): given here
    const insert = () => db.run("INSERT INTO services (host, topic, \"binary\", report_count, deleted) VALUES ('h1', 'compute', 'nova-compute', 0, 0)");
    insert();
    expect(insert).toThrow(ConstraintError);
    // soft-deleted (deleted = id), the key is free again, as in Nova
    db.run('UPDATE services SET deleted = id');
    insert();
    expect(db.all('SELECT count(*) AS n FROM services')[0].n).toBe(2);
  });
});
