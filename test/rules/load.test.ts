import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONSTRUCT_SUPPORT, loadRulePack, mergePacks, readPackSchema, rulesDir, validatePack, type JsonSchema, type RulePack } from '../../src/rules.js';
import { configError, packDir } from './helpers.js';
import { DEFAULT_ENGINE_FACTORIES, DEFAULT_TARGET_LACKS, toScanConfig } from '../../src/analyzer/check-types.js';

const DEFAULT = JSON.parse(readFileSync(join(rulesDir(), 'default.json'), 'utf8')) as RulePack;

describe('the bundled pack', () => {
  const pack = loadRulePack();

  it('loads by default and by name, and records its file', () => {
    expect(pack.name).toBe('default');
    expect(loadRulePack('default')).toEqual(pack);
    expect(pack.sources).toEqual([join(rulesDir(), 'default.json')]);
  });

  it('is valid against rules/schema.json (loading it skips validation, so this test is the guard)', () => {
    expect(() => validatePack(DEFAULT, join(rulesDir(), 'default.json'))).not.toThrow();
  });

  it('covers both spellings: every snake_case name has its camelCase twin', () => {
    const camel = (s: string) => s.replace(/(?<=[a-z0-9])_([a-z])/g, (_, c: string) => c.toUpperCase());
    const lists: Array<[string, string[]]> = [
      ['sessionFactories', pack.sessionFactories],
      ['queryHelpers', pack.queryHelpers],
      ['rowLocks', pack.rowLocks],
      ['loaderOptions', pack.loaderOptions],
      ['constructs', Object.keys(pack.constructs)],
      ...Object.entries(pack.queryOptions).map(([k, v]) => [`queryOptions.${k}`, v] as [string, string[]]),
      ...Object.entries(pack.methods).map(([k, v]) => [`methods.${k}`, v] as [string, string[]]),
    ];
    for (const [key, names] of lists) {
      for (const name of names) expect(names, `${key}: ${name}`).toContain(camel(name));
    }
  });

  it('maps only the constructs the rewriters can map', () => {
    for (const [name, action] of Object.entries(pack.constructs)) {
      if (action !== 'manual') expect(CONSTRUCT_SUPPORT[action], name).toContain(name);
    }
  });
});

describe('rules/schema.json', () => {
  const schema = readPackSchema();

  it('describes every key, at every level', () => {
    const undescribed: string[] = [];
    const visit = (s: JsonSchema, at: string) => {
      for (const [key, prop] of Object.entries(s.properties ?? {})) {
        if (!prop.description) undescribed.push(`${at}/${key}`);
        visit(prop, `${at}/${key}`);
      }
    };
    visit(schema, '');
    expect(undescribed).toEqual([]);
  });

  it('knows every key of the RulePack the rewriters read (the default pack uses them all)', () => {
    for (const [key, value] of Object.entries(DEFAULT)) {
      expect(schema.properties, key).toHaveProperty([key]);
      const nested = schema.properties![key].properties;
      if (nested) for (const sub of Object.keys(value as object)) expect(nested, `${key}.${sub}`).toHaveProperty([sub]);
    }
  });

  it('offers exactly drop, map and manual for constructs', () => {
    expect((schema.properties!.constructs.additionalProperties as JsonSchema).enum).toEqual(['drop', 'map', 'manual']);
  });
});

