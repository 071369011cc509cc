import * as fs from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { OutputError } from '../../src/errors.js';
import { GLANCE, glanceTree, read, runPort, snapshot } from './helpers.js';

// renameSync fails on demand: a disk that fills up, a folder that goes away, mid-run
let failOnRename = -1;
let renameCalls = 0;
const failAt = (n: number) => {
  failOnRename = n;
  renameCalls = 0;
};
vi.mock('node:fs', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs')>();
  return {
    ...real,
    renameSync: (from: fs.PathLike, to: fs.PathLike) => {
      if (failOnRename >= 0 && renameCalls++ === failOnRename) throw Object.assign(new Error(`ENOSPC: no space left on device, rename '${from}'`), { code: 'ENOSPC' });
      return real.renameSync(from, to);
    },
  };
});

afterEach(() => {
  failOnRename = -1;
});

describe('atomic writes', () => {
  for (const at of [0, 1, 2]) {
    it(`a write that fails at rename ${at + 1} leaves every previous output as it was, and no temporary file`, () => {
      const dir = glanceTree();
      runPort([dir]);
      const source = read(GLANCE.source(dir));
      fs.writeFileSync(GLANCE.source(dir), source.replace('force_show_deleted = false', 'force_show_deleted = true'));
      const before = snapshot(dir);
      failAt(at);
      let error: unknown;
      try {
        runPort([dir]);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(OutputError);
      expect((error as Error).message).toMatch(/cannot write the port: ENOSPC/);
      expect(snapshot(dir)).toEqual(before);
      // and the next run, with room on the disk, ports normally
      failOnRename = -1;
      expect(runPort([dir]).modules[0].merge.status).toBe('updated');
      expect(read(GLANCE.disc(dir, 'api.ts'))).toContain('force_show_deleted = true');
    });
  }

  it('a first port that fails writes no file at all', () => {
    const dir = glanceTree();
    const before = snapshot(dir);
    failAt(2);
    expect(() => runPort([dir])).toThrow(OutputError);
    // the folders made for the outputs may stay; no file does
    expect(Object.entries(snapshot(dir)).filter(([, v]) => v !== '<dir>')).toEqual(Object.entries(before).filter(([, v]) => v !== '<dir>'));
  });
});
