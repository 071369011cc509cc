import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CHECK_RULES } from '../../src/analyzer/check-rules.js';
import { listRules, renderRules, RULES_FORMATS } from '../../src/report/rules.js';
import { ALL_REWRITERS } from '../../src/rewriters/index.js';
import { loadRulePack } from '../../src/rules.js';
import { FIXTURES, ROOT } from '../helpers.js';
import { packDir } from './helpers.js';

function run(args: string[], cwd = ROOT) {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'port-db'), ...args], { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const ANSI = /\u001b\[/;

describe('renderRules', () => {
  const pack = loadRulePack();

  for (const format of RULES_FORMATS) {
    it(`${format}: lists every rewriter and every check by id, with its title`, () => {
      const out = renderRules(pack, format);
      for (const r of ALL_REWRITERS) {
        expect(out, r.id).toContain(r.id);
        expect(out, r.id).toContain(format === 'json' ? JSON.stringify(r.title) : r.title);
      }
      for (const c of CHECK_RULES) expect(out, c.id).toContain(format === 'json' ? JSON.stringify(c.title) : c.title);
    });
  }

  it('json: the whole listing, samples and examples included', () => {
    const listing = JSON.parse(renderRules(pack, 'json'));
    expect(listing).toEqual(JSON.parse(JSON.stringify(listRules(pack))));
    // the tool and its version, as the port report and check --format json give them
    expect(Object.keys(listing).slice(0, 2)).toEqual(['tool', 'version']);
    expect(listing).toMatchObject({ tool: 'port-db', version: JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version });
    expect(listing.rewriters.map((r: { id: string }) => r.id)).toEqual(ALL_REWRITERS.map((r) => r.id));
    expect(listing.checks.map((c: { id: string }) => c.id)).toEqual(CHECK_RULES.map((c) => c.id));
    for (const r of listing.rewriters) expect(r.samples[0]).toEqual(ALL_REWRITERS.find((x) => x.id === r.id)!.samples[0]);
    for (const c of listing.checks) expect(c).toMatchObject({ level: expect.any(String), help: expect.any(String), example: expect.any(String) });
    expect(listing.pack.files).toEqual(['rules/default.json']);
    expect(listing.pack.settings).toContainEqual(expect.objectContaining({ key: 'lock.ttlMs', value: pack.lock.ttlMs }));
    expect(listing.pack.settings).toContainEqual(expect.objectContaining({ key: 'engineFactories', value: pack.engineFactories }));
  });

  it('md: a section per rewriter with its before/after, and per check with its example', () => {
    const md = renderRules(pack, 'md');
    for (const r of ALL_REWRITERS) {
      expect(md).toContain(`### \`${r.id}\`: ${r.title}`);
      expect(md).toContain(r.samples[0].after.trimEnd());
    }
    for (const c of CHECK_RULES) expect(md).toContain(`### \`${c.id}\`: ${c.title}`);
    expect(md).toContain('| `lock.ttlMs` | `100` |');
    expect(md).toMatch(/\| `constructs` \| map: `limit`, .*; manual: `outerjoin`/);
  });

  it('md: a sample holding backquotes gets a longer fence', () => {
    const md = renderRules(pack, 'md', { rewriters: [{ ...ALL_REWRITERS[0], samples: [{ before: 'const s = `a ${b}`;\nconst t = ```;\n', after: 'x\n' }] }] });
    expect(md).toContain('````ts\nconst s = `a ${b}`;\nconst t = ```;\n````');
  });

  it('text: plain unless colour is asked for', () => {
    expect(renderRules(pack, 'text')).not.toMatch(ANSI);
    expect(renderRules(pack, 'text', { color: true })).toMatch(ANSI);
  });

  it('shows the settings of the pack it is given', () => {
    const acme = loadRulePack(join(FIXTURES, 'custom-pack', 'acme.rules.json'));
    const text = renderRules(acme, 'text', { cwd: join(FIXTURES, 'custom-pack') });
    expect(text).toContain('port-db rules (pack acme: rules/default.json + acme.rules.json)');
    expect(text).toMatch(/sessionFactories +get_session, getSession, open_db_session\n/);
    expect(text).toMatch(/lock\.nameTemplate +acme:\{table\}:\{key\}\n/);
  });
});

describe('port-db rules', () => {
  it('--format md prints docs/RULES.md', () => {
    const r = run(['rules', '--format', 'md']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(readFileSync(join(ROOT, 'docs', 'RULES.md'), 'utf8'));
  });

  it('prints text by default, and JSON on request', () => {
    const text = run(['rules']);
    expect(text.code).toBe(0);
    expect(text.stdout).toBe(renderRules(loadRulePack(), 'text', { cwd: ROOT }));
    const json = run(['rules', '--format', 'json']);
    expect(JSON.parse(json.stdout).rewriters).toHaveLength(ALL_REWRITERS.length);
  });

  it('uses the pack of ./port-db.config.json, and --rules over it', () => {
    const cwd = join(FIXTURES, 'custom-pack');
    expect(JSON.parse(run(['rules', '--format', 'json'], cwd).stdout).pack.name).toBe('acme');
    expect(JSON.parse(run(['rules', '--format', 'json', '--rules', 'default'], cwd).stdout).pack.name).toBe('default');
  });

  it('an invalid pack: exit 2, the JSON path of the bad key and the allowed values', () => {
    const dir = packDir({ 'bad.json': { extends: 'default', constructs: { limit: 'skip' } } });
    const r = run(['rules', '--rules', 'bad.json'], dir);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('port-db: error: bad.json: /constructs/limit must be one of "drop", "map", "manual" (got "skip")');
    expect(r.stderr).toMatch(/hint: .*schema\.json/);
  });

  it('an unknown format is a usage error', () => {
    const r = run(['rules', '--format', 'xml']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/Allowed choices are text, json, md/);
  });
});
