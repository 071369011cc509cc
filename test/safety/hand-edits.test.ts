import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findConflictMarkers } from '../../src/port/merge.js';
import { GLANCE, glanceTree, outcome, read, runPort, snapshot } from './helpers.js';

const sha256 = (t: string) => createHash('sha256').update(t).digest('hex');
const upstream = (dir: string, from: string, to: string) => {
  const text = read(GLANCE.source(dir));
  expect(text).toContain(from);
  writeFileSync(GLANCE.source(dir), text.replace(from, to));
};
const handEdit = (dir: string, from: string, to: string) => {
  const text = read(GLANCE.disc(dir, 'api.ts'));
  expect(text).toContain(from);
  writeFileSync(GLANCE.disc(dir, 'api.ts'), text.replace(from, to));
  return text.replace(from, to);
};
const status = (dir: string, options = {}) => runPort([dir], options).modules[0].merge;

describe('hand edits are never lost', () => {
  it('the first port keeps the generated text as the base of later merges; the report records its hash', () => {
    const dir = glanceTree();
    expect(status(dir).status).toBe('new');
    const api = read(GLANCE.disc(dir, 'api.ts'));
    expect(read(GLANCE.disc(dir, '.port-db', 'api.base.ts'))).toBe(api);
    expect(JSON.parse(read(GLANCE.disc(dir, 'port-report.json'))).outputSha256).toBe(sha256(api));
    // idempotent: a second run is byte-identical and writes nothing
    const before = snapshot(dir);
    expect(status(dir).status).toBe('unchanged');
    expect(snapshot(dir)).toEqual(before);
  });

  it('a hand edit survives a re-run when the port did not change (kept), and when it changed elsewhere (merged)', () => {
    const dir = glanceTree();
    runPort([dir]);
    const edited = handEdit(dir, 'export async function image_get(', '// checked by hand: ok\nexport async function image_get(');
    const reports = [read(GLANCE.disc(dir, 'PORT-REPORT.md')), read(GLANCE.disc(dir, 'port-report.json'))];
    expect(status(dir).status).toBe('kept');
    expect(read(GLANCE.disc(dir, 'api.ts'))).toBe(edited);
    expect([read(GLANCE.disc(dir, 'PORT-REPORT.md')), read(GLANCE.disc(dir, 'port-report.json'))]).toEqual(reports);

    upstream(dir, 'filter_by({ image_id, deleted: false }).count()', 'filter_by({ image_id, deleted: false, status: 1 }).count()');
    const merged = status(dir);
    expect(merged.status).toBe('merged');
    const api = read(GLANCE.disc(dir, 'api.ts'));
    expect(api).toContain('// checked by hand: ok\nexport async function image_get(');
    expect(api).toContain('deleted: false, status: 1 }).count()');
    // the base and the report are the new port, not the merge: the edit stays an edit
    const base = read(GLANCE.disc(dir, '.port-db', 'api.base.ts'));
    expect(base).toContain('deleted: false, status: 1 }).count()');
    expect(base).not.toContain('checked by hand');
    expect(JSON.parse(read(GLANCE.disc(dir, 'port-report.json'))).outputSha256).toBe(sha256(base));
    // and stable: the next run keeps it
    const after = snapshot(dir);
    expect(status(dir).status).toBe('kept');
    expect(snapshot(dir)).toEqual(after);
  });

  it('a conflict writes nothing over the edited module, its base or its reports; the conflicted merge goes beside it', () => {
    const dir = glanceTree();
    runPort([dir]);
    const edited = handEdit(dir, 'force_show_deleted = false', 'force_show_deleted = false /* mine */');
    upstream(dir, 'force_show_deleted = false', 'force_show_deleted = true');
    const before = snapshot(dir);
    const m = status(dir);
    expect(m.status).toBe('conflict');
    expect(m.conflictFile).toBe('glance/db/discovery/api.conflict.ts');
    expect(m.conflicts).toHaveLength(1);
    const after = snapshot(dir);
    for (const f of ['api.ts', 'PORT-REPORT.md', 'port-report.json', '.port-db/api.base.ts']) expect(after[`glance/db/discovery/${f}`], f).toBe(before[`glance/db/discovery/${f}`]);
    expect(read(GLANCE.disc(dir, 'api.ts'))).toBe(edited);
    const conflict = read(GLANCE.disc(dir, 'api.conflict.ts'));
    const lines = conflict.split('\n');
    const [c] = m.conflicts;
    expect(lines[c.line - 1]).toBe('<<<<<<< glance/db/discovery/api.ts (your edits)');
    expect(lines[c.endLine - 1]).toBe('>>>>>>> the new port of glance/db/sqlalchemy/api.ts');
    expect(edited.split('\n')[c.oursLine - 1]).toContain('/* mine */');
    expect(lines.slice(c.line, c.endLine).join('\n')).toMatch(/\/\* mine \*\/[\s\S]*\|\|\|\|\|\|\| [\s\S]*=======\n[^\n]*force_show_deleted = true/);
    // the new port, which the conflict file was merged with, is kept for the resolution
    expect(read(GLANCE.disc(dir, '.port-db', 'api.pending.ts'))).toContain('force_show_deleted = true');
  });

  it('resolving the conflict file and re-running installs it; not resolving it writes nothing; deleting it merges again', () => {
    const dir = glanceTree();
    runPort([dir]);
    handEdit(dir, 'force_show_deleted = false', 'force_show_deleted = false /* mine */');
    upstream(dir, 'force_show_deleted = false', 'force_show_deleted = true');
    expect(status(dir).status).toBe('conflict');
    const conflictPath = GLANCE.disc(dir, 'api.conflict.ts');
    const conflict = read(conflictPath);

    // not resolved yet: exit 1 again, nothing written
    const before = snapshot(dir);
    const again = outcome([dir]);
    expect(again.code).toBe(1);
    expect(again.result!.modules[0].merge.status).toBe('unresolved');
    expect(again.result!.modules[0].merge.conflicts.map((c) => c.line)).toEqual(findConflictMarkers(conflict));
    expect(snapshot(dir)).toEqual(before);

    // deleting it starts over: the same conflict again (the base did not move)
    rmSync(conflictPath);
    expect(status(dir).status).toBe('conflict');
    expect(read(conflictPath)).toBe(conflict);

    // resolved: both changes kept
    const resolved = conflict.replace(/<<<<<<< [^\n]*\n([^\n]*)\n\|\|\|\|\|\|\| [^\n]*\n[^\n]*\n=======\n[^\n]*\n>>>>>>> [^\n]*\n/, (_, mine: string) =>
      `${mine.replace('force_show_deleted = false', 'force_show_deleted = true')}\n`,
    );
    expect(findConflictMarkers(resolved)).toEqual([]);
    writeFileSync(conflictPath, resolved);
    const m = status(dir);
    expect(m.status).toBe('resolved');
    expect(read(GLANCE.disc(dir, 'api.ts'))).toBe(resolved);
    expect(existsSync(conflictPath)).toBe(false);
    expect(existsSync(GLANCE.disc(dir, '.port-db', 'api.pending.ts'))).toBe(false);
    expect(read(GLANCE.disc(dir, '.port-db', 'api.base.ts'))).not.toContain('/* mine */');
    expect(status(dir).status).toBe('kept');
    expect(read(GLANCE.disc(dir, 'api.ts'))).toBe(resolved);
  });

  it('--force overwrites hand edits and drops a pending conflict', () => {
    const dir = glanceTree();
    runPort([dir]);
    handEdit(dir, 'force_show_deleted = false', 'force_show_deleted = false /* mine */');
    upstream(dir, 'force_show_deleted = false', 'force_show_deleted = true');
    expect(status(dir).status).toBe('conflict');
    expect(status(dir, { force: true }).status).toBe('forced');
    expect(read(GLANCE.disc(dir, 'api.ts'))).toBe(read(GLANCE.disc(dir, '.port-db', 'api.base.ts')));
    expect(existsSync(GLANCE.disc(dir, 'api.conflict.ts'))).toBe(false);
    expect(existsSync(GLANCE.disc(dir, '.port-db', 'api.pending.ts'))).toBe(false);
  });

  it('without a base: a module whose hash the report recorded is port-db\'s own and is updated', () => {
    const dir = glanceTree();
    runPort([dir]);
    rmSync(GLANCE.disc(dir, '.port-db'), { recursive: true });
    upstream(dir, 'force_show_deleted = false', 'force_show_deleted = true');
    expect(status(dir).status).toBe('updated');
    expect(read(GLANCE.disc(dir, 'api.ts'))).toContain('force_show_deleted = true');
  });

  it('without a base and without a matching hash (a hand port): every difference is a conflict, the file is left alone', () => {
    const dir = glanceTree();
    runPort([dir]);
    rmSync(GLANCE.disc(dir, '.port-db'), { recursive: true });
    rmSync(GLANCE.disc(dir, 'port-report.json'));
    const hand = handEdit(dir, 'force_show_deleted = false', 'force_show_deleted = false /* mine */');
    const r = outcome([dir]);
    expect(r.code).toBe(1);
    expect(r.result!.modules[0].merge.status).toBe('conflict');
    expect(read(GLANCE.disc(dir, 'api.ts'))).toBe(hand);
    expect(read(GLANCE.disc(dir, 'api.conflict.ts'))).not.toContain('|||||||');
  });

  it('a dry run merges in memory and writes nothing, conflicts included', () => {
    const dir = glanceTree();
    runPort([dir]);
    handEdit(dir, 'force_show_deleted = false', 'force_show_deleted = false /* mine */');
    upstream(dir, 'force_show_deleted = false', 'force_show_deleted = true');
    const before = snapshot(dir);
    const r = outcome([dir], { dryRun: true });
    expect(r.code).toBe(1);
    expect(snapshot(dir)).toEqual(before);
  });

  it('--out: the base and the merge live under --out; the sources are never written', () => {
    const dir = glanceTree();
    const out = join(dir, 'out');
    const sources = snapshot(join(dir, 'glance'));
    runPort([join(dir, 'glance')], { out });
    expect(snapshot(join(dir, 'glance'))).toEqual(sources);
    expect(read(join(out, 'db', 'discovery', '.port-db', 'api.base.ts'))).toBe(read(join(out, 'db', 'discovery', 'api.ts')));
    writeFileSync(join(out, 'db', 'discovery', 'api.ts'), read(join(out, 'db', 'discovery', 'api.ts')) + '// mine\n');
    expect(runPort([join(dir, 'glance')], { out }).modules[0].merge.status).toBe('kept');
  });
});

