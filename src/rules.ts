import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { ConfigError } from './errors.js';

/** What to do with an SQL construct ROME runs differently or not at all. */
export type ConstructAction = 'drop' | 'map' | 'manual';

/**
 * The constructs the rewriters can rewrite for ROME (the query rewriter: limit/offset as a slice,
 * one() with SQL's errors, exists() as first() != null, joined rows unpacked; the transaction
 * rewriter: oslo.db's wrap_db_retry as a generated helper). Any other
 * construct set to "map" or "drop" would be copied into the port unmarked, which is a wrong
 * port that compiles, so the pack is refused instead. Keep in step with src/rewriters/query.ts.
 */
export const CONSTRUCT_SUPPORT: Readonly<Record<Exclude<ConstructAction, 'manual'>, readonly string[]>> = {
  map: ['limit', 'offset', 'one', 'exists', 'join', 'wrap_db_retry', 'wrapDbRetry'],
  drop: [],
};

/** A rule pack: the names of the source dialect and the shape of the target (DESIGN §6). */
export interface RulePack {
  name: string;
  description?: string;
  /** `lacks`: what the target does not have or ignores (`check`'s rome-unsupported rule). */
  target: { module: string; session: string; query: string; lock: string; names: string[]; lacks?: string[] };
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
  lock: { ttlMs: number; retries: number; backoffMs: number; nameTemplate: string; rowNameTemplate?: string };
  /** Engine-level factories `check` treats as SQL session sources; absent: its built-in list. */
  engineFactories?: string[];
  /** The pack files this pack was built from, the base of the `extends` chain first (absolute). */
  sources?: string[];
}

/** `port-db.config.json`: per-project settings found at a root. */
export interface PortDbConfig {
  /** The rule pack: "default" or a path, resolved against the config file's folder. */
  rules?: string;
  /** `port-db equiv`: normaliser rules switched on or off by name. */
  equiv?: { normalise?: Record<string, boolean> };
}

/** Name of the per-project config file looked up at a root. */
export const CONFIG_FILE = 'port-db.config.json';

/** Name `extends` and `--rules` use for the bundled pack. */
export const DEFAULT_PACK = 'default';

const here = dirname(fileURLToPath(import.meta.url));

/** The folder holding the bundled packs (works from src/ under vitest and from dist/). */
export function rulesDir(): string {
  return resolve(here, '..', 'rules');
}

/** Path of the JSON schema rule packs are validated against. */
export function schemaPath(): string {
  return join(rulesDir(), 'schema.json');
}

/** The JSON schema of rule packs (rules/schema.json), parsed. */
export function readPackSchema(): JsonSchema {
  return JSON.parse(readFileSync(schemaPath(), 'utf8')) as JsonSchema;
}

/**
 * Loads a rule pack: the bundled one for `undefined` or "default", else the JSON file at `spec`
 * (relative to `cwd`). Each file of the `extends` chain but the bundled one (which the tests
 * validate) is validated against rules/schema.json with {@link validatePack}; the chain is merged base first (arrays appended without repeats, objects merged, scalars
 * replaced). Throws {@link ConfigError} (exit 2) naming the file and the JSON path of a bad key.
 */
export function loadRulePack(spec?: string, cwd: string = process.cwd()): RulePack {
  const path = spec === undefined || spec === DEFAULT_PACK ? defaultPackPath() : resolve(cwd, spec);
  if (!existsSync(path) || !statSync(path).isFile()) {
    throw new ConfigError(`rule pack not found: ${display(path, cwd)}`, 'pass a path to a JSON rule pack, or "default" for the bundled pack');
  }
  const sources: string[] = [];
  const merged = loadChain(path, [], sources, cwd);
  return { ...(merged as unknown as RulePack), sources };
}

/**
 * The `port-db.config.json` that applies to `root` (a folder, or a file: then its folder), if
 * any: the one in that folder, else, when `cwd` is given and the folder lies inside it, the first
 * one in its parent folders up to `cwd` itself (the config of the project port-db runs in).
 */
