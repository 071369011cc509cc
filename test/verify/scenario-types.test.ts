// The scenarios' own type check (src/verify/scenarios.ts) sees the declarations the service's
// tsconfig includes, whatever their extension: a .d.mts or .d.cts declares as a .d.ts does.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scenarioTypeErrors } from '../../src/verify/scenarios.js';
import { ROOT } from '../helpers.js';
import { scratchDir } from '../scratch.js';

const API = join(ROOT, 'dist/equiv/scenario.d.ts');

function project(declaration: string | undefined): { dir: string; scenario: string } {
  const dir = scratchDir();
  mkdirSync(join(dir, 'types'));
  mkdirSync(join(dir, 'db/equiv'), { recursive: true });
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { strict: true, module: 'esnext', moduleResolution: 'bundler', target: 'es2022', noEmit: true }, include: ['**/*.ts', 'types/*'] }));
  if (declaration) writeFileSync(join(dir, 'types', declaration), `declare global {\n  interface ServiceFixture { host: string }\n  const fixtures: ServiceFixture[];\n}\nexport {};\n`);
  const scenario = join(dir, 'db/equiv/a.equiv.ts');
  writeFileSync(scenario, `import { scenario } from 'port-db/equiv';\nconst first: ServiceFixture = fixtures[0];\nexport default scenario('a', { async run() { return first.host; } });\n`);
  return { dir, scenario };
}

describe('the scenarios type check', () => {
  for (const declaration of ['fixtures.d.ts', 'fixtures.d.mts', 'fixtures.d.cts']) {
    it(`reads the project's declarations from a ${declaration.slice(declaration.indexOf('.'))} file`, () => {
      const { dir, scenario } = project(declaration);
      expect(scenarioTypeErrors([scenario], API, dir)).toEqual([]);
    });
  }

  it('without the declaration the names are unknown, each error at its line and column', () => {
    const { dir, scenario } = project(undefined);
    const errors = scenarioTypeErrors([scenario], API, dir);
    expect(errors.map((e) => [e.at, e.code])).toEqual([
      ['db/equiv/a.equiv.ts:2:14', 2304],
      ['db/equiv/a.equiv.ts:2:31', 2304],
    ]);
  });
});
