// The SQL reference for one run: a new database with the tables of the loaded models, each model
// mapped (its own column attributes), and the runtime's sessions bound to it.
import { readFileSync } from 'node:fs';
import { readModels } from '../../analyzer/models.js';
import { openEngine, type SqlEngine } from './engine.js';
import { createTable, creationOrder, type SchemaOptions } from './schema.js';
import { configureMappers, mapperOf } from './runtime/mapper.js';
import { useEngine } from './runtime/orm.js';
import { tableOf, type ModelClass } from './runtime/schema.js';

/**
 * `models` is the models module's path, `loaded` the module as the service loaded it (on the
 * reference's sqlalchemy). Unique keys are read as port-db's models analyzer reads them, so the
 * reference enforces exactly the keys create-lock checks.
 */
export async function openReference(models: string, loaded: Record<string, unknown>, options: SchemaOptions = { collation: 'ci' }): Promise<SqlEngine> {
  const catalog = readModels(models, readFileSync(models, 'utf8'));
  const classes = [...catalog.values()].map((info) => ({ info, model: loaded[info.className] as ModelClass }));
  const engine = await openEngine();
  for (const t of creationOrder(classes.map(({ info, model }) => tableOf(model, info.uniqueKeys.map((k) => k.columns))))) engine.run(createTable(t, options));
  // as declarative does when the classes are defined
  for (const { info, model } of classes) mapperOf(model, info.className);
  configureMappers();
  useEngine(engine);
  return engine;
}