describe('extends', () => {
  it('"default": arrays are appended, objects merged, scalars replaced', () => {
    const dir = packDir({
      'acme.json': {
        extends: 'default',
        sessionFactories: ['open_db_session', 'get_session'],
        queryHelpers: ['query_model'],
        importMappings: { 'acme.db': 'acme_rome' },
        constructs: { limit: 'manual', window: 'manual' },
        lock: { ttlMs: 500 },
        target: { module: '@acme/rome' },
        modelsModule: './orm',
      },
    });
    const pack = loadRulePack(join(dir, 'acme.json'));
    expect(pack.sessionFactories).toEqual(['get_session', 'getSession', 'open_db_session']);
    expect(pack.queryHelpers).toEqual([...DEFAULT.queryHelpers, 'query_model']);
    expect(pack.importMappings).toEqual({ ...DEFAULT.importMappings, 'acme.db': 'acme_rome' });
    expect(pack.constructs).toEqual({ ...DEFAULT.constructs, limit: 'manual', window: 'manual' });
    expect(pack.lock).toEqual({ ...DEFAULT.lock, ttlMs: 500 });
    expect(pack.target).toEqual({ ...DEFAULT.target, module: '@acme/rome' });
    expect(pack.modelsModule).toBe('./orm');
    expect(pack.rowLocks).toEqual(DEFAULT.rowLocks);
    expect(pack.sources).toEqual([join(rulesDir(), 'default.json'), join(dir, 'acme.json')]);
  });

  it('the name is the pack\'s own (else its file name), and the base description is not inherited', () => {
    const dir = packDir({ 'acme-pack.json': { extends: 'default' }, 'named.json': { extends: 'default', name: 'acme', description: 'Acme names.' } });
    const unnamed = loadRulePack(join(dir, 'acme-pack.json'));
    expect(unnamed.name).toBe('acme-pack');
    expect(unnamed.description).toBeUndefined();
    expect(loadRulePack(join(dir, 'named.json'))).toMatchObject({ name: 'acme', description: 'Acme names.' });
  });

  it('a relative path is resolved against the extending file, through a chain', () => {
    const dir = packDir({ 'base.json': { extends: 'default', queryHelpers: ['query_model'] } });
    const sub = join(dir, 'teams');
    packDirAt(sub, { 'team.json': { extends: '../base.json', queryHelpers: ['team_query'], lock: { retries: 3 } } });
    const pack = loadRulePack('teams/team.json', dir);
    expect(pack.queryHelpers).toEqual([...DEFAULT.queryHelpers, 'query_model', 'team_query']);
    expect(pack.lock.retries).toBe(3);
    expect(pack.sources).toEqual([join(rulesDir(), 'default.json'), join(dir, 'base.json'), join(sub, 'team.json')]);
  });

  it('engineFactories given by a pack that extends the default add to the common ones (check sees both)', () => {
    const dir = packDir({ 'acme.json': { extends: 'default', engineFactories: ['acme_engine'] } });
    const factories = toScanConfig(loadRulePack('acme.json', dir)).engineFactories;
    expect(factories).toContain('acme_engine');
    expect(factories).toContain('create_engine');
    expect(factories).toEqual([...DEFAULT_ENGINE_FACTORIES, 'acme_engine']);
  });

  it("target.lacks: check's fallback is the default pack's list, and an extending pack adds to it", () => {
    expect(DEFAULT.target.lacks).toEqual(DEFAULT_TARGET_LACKS);
    const dir = packDir({ 'acme.json': { extends: 'default', target: { lacks: ['paginate'] } } });
    expect(toScanConfig(loadRulePack('acme.json', dir)).targetLacks).toEqual([...DEFAULT_TARGET_LACKS, 'paginate']);
  });

  it('a pack without extends is used as it is (a complete pack)', () => {
    const dir = packDir({ 'full.json': { ...DEFAULT, name: 'mine', sessionFactories: ['open_session'] } });
    expect(loadRulePack(join(dir, 'full.json')).sessionFactories).toEqual(['open_session']);
  });

  it('detects cycles, naming the chain', () => {
    const dir = packDir({ 'a.json': { extends: './b.json' }, 'b.json': { extends: './a.json' }, 'self.json': { extends: 'self.json' } });
    const e = configError(() => loadRulePack('a.json', dir));
    expect(e.exitCode).toBe(2);
    expect(e.message).toBe('b.json: /extends makes a cycle: a.json → b.json → a.json');
    expect(configError(() => loadRulePack('self.json', dir)).message).toBe('self.json: /extends makes a cycle: self.json → self.json');
  });

  it('a base that does not exist', () => {
    const dir = packDir({ 'a.json': { extends: './missing.json' } });
    expect(configError(() => loadRulePack('a.json', dir)).message).toBe('a.json: /extends names a rule pack that does not exist: "./missing.json" (looked for missing.json)');
  });

  it('an error in the base pack names the base file', () => {
    const dir = packDir({ 'base.json': { extends: 'default', lock: { retries: -1 } }, 'a.json': { extends: './base.json' } });
    expect(configError(() => loadRulePack('a.json', dir)).message).toBe('base.json: /lock/retries must be an integer >= 0 (got -1)');
  });
});

describe('mergePacks', () => {
  it('appends arrays without repeats, merges objects deeply, replaces scalars and mismatched types', () => {
    expect(mergePacks({ a: [1, 2], o: { x: 1, deep: { y: [1] } }, s: 'base', t: [1] }, { a: [2, 3], o: { z: 2, deep: { y: [2] } }, s: 'over', t: 'x' })).toEqual({
      a: [1, 2, 3],
      o: { x: 1, z: 2, deep: { y: [1, 2] } },
      s: 'over',
      t: 'x',
    });
  });
});

