import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONFIG_FILE, findConfig, readConfig, resolveRulesSpec, rulePackFor, rulePackForPaths } from '../../src/rules.js';
import { FIXTURES, ROOT } from '../helpers.js';
import { configError, packDir } from './helpers.js';

describe('port-db.config.json', () => {
  it('is found at the root, and only there', () => {
    const dir = packDir({ [CONFIG_FILE]: { rules: 'default' } });
    mkdirSync(join(dir, 'svc'));
    expect(findConfig(dir)).toBe(join(dir, CONFIG_FILE));
    expect(findConfig(join(dir, 'svc'))).toBeUndefined();
  });

  it('with the working folder: then in the parent folders up to it (not above it), and beside a file', () => {
    const dir = packDir({ [CONFIG_FILE]: { rules: 'default' } });
    mkdirSync(join(dir, 'svc', 'db'), { recursive: true });
    writeFileSync(join(dir, 'svc', 'db', 'api.ts'), '');
    expect(findConfig(join(dir, 'svc', 'db'), dir)).toBe(join(dir, CONFIG_FILE));
    expect(findConfig(join(dir, 'svc', 'db', 'api.ts'), dir)).toBe(join(dir, CONFIG_FILE));
    expect(findConfig(join(dir, 'svc', 'db'), join(dir, 'svc'))).toBeUndefined();
    expect(findConfig(join(dir, 'svc'), join(dir, 'svc', 'db'))).toBeUndefined();
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

describe('every command resolves the pack the same way', () => {
  const acme = join(FIXTURES, 'custom-pack');
  const cli = (args: string[], cwd: string) => spawnSync(process.execPath, [join(ROOT, 'bin', 'port-db'), ...args], { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '' } });

  it('check honours the config of the project it runs in (the custom-pack sample: 15 findings, as with --rules)', () => {
    const configured = cli(['check', 'svc'], acme);
    const flagged = cli(['check', 'svc', '--rules', 'acme.rules.json'], acme);
    expect(flagged.stdout).toMatch(/✖ 15 findings/);
    expect(configured.stdout).toBe(flagged.stdout);
    expect(configured.status).toBe(1);
    // and from above the project, the config at the path checked
    expect(cli(['check', 'fixtures/custom-pack'], ROOT).stdout).toMatch(/✖ 15 findings/);
    expect(cli(['check', 'svc', '--rules', 'default'], acme).stdout).toMatch(/✖ 10 findings/);
  });

  it('paths whose configs name different packs: an error that names both', () => {
    const dir = packDir({});
    mkdirSync(join(dir, 'a'));
    writeFileSync(join(dir, 'a', CONFIG_FILE), JSON.stringify({ rules: join(acme, 'acme.rules.json') }));
    mkdirSync(join(dir, 'b'));
    const e = configError(() => rulePackForPaths(['a', 'b'], undefined, dir));
    expect(e.message).toMatch(/^the paths use different rule packs: a uses .*acme\.rules\.json \(from a\/port-db\.config\.json\), b uses the bundled pack$/);
    expect(rulePackForPaths(['a', 'b'], 'default', dir).name).toBe('default');
    expect(rulePackForPaths(['a'], undefined, dir).name).toBe('acme');
  });

  it('--help says how, for port, check and rules', () => {
    for (const command of ['port', 'check', 'rules']) expect(cli([command, '--help'], ROOT).stdout.replace(/\s+/g, ' ')).toContain('without --rules, the "rules" of port-db.config.json');
  });
});

