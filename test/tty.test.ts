import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { isColorEnabled, isProgressEnabled, progressOn } from '../src/tty.js';
import { runCheck } from '../src/check/index.js';
import { loadRulePack } from '../src/rules.js';
// the scenarios run in worker threads, which need the build
import { equiv } from '../dist/equiv/run.js';
import { main } from '../src/cli.js';
import { FIXTURES, ROOT } from './helpers.js';
import { runPort } from './safety/helpers.js';

describe('colour', () => {
  it("FORCE_COLOR=0 turns colour off even on a terminal (chalk's convention)", () => {
    expect(isColorEnabled({ FORCE_COLOR: '0' }, true)).toBe(false);
    expect(isColorEnabled({ FORCE_COLOR: 'false' }, true)).toBe(false);
  });

  it('FORCE_COLOR=1 (or 2, 3, true) turns it on when piped, and wins over NO_COLOR', () => {
    for (const v of ['1', '2', '3', 'true']) expect(isColorEnabled({ FORCE_COLOR: v }, false)).toBe(true);
    expect(isColorEnabled({ FORCE_COLOR: '1', NO_COLOR: '1' }, false)).toBe(true);
  });

  it('otherwise: on a terminal without NO_COLOR; an empty FORCE_COLOR or NO_COLOR counts as unset', () => {
    expect(isColorEnabled({}, true)).toBe(true);
    expect(isColorEnabled({}, false)).toBe(false);
    expect(isColorEnabled({ NO_COLOR: '1' }, true)).toBe(false);
    expect(isColorEnabled({ NO_COLOR: '', FORCE_COLOR: '' }, true)).toBe(true);
  });

  describe('the CLI on a terminal', () => {
    afterEach(() => vi.restoreAllMocks());
    async function rulesOnTerminal(env: Record<string, string | undefined>): Promise<string> {
      let out = '';
      vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => ((out += String(s)), true));
      const tty = Object.getOwnPropertyDescriptor(process.stdout, 'isTTY');
      const saved = { FORCE_COLOR: process.env.FORCE_COLOR, NO_COLOR: process.env.NO_COLOR };
      Object.defineProperty(process.stdout, 'isTTY', { value: true, configurable: true });
      for (const [k, v] of Object.entries(env)) if (v === undefined) delete process.env[k];
      else process.env[k] = v;
      try {
        expect(await main(['rules'])).toBe(0);
      } finally {
        if (tty) Object.defineProperty(process.stdout, 'isTTY', tty);
        else delete (process.stdout as { isTTY?: boolean }).isTTY;
        for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
      return out;
    }

    it('colours, and FORCE_COLOR=0 stops it', async () => {
      expect(await rulesOnTerminal({ FORCE_COLOR: undefined, NO_COLOR: undefined })).toMatch(/\x1b\[/);
      expect(await rulesOnTerminal({ FORCE_COLOR: '0', NO_COLOR: undefined })).not.toMatch(/\x1b\[/);
    });
  });
});

describe('progress', () => {
  it('on a terminal only, and not in CI', () => {
    expect(isProgressEnabled({}, true)).toBe(true);
    expect(isProgressEnabled({}, false)).toBe(false);
    expect(isProgressEnabled({}, undefined)).toBe(false);
    expect(isProgressEnabled({ CI: 'true' }, true)).toBe(false);
    expect(isProgressEnabled({ CI: '1' }, true)).toBe(false);
    expect(isProgressEnabled({ CI: '' }, true)).toBe(true);
    expect(isProgressEnabled({ CI: 'false' }, true)).toBe(true);
  });

  const stream = (isTTY: boolean) => {
    const writes: string[] = [];
    return { writes, isTTY, columns: 40, write: (s: string) => writes.push(s) };
  };

  it('each message replaces the last on one line (cut to the width), and done() clears the line', () => {
    const s = stream(true);
    const p = progressOn(s, {});
    p.report('port-db: porting a');
    p.report(`port-db: porting ${'b'.repeat(60)}`);
    p.done();
    expect(s.writes[0]).toBe('\r\x1b[2Kport-db: porting a');
    expect(s.writes[1]).toHaveLength('\r\x1b[2K'.length + 39);
    expect(s.writes[1].endsWith('…')).toBe(true);
    expect(s.writes[2]).toBe('\r\x1b[2K');
  });

  it('writes nothing when piped or in CI', () => {
    for (const [s, env] of [[stream(false), {}], [stream(true), { CI: 'true' }]] as const) {
      const p = progressOn(s, env);
      p.report('x');
      p.done();
      expect(s.writes).toEqual([]);
    }
  });

  it('port: once per module', () => {
    const seen: string[] = [];
    runPort([join(FIXTURES, 'glance'), join(FIXTURES, 'nova')], { dryRun: true, progress: (m) => seen.push(m) });
    expect(seen).toEqual(['port-db: porting fixtures/glance/glance/db/sqlalchemy/api.ts (1/1)', 'port-db: porting fixtures/nova/nova/db/sqlalchemy/api.ts (1/1)']);
  });

  it('check: once per file it parses', async () => {
    const seen: string[] = [];
    await runCheck({ paths: [join(FIXTURES, 'glance')], cwd: ROOT, rules: loadRulePack() as never, jobs: 1, progress: (m) => seen.push(m) });
    expect(seen[0]).toMatch(/^port-db: reading \d+ files$/);
    expect(seen.slice(1).every((m, i) => new RegExp(`^port-db: checked fixtures/glance/\\S+ \\(${i + 1}/${seen.length - 1} files that mention SQL\\)$`).test(m))).toBe(true);
    expect(seen.length).toBeGreaterThan(2);
  });

  it('equiv: once per scenario', async () => {
    const seen: string[] = [];
    await equiv({ roots: [join(FIXTURES, 'glance')], only: 'get_engine_facade', typecheck: false, cwd: ROOT, progress: (m) => seen.push(m) });
    expect(seen).toEqual(["port-db: scenario get_engine_facade: a facade for a connection string (fixtures/glance/glance/db/equiv/engine.equiv.ts, 1/1)"]);
  });
});