describe('invalid packs: exit 2, the file, the JSON path of the bad key, and what it may be', () => {
  const cases: Array<[string, unknown, string]> = [
    ['a number > 0', { extends: 'default', lock: { ttlMs: 'fast' } }, 'x.json: /lock/ttlMs must be a number > 0 (got "fast")'],
    ['a number > 0, not 0', { extends: 'default', lock: { ttlMs: 0 } }, 'x.json: /lock/ttlMs must be a number > 0 (got 0)'],
    ['an enum lists its values', { extends: 'default', constructs: { limit: 'skip' } }, 'x.json: /constructs/limit must be one of "drop", "map", "manual" (got "skip")'],
    [
      'an unknown key lists the allowed ones and guesses',
      { extends: 'default', lock: { ttlMS: 100 } },
      'x.json: /lock/ttlMS is not a known key (allowed: ttlMs, retries, backoffMs, nameTemplate, rowNameTemplate; did you mean "ttlMs"?)',
    ],
    [
      'names must be identifiers',
      { extends: 'default', sessionFactories: ['open_db_session()'] },
      'x.json: /sessionFactories/0 must be a JavaScript identifier (letters, digits, _ and $, not starting with a digit) (got "open_db_session()")',
    ],
    ['a list must be a list', { extends: 'default', queryHelpers: 'query_model' }, 'x.json: /queryHelpers must be an array of JavaScript identifiers (got "query_model")'],
    [
      'a lock name template is emitted in a template literal',
      { extends: 'default', lock: { nameTemplate: '${table}:{key}' } },
      'x.json: /lock/nameTemplate must be a lock name template: text with the placeholders {table} and {key}, and no other braces, backquote, $ or backslash (got "${table}:{key}")',
    ],
    ['extends is a string', { extends: 3 }, 'x.json: /extends must be a non-empty string (got 3)'],
    ['the top level is an object', [1], 'x.json: / must be a JSON object (got [1])'],
    ['a key with a slash is escaped in the path', { extends: 'default', importMappings: { 'a/b': 1 } }, 'x.json: /importMappings/a~1b must be a non-empty string (got 1)'],
    [
      'a construct name must be an identifier',
      { extends: 'default', constructs: { 'group-by': 'manual' } },
      'x.json: /constructs/group-by: the key "group-by" must be a JavaScript identifier (letters, digits, _ and $, not starting with a digit)',
    ],
    [
      'map only what port-db can map (else the port would be silently wrong)',
      { extends: 'default', constructs: { distinct: 'map' } },
      'x.json: /constructs/distinct is "map", but port-db has no way to map distinct for ROME (it can map only limit, offset, one, exists, join, wrap_db_retry, wrapDbRetry)',
    ],
    ['drop nothing port-db cannot drop', { extends: 'default', constructs: { outerjoin: 'drop' } }, 'x.json: /constructs/outerjoin is "drop", but port-db has no way to drop outerjoin for ROME (it can drop none yet)'],
  ];
  for (const [what, content, message] of cases) {
    it(what, () => {
      const dir = packDir({ 'x.json': content });
      const e = configError(() => loadRulePack('x.json', dir));
      expect(e.exitCode).toBe(2);
      expect(e.message).toBe(message);
      expect(e.hint).toBeTruthy();
    });
  }

  it('every problem is listed, each with the file', () => {
    const dir = packDir({ 'x.json': { extends: 'default', lock: { ttlMs: -1, retries: 1.5 }, rowLocks: [1] } });
    expect(configError(() => loadRulePack('x.json', dir)).message.split('\n')).toEqual([
      'x.json: /rowLocks/0 must be a JavaScript identifier (letters, digits, _ and $, not starting with a digit) (got 1)',
      'x.json: /lock/ttlMs must be a number > 0 (got -1)',
      'x.json: /lock/retries must be an integer >= 0 (got 1.5)',
    ]);
  });

  it('a pack without extends must give every key, and the hint says how to extend instead', () => {
    const dir = packDir({ 'x.json': { name: 'x', target: { module: 'rome-orm' }, lock: { ttlMs: 100 } } });
    const e = configError(() => loadRulePack('x.json', dir));
    expect(e.message).toContain('x.json: missing key "sessionFactories" (/sessionFactories must be an array of JavaScript identifiers)');
    expect(e.message).toMatch(/x\.json: \.\.\. and \d+ more$/);
    expect(e.hint).toMatch(/add "extends": "default"/);
  });

  it('nested keys are required too', () => {
    const { session: _, ...target } = DEFAULT.target;
    const dir = packDir({ 'x.json': { ...DEFAULT, target } });
    expect(configError(() => loadRulePack('x.json', dir)).message).toBe(
      'x.json: missing key "session" (/target/session must be a JavaScript identifier (letters, digits, _ and $, not starting with a digit))',
    );
  });

  it('not JSON: the line and column', () => {
    const dir = packDir({ 'x.json': '{\n  "extends": "default",\n}\n' });
    const e = configError(() => loadRulePack('x.json', dir));
    expect(e.message).toMatch(/^x\.json:3:1: not valid JSON: /);
  });

  it('a pack that does not exist', () => {
    const dir = packDir({});
    expect(configError(() => loadRulePack('nope.json', dir)).message).toBe('rule pack not found: nope.json');
  });
});

function packDirAt(dir: string, files: Record<string, unknown>): void {
  mkdirSync(dir, { recursive: true });
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), JSON.stringify(content));
}
