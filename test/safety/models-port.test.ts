import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli.js';
import { SourceError } from '../../src/errors.js';
import { GLANCE, glanceTree, outcome, read, runPort, snapshot } from './helpers.js';

/** db/discovery/models.ts (issue 9): written with api.ts, guarded against hand edits like it. */
const sha256 = (t: string) => createHash('sha256').update(t).digest('hex');
const MODELS = (dir: string) => join(dir, 'glance', 'db', 'sqlalchemy', 'models.ts');
const edit = (path: string, from: string, to: string) => {
  const text = read(path);
  expect(text).toContain(from);
  writeFileSync(path, text.replace(from, to));
  return text.replace(from, to);
};

describe('the models port on disk', () => {
  it('is written beside api.ts with its own merge base; the report records its hash; a second run writes nothing', () => {
    const dir = glanceTree();
    const result = runPort([dir]);
    expect(result.modules[0].modelsMerge?.status).toBe('new');
    const models = read(GLANCE.disc(dir, 'models.ts'));
    expect(models).toMatch(/export class GlanceBase extends Entity \{/);
    expect(read(GLANCE.disc(dir, '.port-db', 'models.base.ts'))).toBe(models);
    const report = JSON.parse(read(GLANCE.disc(dir, 'port-report.json')));
    expect(report.models.outputSha256).toBe(sha256(models));
    expect(report.models.output).toBe('glance/db/discovery/models.ts');
    expect(read(GLANCE.disc(dir, 'api.ts'))).toContain("import * as models from './models';");
    const before = snapshot(dir);
    expect(runPort([dir]).modules[0].modelsMerge?.status).toBe('unchanged');
    expect(snapshot(dir)).toEqual(before);
  });

  it('keeps a hand edit of models.ts, and merges it with a change of the SQL models', () => {
    const dir = glanceTree();
    runPort([dir]);
    const edited = edit(GLANCE.disc(dir, 'models.ts'), 'export class ImageTag extends', '// reviewed\nexport class ImageTag extends');
    expect(runPort([dir]).modules[0].modelsMerge?.status).toBe('kept');
    expect(read(GLANCE.disc(dir, 'models.ts'))).toBe(edited);
    edit(MODELS(dir), "static can_share = Column(Boolean, { nullable: false, default: false });", "static can_share = Column(Boolean, { nullable: false, default: true });");
    expect(runPort([dir]).modules[0].modelsMerge?.status).toBe('merged');
    const merged = read(GLANCE.disc(dir, 'models.ts'));
    expect(merged).toContain('// reviewed\nexport class ImageTag extends');
    // a truthy default comes out wrapped (ROME would give it to every falsy field on each save)
    expect(merged).toContain("default: _sql_default('can_share', true) });");
    expect(read(GLANCE.disc(dir, '.port-db', 'models.base.ts'))).not.toContain('// reviewed');
  });

  it('a conflict in models.ts leaves it as it is and writes models.conflict.ts; api.ts is still ported', () => {
    const dir = glanceTree();
    runPort([dir]);
    const line = "static status = Column(String(20), { nullable: false, default: _sql_default('status', 'pending') });";
    // the source also has the DDL-only `server_default`, which the port drops
    const source = "static status = Column(String(20), { nullable: false, default: 'pending', server_default: 'pending' });";
    const edited = edit(GLANCE.disc(dir, 'models.ts'), line, line.replace("'pending'", "'mine'"));
    edit(MODELS(dir), source, source.replace("'pending'", "'theirs'"));
    const m = runPort([dir]).modules[0];
    expect(m.modelsMerge?.status).toBe('conflict');
    expect(m.merge.status).toBe('unchanged');
    expect(read(GLANCE.disc(dir, 'models.ts'))).toBe(edited);
    expect(read(GLANCE.disc(dir, 'models.conflict.ts'))).toMatch(/<<<<<<< glance\/db\/discovery\/models\.ts \(your edits\)/);
    expect(existsSync(GLANCE.disc(dir, '.port-db', 'models.pending.ts'))).toBe(true);
  });

  it('a conflict in api.ts holds models.ts too: nothing of the module is written', () => {
    const dir = glanceTree();
    runPort([dir]);
    edit(GLANCE.disc(dir, 'api.ts'), 'force_show_deleted = false', 'force_show_deleted = false /* mine */');
    edit(GLANCE.source(dir), 'force_show_deleted = false', 'force_show_deleted = true');
    edit(MODELS(dir), "default: 'pending', server_default", "default: 'invited', server_default");
    const before = read(GLANCE.disc(dir, 'models.ts'));
    const m = runPort([dir]).modules[0];
    expect(m.merge.status).toBe('conflict');
    expect(m.modelsMerge).toBeUndefined();
    expect(read(GLANCE.disc(dir, 'models.ts'))).toBe(before);
    expect(read(GLANCE.disc(dir, '.port-db', 'models.base.ts'))).toBe(before);
  });

  it('a models module that does not parse is bad input: exit 2 at its file:line, and a good earlier port is left as it is', () => {
    const dir = glanceTree();
    runPort([dir]);
    const before = snapshot(dir);
    writeFileSync(MODELS(dir), read(MODELS(dir)) + '\nexport class Broken {\n');
    const lines = read(MODELS(dir)).split('\n').length;
    const r = outcome([dir]);
    expect(r.code).toBe(2);
    expect(r.error).toBeInstanceOf(SourceError);
    expect(r.error!.message).toMatch(new RegExp(`^glance/db/sqlalchemy/models\\.ts:${lines}:\\d+: syntax error`));
    expect((r.error as SourceError).hint).toMatch(/nothing was written/);
    // not the SQL models in place of the port's own: nothing of the earlier port changed
    expect({ ...snapshot(dir), 'glance/db/sqlalchemy/models.ts': before['glance/db/sqlalchemy/models.ts'] }).toEqual(before);
  });

  it('--dry-run writes nothing and shows the diff of models.ts from the SQL models', async () => {
    const dir = glanceTree();
    const before = snapshot(dir);
    let out = '';
    const write = process.stdout.write.bind(process.stdout);
    const errWrite = process.stderr.write.bind(process.stderr);
    process.stdout.write = ((s: string) => ((out += s), true)) as typeof process.stdout.write;
    process.stderr.write = ((s: string) => ((out += s), true)) as typeof process.stderr.write;
    try {
      await main(['port', dir, '--dry-run', '--no-verify']);
    } finally {
      process.stdout.write = write;
      process.stderr.write = errWrite;
      process.exitCode = undefined;
    }
    expect(snapshot(dir)).toEqual(before);
    expect(out).toContain('--- a/glance/db/sqlalchemy/models.ts');
    expect(out).toContain('+++ b/glance/db/discovery/models.ts');
    expect(out).toMatch(/^-export class GlanceBase extends TimestampMixin\(ModelBase\) \{$/m);
    expect(out).toMatch(/^\+export class GlanceBase extends Entity \{$/m);
    expect(out).toMatch(/glance\/db\/sqlalchemy\/models\.ts → glance\/db\/discovery\/models\.ts/);
  });

  it('--out mirrors models.ts too, and reads nothing of it beside the sources', () => {
    const dir = glanceTree();
    const out = join(dir, 'out');
    runPort([dir], { out });
    expect(readFileSync(join(out, 'glance', 'db', 'discovery', 'models.ts'), 'utf8')).toMatch(/extends Entity/);
    expect(existsSync(GLANCE.disc(dir, 'models.ts'))).toBe(false);
  });
});
