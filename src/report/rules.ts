import { isAbsolute, relative, resolve } from 'node:path';
import { Chalk } from 'chalk';
import { CHECK_RULES, type CheckRuleMeta } from '../analyzer/check-rules.js';
import { ALL_REWRITERS } from '../rewriters/index.js';
import type { Rewriter } from '../rewriters/types.js';
import { VERSION } from '../version.js';
import { readPackSchema, rulesDir, type RulePack } from '../rules.js';

/** Output formats of `port-db rules`. */
export type RulesFormat = 'text' | 'json' | 'md';
export const RULES_FORMATS: readonly RulesFormat[] = ['text', 'json', 'md'];

/** One setting of the pack: its key path, its value in the pack, and what it means (from the schema). */
export interface PackSetting {
  key: string;
  description: string;
  value: unknown;
}

/** Everything `port-db rules` lists, as plain data (the JSON format prints it as is). */
export interface RulesListing {
  tool: 'port-db';
  version: string;
  pack: { name: string; description?: string; files: string[]; settings: PackSetting[] };
  rewriters: Array<{ id: string; title: string; description: string; samples: Array<{ before: string; after: string }> }>;
  checks: Array<{ id: string; title: string; description: string; help: string; level: string; example: string }>;
  /** The documents that explain the listing, as port-db ships them (`docs/<file>`). */
  docs: Array<{ file: string; about: string }>;
}

/** The documents a user of port-db reads beside this listing (in the package's docs/ folder). */
export const DOCS: ReadonlyArray<{ file: string; about: string }> = [
  { file: 'docs/SOURCE-DIALECT.md', about: 'the SQL code port-db reads: layout, sessions, queries, models, unique keys' },
  { file: 'docs/TARGET.md', about: 'the rome-orm API the port is written against, what ROME does differently, and where rome-orm comes from' },
  { file: 'docs/REPORT.md', about: 'port-report.json and PORT-REPORT.md, field by field, with lock-path findings and the equivalence section' },
  { file: 'docs/RULES.md', about: 'this listing, for the bundled pack' },
];

export interface RulesOptions {
  /** Pack file paths are shown relative to this folder (bundled packs as `rules/<file>`). */
  cwd?: string;
  color?: boolean;
  /** The registries to list; default: every rewriter and every check rule. */
  rewriters?: readonly Rewriter[];
  checks?: readonly CheckRuleMeta[];
}

/** Collects what `port-db rules` lists. Pure. */
export function listRules(pack: RulePack, opts: RulesOptions = {}): RulesListing {
  const cwd = opts.cwd ?? process.cwd();
  return {
    tool: 'port-db',
    version: VERSION,
    pack: {
      name: pack.name,
      ...(pack.description !== undefined ? { description: pack.description } : {}),
      files: (pack.sources ?? []).map((f) => showPackFile(f, cwd)),
      settings: packSettings(pack),
    },
    rewriters: (opts.rewriters ?? ALL_REWRITERS).map((r) => ({ id: r.id, title: r.title, description: r.description, samples: r.samples.map((s) => ({ ...s })) })),
    checks: (opts.checks ?? CHECK_RULES).map((c) => ({ id: c.id, title: c.title, description: c.description, help: c.help, level: c.level, example: c.example })),
    docs: DOCS.map((d) => ({ ...d })),
  };
}

/** Renders the listing of every rewriter and check (and the pack's settings). Pure. */
export function renderRules(pack: RulePack, format: RulesFormat, opts: RulesOptions = {}): string {
  const listing = listRules(pack, opts);
  switch (format) {
    case 'json':
      return `${JSON.stringify(listing, null, 2)}\n`;
    case 'md':
      return renderMarkdown(listing);
    case 'text':
      return renderText(listing, new Chalk({ level: opts.color ? 1 : 0 }), opts.cwd ?? process.cwd());
    default:
      throw new Error(`unknown rules format ${String(format)}`);
  }
}

