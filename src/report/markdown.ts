import { posix } from 'node:path';
import type { WiringReport } from './model.js';
import { lockFindingsOf, type FormattingReport, type ModelsReport, type PortReport } from './model.js';

const KIND_TITLES: Record<string, string> = {
  session: 'session factory',
  query: 'query',
  'create-lock': 'create lock',
  'row-lock': 'row lock',
  'session-add': 'session.add',
  transaction: 'transaction',
  import: 'import',
  'loader-option': 'loader option',
  models: 'models',
  manual: 'manual',
};

const esc = (s: string) => s.replace(/\|/g, '\\|');

type Link = (line: number) => string;
type Change = { kind: string; line: number; outputLine: number; detail: string };
type Item = { line: number; outputLine: number; reason: string };

/** The two summary tables: units (functions or classes) by status, then changes by kind. */
function summaryTables(unit: string, s: { unchanged: number; ported: number; manual: number; manualItems: number; byKind: Record<string, number> }, units: number): string[] {
  const out = [`| ${unit} | unchanged | ported | manual | manual items |`, '| ---: | ---: | ---: | ---: | ---: |'];
  out.push(`| ${units} | ${s.unchanged} | ${s.ported} | ${s.manual} | ${s.manualItems} |`, '');
  out.push('| change | count |', '| --- | ---: |');
  for (const [kind, n] of Object.entries(s.byKind)) out.push(`| \`${kind}\` (${KIND_TITLES[kind] ?? kind}) | ${n} |`);
  out.push('');
  return out;
}

/** The manual items as a table: where (port line, source line), the unit they are in, why. */
function manualTable(unit: string, items: (Item & { owner: string })[], link: Link): string[] {
  const out = [`| where | ${unit} | reason |`, '| --- | --- | --- |'];
  for (const m of items) out.push(`| ${link(m.outputLine)} (source ${m.line}) | \`${m.owner}\` | ${esc(m.reason)} |`);
  out.push('');
  return out;
}

/** One bullet per change record, then a blank line. */
function changeList(changes: Change[], link: Link): string[] {
  return [...changes.map((c) => `- \`${c.kind}\` (line ${c.line} → ${link(c.outputLine)}): ${c.detail}`), ''];
}

/** The new diagnostics of a type check as a table (nothing when there are none). */
function diagnosticsTable(items: { line: number; code: number; manual: boolean; message: string }[], link: Link): string[] {
  if (items.length === 0) return [];
  const out = ['| line | code | manual | message |', '| ---: | --- | --- | --- |'];
  for (const d of items) out.push(`| ${link(d.line)} | TS${d.code} | ${d.manual ? 'yes' : 'no'} | ${esc(d.message.replace(/\r?\n\s*/g, ' '))} |`);
  out.push('');
  return out;
}

/** PORT-REPORT.md: the report for people (DESIGN §5). Pure; deterministic. */
export function renderMarkdown(report: PortReport): string {
  const out: string[] = [];
  const link = (line: number) => `[${line}](${posix.basename(report.output)}#L${line})`;
  const s = report.summary;
  out.push(`# Port report: ${report.source}`, '');
  out.push(`\`${report.source}\` → \`${report.output}\` by port-db ${report.version} (rules: ${report.rules}).`, '');
  out.push(...summaryTables('functions', s, s.functions));
  const manualItems = [...report.module.manual.map((m) => ({ owner: '(module)', ...m })), ...report.functions.flatMap((f) => f.manual.map((m) => ({ owner: f.name, ...m })))];
  if (manualItems.length > 0) {
    out.push('## Manual items', '', 'Kept verbatim and marked `// port-db: manual` in the port; `port-db check` lists them until they are resolved.', '');
    out.push(...manualTable('function', manualItems, link));
  }
  if (report.module.changes.length > 0) out.push('## Module', '', ...changeList(report.module.changes, link));
  const changed = report.functions.filter((f) => f.status !== 'unchanged');
  if (changed.length > 0) {
    out.push('## Functions', '');
    for (const f of changed) out.push(`### ${f.name} — ${f.status}`, '', ...changeList(f.changes, link));
  }
  const v = report.verify;
  if (v) {
    out.push('## Type check', '');
    if (!v.checked) out.push(`Not checked: ${v.reason}.`, '');
    else {
      out.push(
        `${v.diagnostics} diagnostic${v.diagnostics === 1 ? '' : 's'} in the port; ${v.newDiagnostics} new in code port-db wrote, ` +
          `${v.manualDiagnostics} in manual items (the source module compiled without them)` +
          (v.pinned ? `, ${v.pinned} of them pinned with \`// @ts-expect-error port-db: manual\` so that the port compiles.` : '.'),
        '',
      );
      if (v.note) out.push(`Note: ${v.note}.`, '');
      out.push(...diagnosticsTable(v.items, link));
    }
  }
  if (s.lockFindings !== undefined) out.push(...lockSection(report, link));
  if (report.formatting) out.push('## Formatting', '', ...formattingList(report.formatting, link));
  const unchanged = report.functions.filter((f) => f.status === 'unchanged');
  if (unchanged.length > 0) {
    out.push('## Unchanged', '', 'Copied byte for byte: ' + unchanged.map((f) => `\`${f.name}\``).join(', ') + '.', '');
    // a function copied as it is may still say why nothing was needed (a create without a unique key)
    for (const f of unchanged.filter((x) => x.changes.length > 0)) out.push(`- \`${f.name}\`: ${f.changes.map((c) => `\`${c.kind}\` (line ${c.line}): ${c.detail}`).join('; ')}`);
    if (unchanged.some((x) => x.changes.length > 0)) out.push('');
  }
  if (report.models) out.push(...renderModels(report.models));
  if (report.wiring) out.push(...renderWiring(report.wiring));
  return out.join('\n');
}

/** The lock-path check: one row per finding, by function. */
function lockSection(report: PortReport, link: Link): string[] {
  const out = ['## Lock paths', ''];
  out.push(
    'Every `acquire_lock` of the port as written (hand edits included) must be released on every way out of its function, ' +
      'two locks must not be taken nested in both orders, and no lock should be held across a call of a module function that takes one.',
    '',
  );
  const rows = lockFindingsOf(report);
  if (rows.length === 0) return [...out, 'No findings.', ''];
  out.push('| where | function | finding | detail |', '| --- | --- | --- | --- |');
  for (const r of rows) out.push(`| ${link(r.outputLine)} | \`${r.owner}\`${r.function ? ` (in \`${r.function}\`)` : ''} | \`${r.kind}\` | ${esc(r.detail)} |`);
  return [...out, ''];
}

