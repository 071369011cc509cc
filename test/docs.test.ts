import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CHECK_RULES } from '../src/analyzer/check-rules.js';
import { helpOutputs } from '../src/cli.js';
import { DOCS, renderRules } from '../src/report/rules.js';
import { ALL_REWRITERS } from '../src/rewriters/index.js';
import { loadRulePack } from '../src/rules.js';
import { ROOT } from './helpers.js';

// Users have the package and the repository, not the design notes the project was built from:
// what they read must not send them to DESIGN.md, ROME.md or EQUIV.md (issue 18).
const PRIVATE = /\bDESIGN\b|ROME\.md|EQUIV\.md|shared\//;

const read = (p: string) => readFileSync(join(ROOT, p), 'utf8');
const markdown = ['README.md', 'fixtures/README.md', ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

describe('docs a user has', () => {
  it('every document the rules listing names exists in docs/', () => {
    for (const d of DOCS) expect(existsSync(join(ROOT, d.file)), d.file).toBe(true);
    expect(JSON.parse(read('package.json')).files).toContain('docs');
  });

  it('no user-facing text cites the design notes', () => {
    const texts: Array<[string, string]> = [
      ...markdown.map((f) => [f, read(f)] as [string, string]),
      ...readdirSync(join(ROOT, 'rules')).map((f) => [`rules/${f}`, read(`rules/${f}`)] as [string, string]),
      ...ALL_REWRITERS.map((r) => [`rewriter ${r.id}`, JSON.stringify([r.title, r.description, r.samples])] as [string, string]),
      ...CHECK_RULES.map((c) => [`check ${c.id}`, JSON.stringify(c)] as [string, string]),
      ['port-db rules', renderRules(loadRulePack(), 'text', { cwd: ROOT })],
    ];
    for (const [name, text] of texts) expect(PRIVATE.exec(text)?.[0], name).toBeUndefined();
  });

  it('nor does --help', async () => {
    for (const [argv, text] of Object.entries(await helpOutputs())) expect(PRIVATE.exec(text)?.[0], argv).toBeUndefined();
  });

  it('every relative link of the README and docs/ leads to a file', () => {
    for (const f of markdown) {
      for (const [, target] of read(f).matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)) {
        if (/^[a-z]+:/.test(target)) continue;
        expect(existsSync(join(ROOT, dirname(f), target)), `${f} → ${target}`).toBe(true);
      }
    }
  });

  it('the README and `port-db rules` link them', () => {
    const readme = read('README.md');
    for (const d of DOCS) expect(readme).toContain(`](${d.file})`);
    const text = renderRules(loadRulePack(), 'text', { cwd: ROOT });
    for (const d of DOCS) expect(text).toContain(d.file);
    const md = renderRules(loadRulePack(), 'md');
    for (const d of DOCS.filter((x) => x.file !== 'docs/RULES.md')) expect(md).toContain(`](${d.file.slice('docs/'.length)})`);
  });

  it('TARGET.md says where rome-orm comes from', () => {
    const target = read('docs/TARGET.md');
    expect(target).toContain('port-db/rome-memory');
    expect(target).toMatch(/issue 19/);
    expect(read('docs/REPORT.md')).toMatch(/lockFindings[\s\S]*equivalence/);
  });
});