/** Bundled packs show as `rules/<file>` wherever port-db is installed, so the docs do not depend on the machine. */
function showPackFile(path: string, cwd: string): string {
  const bundled = relative(rulesDir(), path);
  if (!bundled.startsWith('..') && !isAbsolute(bundled)) return `rules/${bundled.split('\\').join('/')}`;
  const rel = relative(cwd, path);
  return rel.startsWith('..') || isAbsolute(rel) ? path : rel.split('\\').join('/');
}

/** The pack's settings in schema order; objects with fixed keys are listed key by key. */
function packSettings(pack: RulePack): PackSetting[] {
  const schema = readPackSchema();
  const values = pack as unknown as Record<string, unknown>;
  const out: PackSetting[] = [];
  for (const [key, prop] of Object.entries(schema.properties ?? {})) {
    if (['$schema', 'extends', 'name', 'description'].includes(key)) continue;
    const value = values[key];
    if (prop.properties) {
      for (const [sub, subProp] of Object.entries(prop.properties)) {
        const subValue = (value as Record<string, unknown> | undefined)?.[sub];
        out.push({ key: `${key}.${sub}`, description: subProp.description ?? '', value: subValue ?? null });
      }
    } else {
      out.push({ key, description: prop.description ?? '', value: value ?? null });
    }
  }
  return out;
}

/** A setting's value in one line; `code` wraps each name. Maps of actions are grouped by action. */
function showValue(value: unknown, code: (s: string) => string): string {
  if (value === null || value === undefined) return 'not set';
  if (Array.isArray(value)) return value.length === 0 ? 'none' : value.map((v) => code(String(v))).join(', ');
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 0) return 'none';
    const actions = new Set(entries.map(([, v]) => v));
    if ([...actions].every((a) => a === 'drop' || a === 'map' || a === 'manual')) {
      return ['map', 'drop', 'manual']
        .filter((a) => actions.has(a))
        .map((a) => `${a}: ${entries.filter(([, v]) => v === a).map(([k]) => code(k)).join(', ')}`)
        .join('; ');
    }
    return entries.map(([k, v]) => `${code(k)} → ${code(String(v))}`).join(', ');
  }
  return code(String(value));
}

/** Where a shipped document is, from `cwd`: `docs/X.md` in port-db's own folder, `node_modules/port-db/docs/X.md` in a project. */
function showDoc(file: string, cwd: string): string {
  const path = resolve(rulesDir(), '..', file);
  const rel = relative(cwd, path);
  return rel.startsWith('..') || isAbsolute(rel) ? path : rel.split('\\').join('/');
}

function renderText(l: RulesListing, c: InstanceType<typeof Chalk>, cwd: string): string {
  const out: string[] = [];
  const indent = (text: string, by: string) => text.replace(/\n$/, '').replace(/^/gm, by);
  out.push(c.bold(`port-db rules (pack ${l.pack.name}${l.pack.files.length ? `: ${l.pack.files.join(' + ')}` : ''})`), '');
  const docWidth = Math.max(...l.docs.map((d) => showDoc(d.file, cwd).length));
  out.push(c.bold('Docs'), ...l.docs.map((d) => `  ${showDoc(d.file, cwd).padEnd(docWidth)}  ${c.dim(d.about)}`), '');
  out.push(c.bold('Rewriters'), c.dim('the changes `port-db port` makes, in the order they run; the id is the change kind in the report'), '');
  for (const r of l.rewriters) {
    out.push(`${c.bold(r.id)}  ${r.title}`, indent(wrap(r.description, 96), '  '));
    for (const s of r.samples) out.push(c.dim('  before:'), indent(s.before, '    '), c.dim('  after:'), indent(s.after, '    '));
    out.push('');
  }
  out.push(c.bold('Checks'), c.dim('what `port-db check` reports, one line per finding: file:line:col  rule-id  message'), '');
  for (const k of l.checks) {
    out.push(`${c.bold(k.id)}  ${k.title}  ${c.dim(`(${k.level})`)}`, indent(wrap(k.description, 96), '  '));
    out.push(indent(wrap(`fix: ${k.help}`, 96), '  '), c.dim('  example:'), indent(k.example, '    '), '');
  }
  out.push(c.bold(`Rule pack ${l.pack.name}`));
  if (l.pack.description) out.push(c.dim(wrap(l.pack.description, 98)));
  const width = Math.max(...l.pack.settings.map((s) => s.key.length));
  const hang = ' '.repeat(width + 4);
  for (const s of l.pack.settings) out.push(`  ${s.key.padEnd(width)}  ${wrap(showValue(s.value, (v) => v), 98 - hang.length).replace(/\n/g, `\n${hang}`)}`);
  return `${out.join('\n')}\n`;
}

