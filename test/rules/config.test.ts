import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONFIG_FILE, findConfig, readConfig, resolveRulesSpec, rulePackFor } from '../../src/rules.js';
import { FIXTURES } from '../helpers.js';
import { configError, packDir } from './helpers.js';

describe('port-db.config.json', () => {
  it('is found at the root, and only there', () => {
    const dir = packDir({ [CONFIG_FILE]: { rules: 'default' } });
    mkdirSync(join(dir, 'svc'));
    expect(findConfig(dir)).toBe(join(dir, CONFIG_FILE));
    expect(findConfig(join(dir, 'svc'))).toBeUndefined();
  });

  it('a folder of that name is not a config', () => {
    const dir = packDir({});
    mkdirSync(join(dir, CONFIG_FILE));
    expect(findConfig(dir)).toBeUndefined();
  });

  it('its rules path is resolved against the config file, "default" stays "default"', () => {
    const dir = packDir({ [CONFIG_FILE]: { rules: './packs/acme.json' }, 'default.json': { rules: 'default' } });
    expect(readConfig(join(dir, CONFIG_FILE))).toEqual({ rules: join(dir, 'packs', 'acme.json') });
    expect(readConfig(join(dir, 'default.json'))).toEqual({ rules: 'default' });
  });

  it('an invalid config: the JSON path of the bad key', () => {
    const dir = packDir({ a: { rules: 3 }, b: { rule: 'x.json' }, c: '{ "rules": ' });
    expect(configError(() => readConfig(join(dir, 'a'), dir)).message).toBe('a: /rules must be a non-empty string: "default" or the path of a rule pack (got 3)');
    expect(configError(() => readConfig(join(dir, 'b'), dir)).message).toBe('b: /rule is not a known key (allowed: $schema, rules, equiv; did you mean "rules"?)');
    expect(configError(() => readConfig(join(dir, 'c'), dir)).message).toMatch(/^c(:\d+:\d+)?: not valid JSON/);
  });
});

describe('which pack a run uses', () => {
  const acme = join(FIXTURES, 'custom-pack');

  it('--rules wins over the config; relative to the working folder', () => {
    expect(resolveRulesSpec(acme, 'default')).toEqual({ spec: 'default', from: 'cli' });
    expect(resolveRulesSpec(acme, 'acme.rules.json', acme)).toEqual({ spec: join(acme, 'acme.rules.json'), from: 'cli' });
  });

  it('then the rules of the root\'s port-db.config.json', () => {
    expect(resolveRulesSpec(acme)).toEqual({ spec: join(acme, 'acme.rules.json'), from: 'config', config: join(acme, CONFIG_FILE) });
    expect(rulePackFor(acme).name).toBe('acme');
    expect(rulePackFor(acme).sessionFactories).toContain('open_db_session');
  });

  it('then the bundled pack', () => {
    expect(resolveRulesSpec(join(FIXTURES, 'nova'))).toEqual({ spec: 'default', from: 'default' });
    expect(resolveRulesSpec(packDir({ [CONFIG_FILE]: {} }))).toEqual({ spec: 'default', from: 'default' });
  });

  it('a config that names a missing pack is an error that names the config', () => {
    const dir = packDir({ [CONFIG_FILE]: { rules: 'nope.json' } });
    const e = configError(() => resolveRulesSpec(dir, undefined, dir));
    expect(e.message).toBe(`${CONFIG_FILE}: /rules names a rule pack that does not exist: nope.json`);
    expect(e.exitCode).toBe(2);
  });
});
