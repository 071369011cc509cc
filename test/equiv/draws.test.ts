import { spawnSync } from 'node:child_process';
import { cpSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURES, ROOT } from '../helpers.js';
import { scratchDir } from '../scratch.js';

// The UUIDs a service generates are drawn from the scenario's seed on both sides (EQUIV.md §4):
// with the `uuids` and `ids` rules off they are compared as they are, so they must be the same UUIDs, also
// when the scenario's own modules drew at load time (Cinder's and Manila's contexts draw a
// request id each). Both sides must start the run from the seed's first draw.
describe('the draws of a scenario run', () => {
  it('a generated id is the same UUID on both sides, whatever the scenario module drew while it loaded', () => {
    const root = join(scratchDir(), 'glance');
    cpSync(join(FIXTURES, 'glance'), root, { recursive: true });
    const equivDir = join(root, 'glance', 'db', 'equiv');
    for (const f of readdirSync(equivDir)) if (f.endsWith('.equiv.ts')) rmSync(join(equivDir, f));
    writeFileSync(
      join(equivDir, 'a.equiv.ts'),
      `import { scenario } from 'port-db/equiv';
import { tenant_a } from './common';
// drawn while the module loads, as a context's request id is
export const request_ids = [crypto.randomUUID(), crypto.randomUUID()];
export default scenario('image_create: two generated ids', {
  async run({ api }) {
    await api.image_create(tenant_a, { name: 'debian-12', disk_format: 'raw', container_format: 'bare', status: 'queued' });
    await api.image_create(tenant_a, { name: 'fedora-41', disk_format: 'raw', container_format: 'bare', status: 'queued' });
  },
});
`,
    );
    writeFileSync(join(root, 'port-db.config.json'), JSON.stringify({ equiv: { normalise: { uuids: false, ids: false } } }));
    const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'port-db'), 'equiv', 'glance', '--format', 'json'], { cwd: join(root, '..'), encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '' } });
    expect(r.stderr).toBe('');
    const [found] = JSON.parse(r.stdout).equivalence.modules[0].scenarios;
    expect(found).toMatchObject({ name: 'image_create: two generated ids', verdict: 'equivalent' });
    expect(r.status).toBe(0);
  });
});