describe('an interrupted run leaves outputs the next run handles', () => {
  it('killed between renames (module renamed, base and report not): the next run keeps the edits', () => {
    const dir = glanceTree();
    runPort([dir]);
    handEdit(dir, 'export async function image_get(', '// mine\nexport async function image_get(');
    const oldBase = read(GLANCE.disc(dir, '.port-db', 'api.base.ts'));
    const oldReport = read(GLANCE.disc(dir, 'port-report.json'));
    upstream(dir, 'filter_by({ image_id, deleted: false }).count()', 'filter_by({ image_id, deleted: false, status: 1 }).count()');
    expect(status(dir).status).toBe('merged');
    const merged = read(GLANCE.disc(dir, 'api.ts'));
    // the state a kill after the first rename leaves: the module is new, its base and report old
    writeFileSync(GLANCE.disc(dir, '.port-db', 'api.base.ts'), oldBase);
    writeFileSync(GLANCE.disc(dir, 'port-report.json'), oldReport);
    // both sides made the port's change: the merge takes it once, the edit stays
    expect(status(dir).status).toBe('merged');
    expect(read(GLANCE.disc(dir, 'api.ts'))).toBe(merged);
    expect(read(GLANCE.disc(dir, '.port-db', 'api.base.ts'))).not.toBe(oldBase);
  });

  it('killed while writing temporary files: the outputs are the previous ones, and the leftovers are removed', () => {
    const dir = glanceTree();
    runPort([dir]);
    const before = snapshot(dir);
    // a process that no longer exists left its temporary file
    const dead = 2 ** 22 + 12345;
    const leftover = GLANCE.disc(dir, `api.ts.port-db-${dead}.tmp`);
    writeFileSync(leftover, 'half a port');
    upstream(dir, 'force_show_deleted = false', 'force_show_deleted = true');
    expect(status(dir).status).toBe('updated');
    expect(existsSync(leftover)).toBe(false);
    expect(read(GLANCE.disc(dir, 'api.ts'))).not.toBe(before['glance/db/discovery/api.ts']);
    expect(readFileSync(GLANCE.disc(dir, 'api.ts'), 'utf8')).toContain('force_show_deleted = true');
  });
});
