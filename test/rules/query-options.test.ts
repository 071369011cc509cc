import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { portModule } from '../../src/port/port-module.js';
import { loadRulePack } from '../../src/rules.js';
import { FIXTURES } from '../helpers.js';
import { packDir } from './helpers.js';

const MODELS = join(FIXTURES, 'nova', 'nova', 'db', 'sqlalchemy', 'models.ts');

/** A module that spells the model_query options its own way: `deleted_mode` and `db`. */
const SOURCE = `import { get_session, model_query } from './session';
import * as models from './models';

export async function service_get_all(context: any, session?: any) {
  return model_query(context, models.Service, { deleted_mode: 'yes', db: session }).all();
}

async function _service_get(context: any, service_id: number, options: any = {}) {
  return model_query(context, models.Service, { db: options.db }).filter_by({ id: service_id }).first();
}

export async function service_update(context: any, service_id: number, values: any) {
  const session = get_session();
  return session.begin(async () => {
    const service_ref = await _service_get(context, service_id, { db: session });
    service_ref.update(values);
    return service_ref;
  });
}
`;

function portWith(queryOptions: Record<string, string[]> | undefined) {
  const dir = packDir({ 'pack.json': { extends: 'default', ...(queryOptions ? { queryOptions } : {}) } });
  return portModule({
    sourcePath: '/svc/db/sqlalchemy/api.ts',
    outputPath: '/svc/db/discovery/api.ts',
    text: SOURCE,
    rules: loadRulePack(join(dir, 'pack.json')),
    displaySource: 'db/sqlalchemy/api.ts',
    displayOutput: 'db/discovery/api.ts',
    models: { path: MODELS, text: readFileSync(MODELS, 'utf8') },
  }).output;
}

describe('queryOptions in the pack', () => {
  it('the re-emitted model_query reads the options under the pack’s names', () => {
    // extends concatenates arrays: the default spellings stay, the pack's are added
    const output = portWith({ readDeleted: ['deleted_mode'], session: ['db'] });
    expect(output).toContain('const session: RomeSession | undefined = options.session ?? options.db;');
    expect(output).toContain(
      "const read_deleted = options.read_deleted ?? options.readDeleted ?? options.deleted_mode ?? context?.read_deleted ?? context?.readDeleted ?? context?.deleted_mode ?? 'no';",
    );
    expect(output).toMatch(/interface RomeModelQueryOptions \{[^}]*\n {2}db\?: RomeSession;[^}]*\n {2}deleted_mode\?: 'no' \| 'yes' \| 'only';/);
  });

  it('an object loaded by passing the session under the pack’s name gets session.add after its update', () => {
    expect(portWith({ session: ['db'] })).toContain('Object.assign(service_ref, values);\n    session.add(service_ref);');
  });

  it('the default pack does not know those names: they are not read', () => {
    const output = portWith(undefined);
    expect(output).not.toContain('session.add(service_ref)');
    expect(output).not.toContain('options.deleted_mode');
    expect(output).not.toContain('options.db ??');
  });
});
