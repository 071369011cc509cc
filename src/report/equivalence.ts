// How `port-db equiv` shows its result: one line per scenario (✓ equivalent, ✗ diverged,
// ~ accepted or order-dependent, - skipped), each divergence with its differences and the command
// that replays it, then coverage and a summary. The markdown is the section PORT-REPORT.md gets.
import type { ChalkInstance } from 'chalk';
import type { ConcurrencyRun, Difference, EquivalenceResult, ModuleEquivalence, Plain, ScenarioResult, Verdict } from './equivalence-model.js';

const MARK: Record<Verdict, string> = { equivalent: '✓', diverged: '✗', accepted: '~', 'order-dependent': '~', skipped: '-' };

const show = (v: Plain | undefined) => (v === undefined ? '(nothing)' : JSON.stringify(v));

function differenceLine(d: Difference): string {
  if (!('sql' in d) && !('rome' in d)) return d.path;
  return `${d.path}: SQL ${show(d.sql)}, ROME ${show(d.rome)}`;
}

export function renderEquivalenceText(result: EquivalenceResult, c: ChalkInstance): string {
  const out: string[] = [];
  const paint: Record<Verdict, (s: string) => string> = { equivalent: c.green, diverged: c.red, accepted: c.yellow, 'order-dependent': c.yellow, skipped: c.dim };
  for (const m of result.modules) {
    out.push(c.bold(`${m.source} → ${m.port}`));
    if (m.scenarios.length === 0) out.push(c.yellow('  no scenario (write db/equiv/*.equiv.ts, or run with --init for skeletons)'));
    for (const s of m.scenarios) {
      const suffix = s.verdict === 'equivalent' ? '' : ` — ${s.verdict}${s.divergences ? ` (${[...new Set(s.divergences.map((d) => d.kind))].join(', ')})` : ''}${s.reason ? `: ${s.reason}` : ''}`;
      out.push(`  ${paint[s.verdict](MARK[s.verdict])} ${s.name}${paint[s.verdict](suffix)}`);
      if (s.concurrency) out.push(c.dim(`      ${concurrencyLine(s.concurrency)}`));
      if (s.concurrency?.locks === 'weak') out.push(c.yellow(`      weak: with the port's locks off every schedule still gives an outcome SQL allows (the scenario does not exercise its locks)`));
      for (const d of s.divergences ?? []) {
        out.push(`      ${d.kind}${d.call ? ` at ${d.call}` : ' (final tables)'}${d.schedule ? ` in ${scheduleName(d.schedule)} (closest SQL order: ${d.closestOrder})` : ''}:`);
        for (const diff of d.differences) out.push(`        ${differenceLine(diff)}`);
        if (d.messages?.sql) out.push(c.dim(`        SQL said: ${d.messages.sql}`));
        if (d.messages?.rome) out.push(c.dim(`        ROME said: ${d.messages.rome}`));
        if (d.expiredLocks) out.push(c.yellow(`        TTL passed while the holder still worked, and another request took it: ${d.expiredLocks.join(', ')}`));
      }
      if (s.verdict === 'diverged') for (const m of s.manual ?? []) out.push(c.dim(`      note: the port marks ${m.function} for a human: ${m.reasons.join('; ')}`));
      if (s.awaited?.length) out.push(c.dim(`      note: async in the port (callers must await): ${s.awaited.join(', ')}`));
      for (const a of s.accepted ?? []) out.push(c.dim(`      accepted ${a.kind}${a.call ? ` at ${a.call}` : ''}: ${a.reason}`));
      if (s.verdict === 'diverged' || s.verdict === 'order-dependent') out.push(c.dim(`      replay: ${s.replay}`));
    }
    out.push(`  ${coverageLine(m)}`);
    if (m.coverage.missing.length > 0) out.push(c.dim(`    without a scenario: ${m.coverage.missing.join(', ')}`));
    out.push(`  ${summaryLine(m)}`);
  }
  out.push(c.dim(`SQL reference: SQLite, ${result.sqlCollation === 'ci' ? 'case-insensitive text (MySQL\'s default collation)' : 'binary text'}. ${result.note}`));
  return out.join('\n') + '\n';
}

/** A schedule's replay token, or a run on a real store (`run 3`: `--rome`), as a divergence names it. */
function scheduleName(label: string, quote = ''): string {
  return label.startsWith('run ') ? label : `schedule ${quote}${label}${quote}`;
}

