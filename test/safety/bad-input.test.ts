import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OutputError, SourceError, UsageError } from '../../src/errors.js';
import { GLANCE, glanceTree, outcome, read, runPort, snapshot, tree } from './helpers.js';
import { scratchDir } from '../scratch.js';

const MODULE = 'db/sqlalchemy/api.ts';
const isRoot = process.getuid?.() === 0;

/** Exit 2, the error of that class, and not one file written or changed. */
function rejects(dir: string, cls: new (...a: never[]) => Error, message: RegExp, options = {}) {
  const before = snapshot(dir);
  const r = outcome([dir], options);
  expect(r.error, r.result ? 'the port succeeded' : undefined).toBeInstanceOf(cls);
  expect(r.code).toBe(2);
  expect(r.error!.message).toMatch(message);
  expect((r.error as { hint?: string }).hint).toBeTruthy();
  expect(snapshot(dir)).toEqual(before);
  return r.error as Error & { frame?: string; hint?: string };
}

describe('bad input: exit 2, file:line:col, what to do, nothing written', () => {
  it('a syntax error, with a code frame', () => {
    const e = rejects(tree({ [MODULE]: 'export function f() {\n  return 1 +;\n}\n' }), SourceError, /^db\/sqlalchemy\/api\.ts:2:\d+: syntax error/);
    expect(e.frame).toMatch(/> 2 \|   return 1 \+;/);
  });

  it('a syntax error in any module the port reads: the models beside it, the dispatcher it wires', () => {
    const api = "import * as models from './models';\nexport async function f() {\n  return new models.Service();\n}\n";
    rejects(tree({ [MODULE]: api, 'db/sqlalchemy/models.ts': 'export class Service {\n  static __tablename__ = ;\n}\n' }), SourceError, /^db\/sqlalchemy\/models\.ts:2:\d+: syntax error/);
    const dispatcher = "const _BACKEND_MAPPING = { sqlalchemy: () => import('./sqlalchemy/api') ;\nexport const IMPL = _BACKEND_MAPPING;\n";
    const e = rejects(tree({ [MODULE]: api, 'db/api.ts': dispatcher }), SourceError, /^db\/api\.ts:1:\d+: syntax error/);
    expect(e.frame).toMatch(/> 1 \| const _BACKEND_MAPPING/);
    rejects(tree({ [MODULE]: api, 'db/api.ts': dispatcher }), SourceError, /^db\/api\.ts:1:\d+: syntax error/, { wire: true });
  });

  it('a binary file: the line and column of the first NUL byte', () => {
    rejects(tree({ [MODULE]: Buffer.from('export const a = 1;\n\nlet b\u0000c = 2;\n') }), SourceError, /^db\/sqlalchemy\/api\.ts:3:6: binary file/);
  });

  it('bytes that are not UTF-8: their line and column, and the line in a frame', () => {
    const bytes = Buffer.concat([Buffer.from('export const a = 1;\nconst café = "'), Buffer.from([0xe9]), Buffer.from('";\n')]);
    const e = rejects(tree({ [MODULE]: bytes }), SourceError, /^db\/sqlalchemy\/api\.ts:2:15: the file is not valid UTF-8 \(byte 0xe9\)/);
    expect(e.frame).toMatch(/> 2 \| const café = "/);
    expect(e.hint).toMatch(/convert .* to UTF-8/);
  });

  it('UTF-8 text is fine, U+FFFD and a byte order mark included', () => {
    const dir = tree({ [MODULE]: '\uFEFFexport const replacement = "\uFFFD";\n' });
    expect(outcome([dir]).code).toBe(0);
    expect(read(join(dir, 'db', 'discovery', 'api.ts'))).toBe('export const replacement = "\uFFFD";\n');
  });

  it('a missing root; a root that is a file; a root with no db/sqlalchemy/api.ts (the expected layout)', () => {
    const parent = scratchDir('port-db-safety-');
    expect(() => runPort([join(parent, 'nope')])).toThrow(/root not found/);
    writeFileSync(join(parent, 'file.ts'), '');
    expect(() => runPort([join(parent, 'file.ts')])).toThrow(UsageError);
    const e = rejects(tree({ 'db/sqlalchemy/models.ts': '', 'src/api.ts': '' }), UsageError, /no db\/sqlalchemy\/api\.ts found/);
    expect(e.hint).toMatch(/<service>\/db\/sqlalchemy\/api\.ts/);
  });

  it('a folder where the module should be', () => {
    const dir = tree({ 'db/sqlalchemy/api.ts/index.ts': 'export {};\n' });
    rejects(dir, SourceError, /^db\/sqlalchemy\/api\.ts:1:1: cannot read the module: it is a folder, not a file/);
  });

  it('a named pipe where the module should be: an error, not a hang', () => {
    const dir = tree({ 'db/sqlalchemy/models.ts': '' });
    execFileSync('mkfifo', [join(dir, 'db', 'sqlalchemy', 'api.ts')]);
    rejects(dir, SourceError, /cannot read the module: it is a named pipe/);
  });

  it('a models module that cannot be read is bad input, not a silently different port', () => {
    const dir = tree({ [MODULE]: 'export const a = 1;\n', 'db/sqlalchemy/models.ts/x': '' });
    rejects(dir, SourceError, /^db\/sqlalchemy\/models\.ts:1:1: cannot read the models module: it is a folder/);
    const latin1 = tree({ [MODULE]: 'export const a = 1;\n', 'db/sqlalchemy/models.ts': Buffer.from([0x2f, 0x2f, 0x20, 0xe9, 0x0a]) });
    rejects(latin1, SourceError, /^db\/sqlalchemy\/models\.ts:1:4: the file is not valid UTF-8/);
  });

  it('bytes that are not UTF-8 far down the file: the frame names their line and the caret stands under them', () => {
    const lines = Buffer.concat([Buffer.from('export const a = 1;\n'.repeat(11) + "const s = 'caf"), Buffer.from([0xe9]), Buffer.from("';\n")]);
    const e = rejects(tree({ [MODULE]: lines, 'db/sqlalchemy/models.ts': '' }), SourceError, /^db\/sqlalchemy\/api\.ts:12:15: the file is not valid UTF-8/) as SourceError & { frame?: string };
    const [code, caret] = e.frame!.split('\n');
    expect(code).toMatch(/^> 12 \| const s = 'caf/);
    expect(caret.indexOf('^')).toBe(code.indexOf('\ufffd'));
  });

  it('models that do not parse: named by their path in the root, never the machine\'s', () => {
    const dir = tree({
      [MODULE]: "import * as models from './models';\nexport async function service_create(values: any) {\n  const s = new models.Service();\n  s.update(values);\n  await s.save();\n  return s;\n}\n",
      'db/sqlalchemy/models.ts': 'export class Service {\n',
    });
    const e = rejects(dir, SourceError, /^db\/sqlalchemy\/models\.ts:2:1: syntax error/, { dryRun: true });
    expect(e.message).not.toContain(dir);
  });

  it.skipIf(isRoot)('an unreadable module and an unreadable folder (skipped as root: chmod does not stop root from reading)', () => {
    const dir = tree({ [MODULE]: 'export const a = 1;\n' });
    chmodSync(join(dir, MODULE), 0o000);
    try {
      rejects(dir, SourceError, /cannot read the module: EACCES/);
    } finally {
      chmodSync(join(dir, MODULE), 0o644);
    }
    const folder = tree({ [`svc/${MODULE}`]: 'export const a = 1;\n' });
    chmodSync(join(folder, 'svc'), 0o000);
    try {
      rejects(folder, UsageError, /cannot read folder .*svc/);
    } finally {
      chmodSync(join(folder, 'svc'), 0o755);
    }
  });
});

describe('outputs: never outside the root or --out, never through a link, never over a non-file', () => {
  it('an output path that exists and is a folder', () => {
    const dir = tree({ [MODULE]: 'export const a = 1;\n', 'db/discovery/api.ts/keep.txt': 'mine' });
    rejects(dir, OutputError, /db\/discovery\/api\.ts exists and is not a regular file \(it is a folder\)/);
  });

  it('a file where an output folder should be', () => {
    rejects(tree({ [MODULE]: 'export const a = 1;\n', 'db/discovery': 'a file' }), OutputError, /^db\/discovery exists and is not a folder/);
    rejects(tree({ [MODULE]: 'export const a = 1;\n', 'db/discovery/.port-db': 'a file' }), OutputError, /^db\/discovery\/\.port-db exists and is not a folder/);
  });

  it('an output that is a symbolic link is not written through, even to a file inside the root', () => {
    const dir = tree({ [MODULE]: 'export const a = 1;\n', 'elsewhere.ts': 'mine\n' });
    mkdirSync(join(dir, 'db', 'discovery'));
    symlinkSync(join(dir, 'elsewhere.ts'), join(dir, 'db', 'discovery', 'api.ts'));
    rejects(dir, OutputError, /db\/discovery\/api\.ts is a symbolic link/);
  });

  it('a folder on the way that links outside the root', () => {
    const outside = scratchDir('port-db-outside-');
    const dir = tree({ [MODULE]: 'export const a = 1;\n' });
    symlinkSync(outside, join(dir, 'db', 'discovery'));
    rejects(dir, OutputError, /^db\/discovery is a symbolic link to .*, outside the root/);
    expect(readdirSync(outside)).toEqual([]);
  });

  it('a link that leads nowhere', () => {
    const dir = tree({ [MODULE]: 'export const a = 1;\n' });
    symlinkSync(join(dir, 'gone'), join(dir, 'db', 'discovery'));
    rejects(dir, OutputError, /^db\/discovery is a symbolic link that leads nowhere/);
  });

  it('a link inside the root that stays inside it is followed', () => {
    const dir = tree({ [MODULE]: 'export const a = 1;\n' });
    mkdirSync(join(dir, 'ported'));
    symlinkSync(join(dir, 'ported'), join(dir, 'db', 'discovery'));
    expect(outcome([dir]).code).toBe(0);
    expect(read(join(dir, 'ported', 'api.ts'))).toBe('export const a = 1;\n');
  });

  it('--out: a link under it that leads outside it', () => {
    const outside = scratchDir('port-db-outside-');
    const out = scratchDir('port-db-out-');
    mkdirSync(join(out, 'db'));
    symlinkSync(outside, join(out, 'db', 'discovery'));
    const dir = tree({ [MODULE]: 'export const a = 1;\n' });
    rejects(dir, OutputError, /^db\/discovery is a symbolic link to .*, outside --out/, { out });
    expect(readdirSync(outside)).toEqual([]);
  });

  it('a root given through a link is fine (the link is the user\'s choice)', () => {
    const dir = tree({ [`svc/${MODULE}`]: 'export const a = 1;\n' });
    symlinkSync(join(dir, 'svc'), join(dir, 'link'));
    expect(outcome([join(dir, 'link')]).code).toBe(0);
    expect(read(join(dir, 'svc', 'db', 'discovery', 'api.ts'))).toBe('export const a = 1;\n');
  });

  it('a hand-edited module that is not UTF-8 is not merged into', () => {
    const dir = glanceTree();
    runPort([dir]);
    writeFileSync(GLANCE.disc(dir, 'api.ts'), Buffer.concat([Buffer.from(read(GLANCE.disc(dir, 'api.ts'))), Buffer.from([0x2f, 0x2f, 0xff, 0x0a])]));
    rejects(dir, OutputError, /glance\/db\/discovery\/api\.ts:\d+:3: the file is not valid UTF-8 \(byte 0xff\); port-db will not merge into it/);
    // --force is the way out
    expect(outcome([dir], { force: true }).code).toBe(0);
    rmSync(dir, { recursive: true });
  });
});