const WIRING_STATUS: Record<WiringReport['status'], string> = {
  applied: 'applied by this run (`--wire`)',
  proposed: 'not applied; `port-db port --wire` makes the changes below',
  wired: 'the service already has the discovery backend and selects it',
  manual: 'the dispatcher was found, but port-db cannot change it: see what to do by hand',
  'not-found': 'no backend dispatcher found: see what to do by hand',
};

/** The backend wiring section: what selects the backend, the changes as a diff, how to switch back. */
function renderWiring(w: WiringReport): string[] {
  const out = ['## Backend wiring', ''];
  out.push(`Status: **${w.status}** — ${WIRING_STATUS[w.status]}.`, '');
  if (w.dispatcher) {
    const what = w.dispatcher.kind === 'mapping' ? `the backend mapping \`${w.dispatcher.name}\`` : `the setting \`${w.dispatcher.name}\``;
    out.push(`The service selects its data-access backend with ${what} (${w.dispatcher.file}:${w.dispatcher.line}).`, '');
  }
  for (const c of w.changes) {
    out.push(`- ${c.file}:${c.line}: ${c.detail}`, '', '  ```diff');
    for (const l of c.before.split('\n')) out.push(`  -${l}`);
    for (const l of c.after.split('\n')) out.push(`  +${l}`);
    out.push('  ```', '');
  }
  if (w.todo) out.push(`To do by hand: ${w.todo}.`, '');
  if (w.switchBack && w.status !== 'not-found') out.push(`The SQL backend stays registered; to switch back, ${w.switchBack}.`, '');
  return out;
}

/** The models section: the port of models.ts, class by class. */
function renderModels(m: ModelsReport): string[] {
  const out: string[] = [];
  out.push('## Models', '');
  const link = (line: number) => `[${line}](${posix.basename(m.output)}#L${line})`;
  const s = m.summary;
  out.push(`\`${m.source}\` → \`${m.output}\`: the models become ROME entities; the port above imports them.`, '');
  out.push(...summaryTables('classes', s, s.classes));
  const manualItems = [...m.module.manual.map((x) => ({ owner: '(module)', ...x })), ...m.classes.flatMap((c) => c.manual.map((x) => ({ owner: c.name, ...x })))];
  if (manualItems.length > 0) out.push('### Manual items in the models', '', ...manualTable('class', manualItems, link));
  if (m.module.changes.length > 0) out.push('### Models module', '', ...changeList(m.module.changes, link));
  for (const cls of m.classes.filter((c) => c.status !== 'unchanged')) out.push(`### ${cls.name} — ${cls.status}`, '', ...changeList(cls.changes, link));
  const v = m.verify;
  if (v) {
    if (!v.checked) out.push(`Type check of the models: not checked: ${v.reason}.`, '');
    else {
      out.push(`Type check of the models: ${v.diagnostics} diagnostic${v.diagnostics === 1 ? '' : 's'}; ${v.newDiagnostics} new in code port-db wrote, ${v.manualDiagnostics} in manual items.`, '');
      out.push(...diagnosticsTable(v.items, link));
    }
  }
  if (m.formatting) out.push('Formatting of the models:', '', ...formattingList(m.formatting, link));
  const unchanged = m.classes.filter((c) => c.status === 'unchanged');
  if (unchanged.length > 0) out.push('Classes copied byte for byte: ' + unchanged.map((c) => `\`${c.name}\``).join(', ') + '.', '');
  return out;
}

/** Code the project's prettier did not format: kept as port-db wrote it, with prettier's reason. */
function formattingList(f: FormattingReport, link: (line: number) => string): string[] {
  const out = ["The project's prettier did not format this code port-db wrote; it is kept as written (the port is complete):", ''];
  for (const x of f.failed) out.push(`- ${x.outputLine !== undefined ? `line ${link(x.outputLine)}: ` : ''}${x.message}`);
  return [...out, ''];
}

/** port-report.json text: stable key order, two-space indent, final newline. */
export function renderJson(report: PortReport): string {
  return JSON.stringify(report, null, 2) + '\n';
}