export function findConfig(root: string, cwd?: string): string | undefined {
  let dir = existsSync(root) && statSync(root).isFile() ? dirname(root) : root;
  const top = cwd === undefined ? undefined : resolve(cwd);
  for (;;) {
    const path = join(dir, CONFIG_FILE);
    if (existsSync(path) && statSync(path).isFile()) return path;
    const rel = top === undefined ? '' : relative(top, dir);
    if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) return undefined;
    dir = dirname(dir);
  }
}

/**
 * Reads and validates a `port-db.config.json`. A relative `rules` path is returned resolved
 * against the config file's folder ("default" stays "default").
 */
export function readConfig(path: string, cwd: string = process.cwd()): PortDbConfig {
  const raw = readJson(path, cwd);
  const errors = validator('config').validate(raw);
  if (errors.length > 0) throw invalid(path, cwd, errors, configSchema, `a ${CONFIG_FILE} holds { "rules": "<path to a pack, or default>" }`);
  const config = raw as PortDbConfig;
  if (config.rules !== undefined && config.rules !== DEFAULT_PACK) return { ...config, rules: resolve(dirname(path), config.rules) };
  return config;
}

/**
 * Which pack a run over `root` uses, for every command (port, check, equiv, rules): `--rules`
 * when given (relative to `cwd`), else the `rules` of the `port-db.config.json` that applies to
 * `root` (see {@link findConfig}), else the bundled pack. The result is "default" or an absolute
 * path; `from` says where it came from (for messages).
 */
export function resolveRulesSpec(root: string, cliRules?: string, cwd: string = process.cwd()): { spec: string; from: 'cli' | 'config' | 'default'; config?: string } {
  if (cliRules !== undefined) return { spec: cliRules === DEFAULT_PACK ? DEFAULT_PACK : resolve(cwd, cliRules), from: 'cli' };
  const config = findConfig(resolve(cwd, root), cwd);
  if (config) {
    const rules = readConfig(config, cwd).rules;
    if (rules !== undefined) {
      if (rules !== DEFAULT_PACK && !existsSync(rules)) {
        throw new ConfigError(`${display(config, cwd)}: /rules names a rule pack that does not exist: ${display(rules, cwd)}`, 'a relative "rules" path is resolved against the folder of the config file');
      }
      return { spec: rules, from: 'config', config };
    }
  }
  return { spec: DEFAULT_PACK, from: 'default' };
}

/** The pack a run over `root` uses (see {@link resolveRulesSpec}), loaded. */
export function rulePackFor(root: string, cliRules?: string, cwd: string = process.cwd()): RulePack {
  return loadRulePack(resolveRulesSpec(root, cliRules, cwd).spec, cwd);
}

/**
 * The one pack a run over several paths uses (`check`): each resolved as {@link resolveRulesSpec}
 * does; paths whose configs name different packs are an error (one run applies one pack).
 */
export function rulePackForPaths(paths: string[], cliRules?: string, cwd: string = process.cwd()): RulePack {
  const specs = paths.map((p) => ({ path: p, ...resolveRulesSpec(p, cliRules, cwd) }));
  const first = specs[0];
  const other = specs.find((s) => s.spec !== first.spec);
  if (first && other) {
    const where = (s: typeof first) => `${s.path} uses ${s.spec === DEFAULT_PACK ? 'the bundled pack' : display(s.spec, cwd)}${s.config ? ` (from ${display(s.config, cwd)})` : ''}`;
    throw new ConfigError(`the paths use different rule packs: ${where(first)}, ${where(other)}`, 'check them in separate runs, or pass --rules to use one pack for all');
  }
  return loadRulePack(first?.spec, cwd);
}

/**
 * Merges an extending pack over its base: arrays are appended (a name already in the base is
 * not repeated), objects are merged key by key, anything else replaces the base value.
 */
export function mergePacks(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const prev = out[key];
    if (Array.isArray(prev) && Array.isArray(value)) out[key] = [...new Set([...prev, ...value])];
    else if (isPlainObject(prev) && isPlainObject(value)) out[key] = mergePacks(prev, value);
    else out[key] = value;
  }
  return out;
}

