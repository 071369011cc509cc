import { chmodSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Temporary folders of a test file: made in the file's own temporary folder (test/setup.ts) and
 * removed after the file's tests, whatever they did to them (test/setup.ts calls removeScratch).
 */
const made: string[] = [];

/** A fresh temporary folder, removed after the test file ran. */
export function scratchDir(prefix = 'port-db-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

/** Removes a folder and everything in it, also what a test made unreadable (chmod 000). */
export function removeTree(dir: string): void {
  try {
    rmSync(dir, { recursive: true, force: true });
  } catch {
    const open = (d: string) => {
      chmodSync(d, 0o700);
      for (const e of readdirSync(d, { withFileTypes: true })) if (e.isDirectory() && !e.isSymbolicLink()) open(join(d, e.name));
    };
    open(dir);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Removes every folder scratchDir made. */
export function removeScratch(): void {
  for (const dir of made.splice(0)) removeTree(dir);
}
