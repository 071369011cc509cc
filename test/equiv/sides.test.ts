import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runSide } from '../../dist/equiv/load/run.js';
import { FIXTURES } from '../helpers.js';

// Each side in a worker of its own, loading the sample's TypeScript as it is: the SQL module on
// the reference (sql.js), the port on the in-memory ROME (the built dist/, as `equiv` runs).
const NOVA = join(FIXTURES, 'nova', 'nova', 'db');
const script = join(__dirname, 'scripts', 'service-twice.ts');

describe('one script, both sides of the Nova sample', () => {
  it('the SQL module and its port answer the same: created, then the unique keys refuse the duplicates', async () => {
    const [sql, rome] = await Promise.all([
      runSide({ side: 'sql', module: join(NOVA, 'sqlalchemy', 'api.ts'), script }),
      runSide({ side: 'rome', module: join(NOVA, 'discovery', 'api.ts'), script }),
    ]);
    const created = { ok: { host: 'h1', topic: 'compute', binary: 'nova-compute', deleted: 0 } };
    expect(sql).toEqual({ ok: [created, { error: 'ServiceTopicExists' }, { error: 'ServiceBinaryExists' }, created] });
    expect(rome).toEqual(sql);
  });
});