function defaultPackPath(): string {
  return join(rulesDir(), 'default.json');
}

/** Keys of a pack file that describe the file itself and are not inherited. */
const OWN_KEYS = new Set(['$schema', 'extends', 'name', 'description']);

function loadChain(path: string, stack: string[], sources: string[], cwd: string): Record<string, unknown> {
  const raw = readJson(path, cwd);
  // the bundled pack is validated by the tests; skipping it here keeps ajv off the common path
  if (path !== defaultPackPath()) validatePack(raw, path, cwd);
  const pack = raw as Record<string, unknown>;
  checkConstructs(path, cwd, (pack.constructs ?? {}) as Record<string, ConstructAction>);
  const own = Object.fromEntries(Object.entries(pack).filter(([k]) => !OWN_KEYS.has(k)));
  const name = typeof pack.name === 'string' ? pack.name : basename(path).replace(/\.json$/i, '');
  const description = typeof pack.description === 'string' ? pack.description : undefined;
  let merged: Record<string, unknown> = own;
  if (typeof pack.extends === 'string') {
    const base = pack.extends === DEFAULT_PACK ? defaultPackPath() : resolve(dirname(path), pack.extends);
    const chain = [...stack, path];
    if (chain.includes(base)) {
      const names = [...chain.slice(chain.indexOf(base)), base].map((p) => display(p, cwd));
      throw new ConfigError(`${display(path, cwd)}: /extends makes a cycle: ${names.join(' → ')}`, 'make one pack of the cycle extend "default" (or nothing) instead');
    }
    if (!existsSync(base) || !statSync(base).isFile()) {
      throw new ConfigError(
        `${display(path, cwd)}: /extends names a rule pack that does not exist: ${JSON.stringify(pack.extends)} (looked for ${display(base, cwd)})`,
        '"extends" is "default" or a path relative to the pack that extends',
      );
    }
    merged = mergePacks(loadChain(base, chain, sources, cwd), own);
  }
  sources.push(path);
  const out: Record<string, unknown> = { name, ...(description !== undefined ? { description } : {}) };
  for (const [k, v] of Object.entries(merged)) if (k !== 'name' && k !== 'description') out[k] = v;
  return out;
}

/**
 * Validates one pack file as written (before `extends` is resolved) against rules/schema.json.
 * Throws {@link ConfigError} listing every bad key by its JSON path.
 */
export function validatePack(raw: unknown, path: string, cwd: string = process.cwd()): void {
  const errors = validator('pack').validate(raw);
  if (errors.length === 0) return;
  const extendsSomething = isPlainObject(raw) && 'extends' in raw;
  const missing = errors.some((e) => e.keyword === 'required');
  const hint =
    missing && !extendsSomething
      ? `a pack without "extends" must give every key; add "extends": "default" to start from the bundled pack and give only what differs (keys: ${display(schemaPath(), cwd)})`
      : `the keys and their allowed values are described in ${display(schemaPath(), cwd)}`;
  throw invalid(path, cwd, errors, readPackSchemaCached(), hint);
}

function checkConstructs(path: string, cwd: string, constructs: Record<string, ConstructAction>): void {
  const problems: string[] = [];
  for (const [name, action] of Object.entries(constructs)) {
    if (action === 'manual' || CONSTRUCT_SUPPORT[action].includes(name)) continue;
    const can = CONSTRUCT_SUPPORT[action].length > 0 ? `it can ${action} only ${CONSTRUCT_SUPPORT[action].join(', ')}` : `it can ${action} none yet`;
    problems.push(`${display(path, cwd)}: /constructs/${escapePointer(name)} is ${JSON.stringify(action)}, but port-db has no way to ${action} ${name} for ROME (${can})`);
  }
  if (problems.length > 0) {
    throw new ConfigError(problems.join('\n'), 'use "manual" so the construct is kept and marked for a human; a construct the pack does not list is copied unchanged');
  }
}