function renderMarkdown(l: RulesListing): string {
  const out: string[] = [];
  const code = (s: string) => '`' + s + '`';
  const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  out.push(
    '# port-db rules',
    '',
    '<!-- Generated by `port-db rules --format md` from the rewriter and check registries and the bundled rule pack. Do not edit:',
    '     `UPDATE_FIXTURES=1 npm test` regenerates it (test/rules/docs.test.ts fails when it drifts). -->',
    '',
    'Every change `port-db port` makes (each rewriter records its id as the change `kind` in the report), every finding `port-db check`',
    'reports, and the settings of the rule pack. `port-db rules` prints the same list (`--format text|json|md`; `--rules PACK` for',
    "another pack). The before/after samples run as tests, so they show what port-db does today.",
    '',
    ...l.docs.filter((d) => d.file !== 'docs/RULES.md').map((d) => `- [${d.file.replace(/^docs\//, '')}](${d.file.replace(/^docs\//, '')}): ${d.about}`),
    '',
    '## Rewriters',
    '',
    'In the order the port runs them; `models` runs on the models module (db/sqlalchemy/models.ts), followed by `manual` and `import`.',
    '',
    '| id | title |',
    '| --- | --- |',
    ...l.rewriters.map((r) => `| [${code(r.id)}](#rewriter-${r.id}) | ${cell(r.title)} |`),
    '',
  );
  for (const r of l.rewriters) {
    out.push(`<a id="rewriter-${r.id}"></a>`, '', `### ${code(r.id)}: ${r.title}`, '', r.description, '');
    r.samples.forEach((s, i) => {
      const n = r.samples.length > 1 ? ` ${i + 1}` : '';
      out.push(`Before${n}:`, '', fence(s.before), '', `After${n}:`, '', fence(s.after), '');
    });
  }
  out.push('## Checks', '', '| id | level | title |', '| --- | --- | --- |', ...l.checks.map((k) => `| [${code(k.id)}](#check-${k.id}) | ${k.level} | ${cell(k.title)} |`), '');
  for (const k of l.checks) {
    out.push(`<a id="check-${k.id}"></a>`, '', `### ${code(k.id)}: ${k.title}`, '', `Level: ${k.level}. ${k.description}`, '', `Fix: ${k.help}`, '', 'Reported:', '', fence(k.example), '');
  }
  out.push(`## Rule pack ${code(l.pack.name)}`, '');
  if (l.pack.description) out.push(l.pack.description, '');
  out.push(
    `From ${l.pack.files.map(code).join(' + ') || 'memory'}; the keys are described by ${code('rules/schema.json')}. A pack of your own can start with`,
    '`"extends": "default"` and give only what differs: its arrays are appended to the base pack\'s, its objects merged key by key,',
    'its strings and numbers replace the base pack\'s. Choose it with `--rules PATH`, or with `{ "rules": "PATH" }` in a',
    '`port-db.config.json` (see the README, "Configuration"); the names it holds are those of the source dialect ([SOURCE-DIALECT.md](SOURCE-DIALECT.md)).',
    '',
    '| key | value | meaning |',
    '| --- | --- | --- |',
    ...l.pack.settings.map((s) => `| ${code(s.key)} | ${cell(showValue(s.value, code))} | ${cell(s.description)} |`),
  );
  return `${out.join('\n')}\n`;
}

/** A fenced TypeScript block, with a fence longer than any backtick run in the code. */
function fence(source: string): string {
  const longest = Math.max(2, ...(source.match(/`+/g) ?? []).map((m) => m.length));
  const f = '`'.repeat(longest + 1);
  return `${f}ts\n${source.replace(/\n$/, '')}\n${f}`;
}

/** Wraps prose at `width` columns on spaces. */
function wrap(text: string, width: number): string {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines.join('\n');
}
