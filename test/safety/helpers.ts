import { cpSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { exitCodeFor } from '../../src/errors.js';
import { port, type PortOptions, type PortResult } from '../../src/port/run.js';
import { FIXTURES } from '../helpers.js';
import { scratchDir } from '../scratch.js';

/** A temporary folder holding `files` (path → text or bytes). */
export function tree(files: Record<string, string | Buffer>): string {
  const dir = scratchDir('port-db-safety-');
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  return dir;
}

/** A copy of the Glance sample (sources only: no db/discovery). */
export function glanceTree(): string {
  const dir = scratchDir('port-db-safety-');
  cpSync(join(FIXTURES, 'glance'), dir, { recursive: true, filter: (src) => !src.includes(join('db', 'discovery')) });
  return dir;
}

export const GLANCE = {
  source: (dir: string) => join(dir, 'glance', 'db', 'sqlalchemy', 'api.ts'),
  disc: (dir: string, ...rest: string[]) => join(dir, 'glance', 'db', 'discovery', ...rest),
};

/** The port as the CLI runs it, without the type check (not what these tests are about). */
export const runPort = (roots: string[], options: Partial<PortOptions> = {}): PortResult => port({ roots, verify: false, ...options });

/** Runs the port and returns the exit code the CLI would use, or the result. */
export function outcome(roots: string[], options: Partial<PortOptions> = {}): { code: number; error?: Error; result?: PortResult } {
  try {
    const result = runPort(roots, options);
    return { code: result.modules.some((m) => m.merge.status === 'conflict' || m.merge.status === 'unresolved') ? 1 : 0, result };
  } catch (e) {
    return { code: exitCodeFor(e), error: e as Error };
  }
}

/** Every file below a folder with its content (to show that nothing changed). */
export function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of readdirSync(dir, { recursive: true }).map(String).sort()) {
    const p = join(dir, f);
    let st;
    try {
      st = statSync(p);
    } catch {
      out[f] = '<dangling>';
      continue;
    }
    out[f] = st.isFile() ? readFileSync(p, 'latin1') : '<dir>';
  }
  return out;
}

export const read = (p: string) => readFileSync(p, 'utf8');