function readJson(path: string, cwd: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ConfigError(`${display(path, cwd)}: cannot read: ${(e as Error).message}`, 'check the file exists and is readable');
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    const message = (e as Error).message;
    const at = /position (\d+)/.exec(message);
    const where = at ? `:${lineColumn(text, Number(at[1]))}` : '';
    throw new ConfigError(`${display(path, cwd)}${where}: not valid JSON: ${message}`, 'fix the JSON syntax (no comments, no trailing commas)');
  }
}

function lineColumn(text: string, offset: number): string {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return `${line}:${offset - before.lastIndexOf('\n')}`;
}

/** A path as messages show it: relative to `cwd` when inside it, else absolute. */
function display(path: string, cwd: string): string {
  const rel = relative(cwd, path);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel.split('\\').join('/') : path;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The subset of JSON Schema the messages read. */
export interface JsonSchema {
  $ref?: string;
  title?: string;
  description?: string;
  type?: string;
  enum?: unknown[];
  properties?: Record<string, JsonSchema>;
  additionalProperties?: boolean | JsonSchema;
  propertyNames?: JsonSchema;
  items?: JsonSchema;
  required?: string[];
  minLength?: number;
  minimum?: number;
  exclusiveMinimum?: number;
  pattern?: string;
  definitions?: Record<string, JsonSchema>;
  [key: string]: unknown;
}

const configSchema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    $schema: { type: 'string' },
    rules: { title: 'a non-empty string: "default" or the path of a rule pack', type: 'string', minLength: 1 },
    equiv: {
      title: '{ "normalise": { "<rule>": false } }: the normaliser rules of port-db equiv to switch off',
      type: 'object',
      additionalProperties: false,
      properties: { normalise: { type: 'object', additionalProperties: { type: 'boolean' } } },
    },
  },
};

let packSchema: JsonSchema | undefined;
const readPackSchemaCached = (): JsonSchema => (packSchema ??= readPackSchema());

const validators = new Map<string, ValidateFunction>();

function validator(kind: 'pack' | 'config'): { validate(data: unknown): ErrorObject[] } {
  let fn = validators.get(kind);
  if (!fn) {
    // loaded on first use: most runs use only the bundled pack, and ajv's start-up is not free
    const { Ajv } = createRequire(import.meta.url)('ajv') as typeof import('ajv');
    // allErrors: report every bad key at once; verbose: errors carry the data they reject
    const ajv = new Ajv({ allErrors: true, verbose: true, strict: true, strictRequired: false });
    fn = ajv.compile(kind === 'pack' ? readPackSchemaCached() : configSchema);
    validators.set(kind, fn);
  }
  const validate = fn;
  return { validate: (data) => (validate(data) ? [] : [...(validate.errors ?? [])]) };
}

/** At most this many problems are listed; the rest are counted. */
const MAX_PROBLEMS = 10;

function invalid(path: string, cwd: string, errors: ErrorObject[], schema: JsonSchema, hint: string): ConfigError {
  const file = display(path, cwd);
  const problems = [...new Set(errors.flatMap((e) => describeError(e, schema)))];
  const shown = problems.slice(0, MAX_PROBLEMS).map((p) => `${file}: ${p}`);
  if (problems.length > MAX_PROBLEMS) shown.push(`${file}: ... and ${problems.length - MAX_PROBLEMS} more`);
  return new ConfigError(shown.join('\n'), hint);
}

