import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { removeScratch, removeTree } from './scratch.js';

/**
 * Each test file runs with a temporary folder of its own (TMPDIR, for the file's thread and the
 * processes it starts), removed after its tests. What is left in it then — by a test that did not
 * clean up, or by port-db itself — fails the file: tests and port-db leave nothing behind. Only
 * port-db's compiler code cache (src/ts.cjs, kept on purpose) may stay; it is copied in from the
 * system's temporary folder so that the file's runs of the CLI do not compile the compiler again.
 */
const system = tmpdir();
const own = mkdtempSync(join(system, 'port-db-test-'));
// open to every user and sticky, as the system's is: a test runs the CLI as another user
chmodSync(own, 0o1777);
const uid = typeof process.getuid === 'function' ? `-${process.getuid()}` : '';
const CACHE = `port-db-compile-cache${uid}`;
if (existsSync(join(system, CACHE))) {
  mkdirSync(join(own, CACHE), { mode: 0o700 });
  for (const f of readdirSync(join(system, CACHE))) if (f.endsWith('.bin')) copyFileSync(join(system, CACHE, f), join(own, CACHE, f));
}
const previous = process.env.TMPDIR;
process.env.TMPDIR = own;

// registered before the file's own hooks, so it runs after them (vitest runs afterAll hooks in reverse)
afterAll(() => {
  removeScratch();
  // the compiler's code caches: this user's, and another's (a test runs the CLI as another user)
  const left = readdirSync(own).filter((name) => !name.startsWith('port-db-compile-cache'));
  if (previous === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = previous;
  removeTree(own);
  if (left.length > 0) {
    throw new Error(`left behind in the temporary folder: ${left.join(', ')} (remove it in afterAll or finally, or make it with scratchDir() from test/scratch.ts)`);
  }
});
