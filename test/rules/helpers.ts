import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../../src/errors.js';
import { scratchDir } from '../scratch.js';

/** A fresh folder holding the given JSON files (objects are serialised; strings written as is). */
export function packDir(files: Record<string, unknown>): string {
  const dir = scratchDir('port-db-rules-');
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), typeof content === 'string' ? content : JSON.stringify(content, null, 2));
  return dir;
}

/** Runs `f`, which must throw a ConfigError; returns it. */
export function configError(f: () => unknown): ConfigError {
  try {
    f();
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error('expected a ConfigError, nothing was thrown');
}