/** One ajv error as a sentence that names the JSON path of the bad key (none for noise). */
function describeError(e: ErrorObject, root: JsonSchema): string[] {
  // "if"/"then" wrappers and the inner error of propertyNames repeat what another error says
  if (e.keyword === 'if' || (e as { propertyName?: string }).propertyName !== undefined) return [];
  const at = e.instancePath;
  switch (e.keyword) {
    case 'required': {
      const key = (e.params as { missingProperty: string }).missingProperty;
      const path = `${at}/${escapePointer(key)}`;
      const expected = schemaAt(root, path);
      return [`missing key ${JSON.stringify(key)} (${path} must be ${expected ? describeSchema(root, expected) : 'given'})`];
    }
    case 'additionalProperties': {
      const key = (e.params as { additionalProperty: string }).additionalProperty;
      const allowed = Object.keys(resolveRef(root, schemaAt(root, at) ?? {}).properties ?? {});
      const guess = closest(key, allowed);
      const tail = `allowed: ${allowed.join(', ')}${guess ? `; did you mean ${JSON.stringify(guess)}?` : ''}`;
      return [`${at}/${escapePointer(key)} is not a known key (${tail})`];
    }
    case 'propertyNames': {
      const key = (e.params as { propertyName: string }).propertyName;
      const names = resolveRef(root, (e.parentSchema as JsonSchema | undefined)?.propertyNames ?? {});
      return [`${at}/${escapePointer(key)}: the key ${JSON.stringify(key)} must be ${describeSchema(root, names)}`];
    }
    default: {
      const expected = schemaAt(root, at) ?? (e.parentSchema as JsonSchema | undefined);
      const what = at === '' ? 'a JSON object' : expected ? describeSchema(root, expected) : (e.message ?? 'valid');
      return [`${at || '/'} must be ${what} (got ${show(e.data)})`];
    }
  }
}

/** The schema that applies at a JSON pointer, following properties, additionalProperties and items. */
function schemaAt(root: JsonSchema, pointer: string): JsonSchema | undefined {
  let s: JsonSchema | undefined = resolveRef(root, root);
  for (const segment of pointer.split('/').slice(1).map(unescapePointer)) {
    if (!s) return undefined;
    if (s.properties && segment in s.properties) s = s.properties[segment];
    else if (typeof s.additionalProperties === 'object') s = s.additionalProperties;
    else if (s.items) s = s.items;
    else return undefined;
    s = resolveRef(root, s);
  }
  return s;
}

function resolveRef(root: JsonSchema, s: JsonSchema): JsonSchema {
  let out = s;
  for (let i = 0; out.$ref && i < 10; i++) {
    const target = out.$ref.startsWith('#/') ? out.$ref.slice(2).split('/').reduce<unknown>((o, k) => (o as Record<string, unknown>)?.[k], root) : undefined;
    if (!target) break;
    // keywords beside $ref (a description) do not change what the value must be
    out = { ...(target as JsonSchema), ...(out.title ? { title: out.title } : {}) };
  }
  return out;
}

/** What a value must be, in words: `a number > 0`, `one of "drop", "map", "manual"`. */
function describeSchema(root: JsonSchema, schema: JsonSchema): string {
  const s = resolveRef(root, schema);
  if (s.title) return s.title;
  if (s.enum) return `one of ${s.enum.map((v) => JSON.stringify(v)).join(', ')}`;
  switch (s.type) {
    case 'string':
      return s.minLength ? 'a non-empty string' : 'a string';
    case 'number':
    case 'integer': {
      const bounds = [s.exclusiveMinimum !== undefined ? ` > ${s.exclusiveMinimum}` : '', s.minimum !== undefined ? ` >= ${s.minimum}` : ''].join('');
      return `${s.type === 'integer' ? 'an integer' : 'a number'}${bounds}`;
    }
    case 'array':
      return s.items ? `an array whose items are each ${describeSchema(root, s.items)}` : 'an array';
    case 'object':
      return typeof s.additionalProperties === 'object' ? `an object whose values are each ${describeSchema(root, s.additionalProperties)}` : 'an object';
    default:
      return 'valid';
  }
}

function show(value: unknown): string {
  const text = value === undefined ? 'nothing' : JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

const escapePointer = (key: string) => key.replace(/~/g, '~0').replace(/\//g, '~1');
const unescapePointer = (segment: string) => segment.replace(/~1/g, '/').replace(/~0/g, '~');

/** The allowed key closest to a misspelt one (edit distance at most 2, ignoring case), if any. */
function closest(key: string, allowed: string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const candidate of allowed) {
    const d = editDistance(key.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row[j] = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = row;
  }
  return prev[b.length];
}
