import * as models from './models';

export async function migration_create(context: any, values: Record<string, any>) {
  const migration = new models.Migration();
  migration.update(values);
  await migration.save();
  return migration;
}
