// The seed corpus of the fuzzer and the safety tests, read where the modules live: the sample
// trees (sources and their committed ports), every per-rewriter fixture input, and the extra
// seeds kept in fuzz/corpus/ (fixed fuzz findings). Nothing is copied, so seeds never go stale.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

const read = (path) => readFileSync(path, 'utf8');

/** Every seed as { name, api, models } (models: the module's own, else the Nova-like ones). */
export function loadCorpus(root) {
  const fixtures = join(root, 'fixtures');
  const nova = read(join(fixtures, 'nova', 'nova', 'db', 'sqlalchemy', 'models.ts'));
  const novaApi = read(join(fixtures, 'nova', 'nova', 'db', 'sqlalchemy', 'api.ts'));
  const seeds = [];
  for (const tree of ['nova', 'glance']) {
    const dir = join(fixtures, tree, tree, 'db');
    const models = read(join(dir, 'sqlalchemy', 'models.ts'));
    seeds.push({ name: tree, api: read(join(dir, 'sqlalchemy', 'api.ts')), models });
    seeds.push({ name: `${tree}-ported`, api: read(join(dir, 'discovery', 'api.ts')), models });
  }
  for (const kind of readdirSync(fixtures).sort()) {
    const dir = join(fixtures, kind);
    if (!statSync(dir).isDirectory() || ['nova', 'glance', 'check', 'custom-pack'].includes(kind) || !readdirSync(dir).some((f) => f.endsWith('.input.ts'))) continue;
    for (const f of readdirSync(dir).filter((f) => f.endsWith('.input.ts')).sort()) {
      // the models fixtures are models modules: the seed is the Nova-like api with them as its models
      if (kind === 'models') seeds.push({ name: `${kind}--${f.slice(0, -'.input.ts'.length)}`, api: novaApi, models: read(join(dir, f)) });
      else seeds.push({ name: `${kind}--${f.slice(0, -'.input.ts'.length)}`, api: read(join(dir, f)), models: nova });
    }
  }
  const extra = join(root, 'fuzz', 'corpus');
  for (const f of existsSync(extra) ? readdirSync(extra).filter((f) => f.endsWith('.api.ts')).sort() : []) {
    seeds.push({ name: f.slice(0, -'.api.ts'.length), api: read(join(extra, f)), models: nova });
  }
  return seeds.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
