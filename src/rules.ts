import { readFileSync, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError } from './errors.js';

/** What to do with an SQL construct ROME runs differently or not at all. */
export type ConstructAction = 'drop' | 'map' | 'manual';

/** A rule pack: the names of the source dialect and the shape of the target (DESIGN §6). */
export interface RulePack {
  name: string;
  description?: string;
  target: { module: string; session: string; query: string; lock: string; names: string[] };
  sessionFactories: string[];
  queryHelpers: string[];
  queryOptions: { session: string[]; readDeleted: string[]; projectOnly: string[]; useSlave: string[] };
  modelsModule: string;
  sqlModules: string[];
  importMappings: Record<string, string>;
  mappedNames: Record<string, string>;
  methods: {
    update: string[];
    save: string[];
    add: string[];
    begin: string[];
    softDelete: string[];
    delete: string[];
    filterBy: string[];
  };
  rowLocks: string[];
  loaderOptions: string[];
  transaction: { method: string; droppedFlags: string[] };
  constructs: Record<string, ConstructAction>;
  lock: { ttlMs: number; retries: number; backoffMs: number; nameTemplate: string };
}

const here = dirname(fileURLToPath(import.meta.url));

/** The folder holding the bundled packs (works from src/ under vitest and from dist/). */
export function rulesDir(): string {
  return resolve(here, '..', 'rules');
}

/**
 * Loads a pack by path, or the bundled one by name. Validation here is structural;
 * the error names the bad key so the user can fix the file.
 */
export function loadRulePack(spec?: string): RulePack {
  const path = !spec || spec === 'default' ? join(rulesDir(), 'default.json') : resolve(spec);
  if (!existsSync(path)) {
    throw new ConfigError(`rule pack not found: ${spec}`, 'pass a path to a JSON rule pack, or omit --rules for the default pack');
  }
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new ConfigError(`${path}: not valid JSON: ${(e as Error).message}`, 'fix the JSON syntax of the rule pack');
  }
  return validatePack(raw, path);
}

function validatePack(raw: unknown, path: string): RulePack {
  const fail = (key: string, want: string): never => {
    throw new ConfigError(`${path}: key "${key}" ${want}`, 'see rules/default.json for the expected shape');
  };
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) fail('$', 'must be a JSON object');
  const pack = raw as Record<string, unknown>;
  const strings = (key: string, value: unknown) => {
    if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) fail(key, 'must be an array of strings');
  };
  if (typeof pack.name !== 'string') fail('name', 'must be a string');
  const target = pack.target as Record<string, unknown> | undefined;
  if (!target || typeof target.module !== 'string') fail('target.module', 'must be a string');
  for (const key of ['sessionFactories', 'queryHelpers', 'sqlModules', 'rowLocks', 'loaderOptions']) strings(key, pack[key]);
  const methods = pack.methods as Record<string, unknown> | undefined;
  if (!methods) fail('methods', 'is required');
  for (const key of ['update', 'save', 'add', 'begin', 'softDelete', 'delete', 'filterBy']) strings(`methods.${key}`, methods![key]);
  const constructs = (pack.constructs ?? {}) as Record<string, unknown>;
  for (const [name, action] of Object.entries(constructs)) {
    if (action !== 'drop' && action !== 'map' && action !== 'manual') fail(`constructs.${name}`, 'must be one of "drop", "map", "manual"');
  }
  const lock = pack.lock as Record<string, unknown> | undefined;
  if (!lock || typeof lock.ttlMs !== 'number' || lock.ttlMs <= 0) fail('lock.ttlMs', 'must be a positive number');
  return pack as unknown as RulePack;
}
