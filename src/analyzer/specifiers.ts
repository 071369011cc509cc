import path from 'node:path';

/** Forward-slash form of a path, so the folder tests below work on every platform. */
export function toPosix(p: string): string {
  return p.split(path.sep).join('/');
}

/**
 * True when `spec` is one of the pack's SQL modules. A pattern ending in `/*` means "any
 * submodule"; another `*` matches any run of characters; anything else must match exactly.
 */
export function isSqlModule(spec: string, patterns: readonly string[]): boolean {
  for (const pattern of patterns) {
    if (pattern.endsWith('/*') && !pattern.slice(0, -2).includes('*')) {
      if (spec.startsWith(pattern.slice(0, -1))) return true;
    } else if (pattern.includes('*')) {
      const source = pattern
        .split('*')
        .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
        .join('.*');
      if (new RegExp(`^${source}$`).test(spec)) return true;
    } else if (spec === pattern) {
      return true;
    }
  }
  return false;
}

const SQLALCHEMY_FOLDER = /(^|\/)db\/sqlalchemy(\/|$)/;
const DISCOVERY_FOLDER = /(^|\/)db\/discovery\//;

/**
 * True when `spec`, imported from `fromFile`, names a module in a `db/sqlalchemy` folder:
 * a relative path resolving there, or a package path through one (`nova/db/sqlalchemy/api`).
 */
export function isSqlalchemyPath(spec: string, fromFile: string): boolean {
  if (spec.startsWith('.')) {
    return SQLALCHEMY_FOLDER.test(path.posix.join(path.posix.dirname(toPosix(fromFile)), spec));
  }
  return SQLALCHEMY_FOLDER.test(spec);
}

/** True for a module in a `db/discovery` folder (an emitted or hand-written port). */
export function isDiscoveryModule(file: string): boolean {
  return DISCOVERY_FOLDER.test(toPosix(file));
}

/** True when `spec` is the rule pack's target module or one of its subpaths. */
export function isTargetModule(spec: string, target: string): boolean {
  return spec === target || spec.startsWith(`${target}/`);
}

/** Text that must occur in a module specifier for {@link isSqlModule} to match. */
export function sqlModuleTriggers(patterns: readonly string[]): string[] {
  return patterns.map((p) => p.split('*')[0].replace(/\/$/, '')).filter((p) => p.length > 0);
}
