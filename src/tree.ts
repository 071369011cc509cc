import { readdirSync, type Dirent } from 'node:fs';
import { join } from 'node:path';
import { toPosix } from './analyzer/specifiers.js';
import { UsageError } from './errors.js';

/** Folders no source tree walk enters: dependencies, VCS, builds, port-db's own outputs and state. */
export const SKIP_DIRS = new Set(['node_modules', '.git', 'dist', 'discovery', '.port-db']);

/**
 * Walks a source tree in a deterministic order (names sorted), skipping SKIP_DIRS. `visit` sees
 * every entry; a folder is walked into unless `visit` took it (returned true). `unreadable` decides
 * what a folder that cannot be listed means (throw to stop, return to skip it).
 */
export function walkTree(root: string, visit: (path: string, entry: Dirent) => boolean, unreadable: (dir: string, error: Error) => void): void {
  const walk = (dir: string) => {
    let entries: Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch (e) {
      unreadable(dir, e as Error);
      return;
    }
    for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      const path = join(dir, entry.name);
      if (!visit(path, entry) && entry.isDirectory() && !SKIP_DIRS.has(entry.name)) walk(path);
    }
  };
  walk(root);
}

/** Every `db/sqlalchemy/api.ts` below a root, in walk order (deterministic): the modules `port` and `equiv` work on. */
export function findSqlModules(root: string): string[] {
  const found: string[] = [];
  walkTree(
    root,
    (path, entry) => {
      // a module path that is a folder (or a device, a socket) is reported by readSource, not skipped
      const isModule = entry.name === 'api.ts' && toPosix(path).endsWith('db/sqlalchemy/api.ts') && !entry.isSymbolicLink();
      if (isModule) found.push(path);
      return isModule;
    },
    (dir, e) => {
      throw new UsageError(`cannot read folder ${dir}: ${e.message}`, 'check the folder exists and is readable');
    },
  );
  return found;
}
