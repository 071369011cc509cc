import { join } from 'node:path';
import type { ChalkInstance } from 'chalk';
import type { PortResult } from './result.js';
import type { VerifyResult } from '../verify/index.js';
import { lockFindingsOf, type FormattingReport, type PortReport } from './model.js';

/** A ported module's lines: its units by status, its changes by kind, its type check. */
function moduleLines(
  c: ChalkInstance,
  unit: string,
  units: number,
  s: { unchanged: number; ported: number; manual: number; manualItems: number; byKind: Record<string, number> },
  v: VerifyResult | undefined,
  f: FormattingReport | undefined,
  locks?: { count: number; byKind: string },
): string[] {
  const lines = [`    ${unit} ${units} · unchanged ${s.unchanged} · ported ${c.green(String(s.ported))} · manual ${s.manual ? c.yellow(String(s.manual)) : '0'} (${s.manualItems} manual item${s.manualItems === 1 ? '' : 's'})`];
  const kinds = Object.entries(s.byKind).map(([k, n]) => `${k} ${n}`).join(', ');
  if (kinds) lines.push(`    changes: ${kinds}`);
  if (v && !v.checked) lines.push(c.yellow(`    type check: not run (${v.reason})`));
  else if (v) lines.push(`    type check: ${v.newDiagnostics ? c.red(`${v.newDiagnostics} new diagnostic${v.newDiagnostics === 1 ? '' : 's'}`) : c.green('0 new diagnostics')}${v.manualDiagnostics ? `, ${v.manualDiagnostics} in manual items${v.pinned ? ` (${v.pinned} pinned)` : ''}` : ''}`);
  if (v?.note) lines.push(c.yellow(`    type check note: ${v.note}`));
  if (locks) lines.push(`    lock paths: ${locks.count ? c.yellow(`${locks.count} finding${locks.count === 1 ? '' : 's'} (${locks.byKind})`) : c.green('0 findings')}`);
  if (f) lines.push(c.yellow(`    formatting: ${formattingNote(f)}`));
  return lines;
}

/** The lock-path findings of a report by kind (`held-across-call 1`); undefined when the check did not run. */
function lockCounts(report: PortReport): { count: number; byKind: string } | undefined {
  if (report.summary.lockFindings === undefined) return undefined;
  const byKind = new Map<string, number>();
  for (const l of lockFindingsOf(report)) byKind.set(l.kind, (byKind.get(l.kind) ?? 0) + 1);
  return { count: report.summary.lockFindings, byKind: [...byKind].sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, n]) => `${k} ${n}`).join(', ') };
}

/** What the project's formatter left as port-db wrote it (the port is complete either way). */
function formattingNote(f: FormattingReport): string {
  const n = f.failed.filter((x) => x.outputLine !== undefined).length;
  const what = n ? `${n} statement${n === 1 ? '' : 's'} kept as port-db wrote ${n === 1 ? 'it' : 'them'}` : 'not formatted';
  return `${what} (${f.failed[0].message})`;
}

/** Whether a run leaves a module's files as they are on disk: each output already holds what the port writes. */
function isUpToDate(m: PortResult['modules'][number]): boolean {
  const same = (f: { content: string; previous?: string; hold?: boolean }) => f.hold === true || f.previous === f.content;
  return m.files.every(same) && m.state.every(same) && m.wiring.every(same) && m.remove.length === 0;
}

/** The one-screen summary printed after a port. Pure. */
export function renderSummary(result: PortResult, c: ChalkInstance): string {
  const lines: string[] = [];
  const n = result.modules.length;
  const modules = (k: number) => `${k} module${k === 1 ? '' : 's'}`;
  const fresh = result.modules.filter(isUpToDate).length;
  const headline =
    fresh === n
      ? `${result.written ? 'up to date' : 'up to date (dry run)'}: ${modules(n)}, nothing ${result.written ? 'changed' : 'would change'}`
      : `${result.written ? 'ported' : 'would port (dry run, nothing written)'} ${modules(n - fresh)}${fresh ? `, ${fresh} up to date` : ''}`;
  lines.push(c.bold(`port-db: ${headline} (rules: ${result.rules.name})`));
  for (const m of result.modules) {
    const s = m.report.summary;
    const [api, md] = m.files;
    // with --out the outputs are elsewhere than the sources: say where, in full
    const where = (display: string) => (result.outDir !== undefined ? join(result.outDir, display) : display);
    lines.push(`  ${m.sourceDisplay} → ${where(api.display)}${isUpToDate(m) ? ' (up to date)' : ''}`);
    lines.push(...moduleLines(c, 'functions', s.functions, s, m.report.verify, m.report.formatting, lockCounts(m.report)));
    const models = m.report.models;
    const modelsFile = m.files.find((f) => f.from);
    if (models && modelsFile) {
      const ms = models.summary;
      lines.push(`  ${models.source} → ${where(modelsFile.display)}`);
      lines.push(...moduleLines(c, 'classes', ms.classes, ms, models.verify, models.formatting));
    }
    const w = m.report.wiring;
    if (w) {
      const where = w.changes.map((ch) => `${ch.file}:${ch.line}`).filter((x, i, all) => all.indexOf(x) === i).join(', ');
      const text: Record<typeof w.status, string> = {
        applied: c.green(`discovery backend wired (${where})`),
        proposed: m.wiring.length > 0 ? `would wire the discovery backend (${where})` : `discovery backend not wired yet: ${c.bold('--wire')} changes ${where}`,
        wired: c.green('discovery backend wired'),
        manual: c.yellow('discovery backend: dispatcher found, change it by hand (see the report)'),
        'not-found': c.yellow('discovery backend: no dispatcher found, see the report for the change to make'),
      };
      lines.push(`    backend: ${text[w.status]}${w.todo && w.status !== 'manual' && w.status !== 'not-found' ? c.yellow(' (and see the report: one step left by hand)') : ''}`);
    }
    lines.push(`    report: ${where(md.display)}${result.written ? '' : ' (not written)'}`);
  }
  const manual = result.modules.reduce((n, m) => n + m.report.summary.manualItems + (m.report.models?.summary.manualItems ?? 0), 0);
  if (manual > 0) lines.push(c.yellow(`${manual} manual item${manual === 1 ? '' : 's'} to review: see the reports, or run \`port-db check\` on the output.`));
  return lines.join('\n') + '\n';
}

/**
 * Why `port --strict` fails, one entry per module and cause (manual items, new type errors,
 * lock-path findings); empty when it passes.
 */
export function strictReasons(result: PortResult): string[] {
  const out: string[] = [];
  const n = (k: number, one: string, many = `${one}s`) => `${k} ${k === 1 ? one : many}`;
  for (const m of result.modules) {
    const r = m.report;
    const manual = r.summary.manualItems + (r.models?.summary.manualItems ?? 0);
    const errors = (r.verify?.newDiagnostics ?? 0) + (r.models?.verify?.newDiagnostics ?? 0);
    const locks = r.summary.lockFindings ?? 0;
    const causes = [manual && n(manual, 'manual item'), errors && n(errors, 'new type error'), locks && n(locks, 'lock-path finding')].filter(Boolean);
    if (causes.length) out.push(`${m.sourceDisplay}: ${causes.join(', ')}`);
  }
  return out;
}