/** `2 calls at once: 2 SQL orders; 108 ROME schedules, every one to 2 preemptions (54 random more); 4 outcomes; locks have teeth`. */
export function concurrencyLine(r: ConcurrencyRun): string {
  const calls = r.groups.map((n) => `${n} calls`).join(' then ');
  if (r.replayed !== undefined) return `${calls} at once: ${r.orders} SQL order${r.orders === 1 ? '' : 's'}; ROME schedule ${r.replayed} replayed${r.latencyMs ? `, ${r.latencyMs} ms per store operation` : ''}`;
  const exhaustive = r.exhaustive ? `every one to ${r.preemptions} preemption${r.preemptions === 1 ? '' : 's'}` : `not every one to ${r.preemptions} preemptions (raise --schedules)`;
  const locks = { none: 'no lock taken', teeth: 'locks have teeth', weak: 'locks weak', 'not-checked': 'locks not checked' }[r.locks];
  if (r.repetitions !== undefined) {
    return `${calls} at once: ${r.orders} SQL order${r.orders === 1 ? '' : 's'}; ${r.repetitions} run${r.repetitions === 1 ? '' : 's'} on the real store, each call from a process of its own; ${r.outcomes} distinct outcome${r.outcomes === 1 ? '' : 's'}${r.divergedSchedules ? `, ${r.divergedSchedules} runs not allowed` : ''}; ${locks}`;
  }
  return `${calls} at once: ${r.orders} SQL order${r.orders === 1 ? '' : 's'}; ${r.schedules} ROME schedules, ${exhaustive}${r.random ? ` (${r.random} of them random)` : ''}${r.latencyMs ? `, ${r.latencyMs} ms per store operation` : ''}; ${r.outcomes} distinct outcome${r.outcomes === 1 ? '' : 's'}${r.divergedSchedules ? `, ${r.divergedSchedules} schedules not allowed` : ''}; ${locks}`;
}

function coverageLine(m: ModuleEquivalence): string {
  const { changed, exercised, skippedOnly } = m.coverage;
  if (m.coverage.partial) return `coverage: ${exercised}/${changed} changed functions exercised by the scenarios run (--only: the others were not run)`;
  return `coverage: ${exercised}/${changed} changed functions exercised${skippedOnly.length ? ` (${skippedOnly.length} more only by skipped scenarios)` : ''}`;
}

function summaryLine(m: ModuleEquivalence): string {
  const parts = (Object.entries(m.summary) as Array<[Verdict, number]>).filter(([, n]) => n > 0).map(([v, n]) => `${n} ${v}`);
  return `${m.scenarios.length} scenario${m.scenarios.length === 1 ? '' : 's'}${parts.length ? `: ${parts.join(', ')}` : ''}`;
}

/** The `## Behaviour equivalence` section of PORT-REPORT.md (or the whole `--format md`). */
export function renderEquivalenceMarkdown(result: EquivalenceResult): string {
  const out: string[] = [];
  for (const m of result.modules) {
    out.push(`## Behaviour equivalence: \`${m.source}\` → \`${m.port}\``, '');
    out.push(`${summaryLine(m)}. ${coverageLine(m)}.`, '');
    if (m.scenarios.length > 0) {
      out.push('| | scenario | verdict | calls |', '| --- | --- | --- | --- |');
      for (const s of m.scenarios) out.push(`| ${MARK[s.verdict]} | ${cell(s.name)} | ${verdictCell(s)}${s.concurrency ? `<br>${concurrencyLine(s.concurrency)}` : ''} | ${s.calls.map((f) => `\`${f}\``).join(', ')} |`);
      out.push('');
    }
    for (const s of m.scenarios.filter((s) => s.divergences)) {
      out.push(`### ${s.verdict === 'accepted' ? 'Accepted' : 'Diverged'}: ${s.name}`, '');
      for (const d of s.divergences ?? []) {
        out.push(`- ${d.kind}${d.call ? ` at \`${d.call}\`` : ' (final tables)'}${d.schedule ? ` in ${scheduleName(d.schedule, '`')} (closest SQL order: ${d.closestOrder})` : ''}:`);
        for (const diff of d.differences) out.push(`  - \`${diff.path}\`${'sql' in diff || 'rome' in diff ? `: SQL \`${show(diff.sql)}\`, ROME \`${show(diff.rome)}\`` : ''}`);
        if (d.messages?.sql) out.push(`  - SQL said: ${cell(d.messages.sql)}`);
        if (d.messages?.rome) out.push(`  - ROME said: ${cell(d.messages.rome)}`);
        if (d.expiredLocks) out.push(`  - TTL passed while the holder still worked, and another request took it: ${d.expiredLocks.map((l) => `\`${l}\``).join(', ')}`);
      }
      if (s.verdict === 'diverged') for (const m of s.manual ?? []) out.push(`- note: the port marks \`${m.function}\` for a human: ${cell(m.reasons.join('; '))}`);
      for (const a of s.accepted ?? []) out.push(`- accepted (${a.kind}${a.call ? `, ${a.call}` : ''}): ${a.reason}`);
      if (s.verdict === 'diverged') out.push(`- replay: \`${s.replay}\``);
      out.push('');
    }
    if (m.coverage.missing.length > 0) out.push(`Changed functions without a scenario: ${m.coverage.missing.map((f) => `\`${f}\``).join(', ')}.`, '');
  }
  out.push(`SQL reference: SQLite with ${result.sqlCollation === 'ci' ? 'case-insensitive text (MySQL\'s default collation)' : 'binary text'}.`, '');
  out.push('Normalisation: ' + result.normalisation.map((r) => `\`${r.name}\`${r.enabled ? '' : ' (off)'}`).join(', ') + '.', '');
  out.push(`_${result.note}_`, '');
  return out.join('\n');
}

function verdictCell(s: ScenarioResult): string {
  if (s.verdict === 'diverged' || s.verdict === 'accepted') return `${s.verdict} (${[...new Set(s.divergences!.map((d) => d.kind))].join(', ')})`;
  return s.reason ? `${s.verdict}: ${cell(s.reason)}` : s.verdict;
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}
