import ts from '../ts.cjs';
import type { VerifyItem, VerifyResult } from './index.js';
import { portSyntax } from './syntax.js';

/**
 * A pin: `// @ts-expect-error port-db: manual <reason>` on the line above a type error inside a
 * manual item (the ts-migrate way). The port then compiles (`tsc` reports 0), and the day a
 * person fixes the item the unused pin fails with TS2578: the fix is visible.
 */
export const PIN_MARK = '// @ts-expect-error port-db: manual';

/** A pin's comment at the start of a line: the `//` and its indent, then the directive. */
const PIN_START = String.raw`^([ \t]*\/\/[ \t]*)@(ts-expect-error[ \t]+port-db:[ \t]*manual\b)`;
const PIN_LINE = new RegExp(PIN_START);
const PINS = new RegExp(PIN_START, 'gm');

/** True when the line is a pin. */
export function isPinLine(line: string): boolean {
  return PIN_LINE.test(line);
}

/**
 * The text with every pin made an ordinary comment of the same length (`@` → `_`), so a type
 * check sees the errors the pins silence, on the same lines and offsets.
 */
export function unpinned(text: string): string {
  if (!text.includes('@ts-expect-error')) return text;
  return text.replace(PINS, '$1_$2');
}

export interface Pinned {
  text: string;
  /** 1-based lines of the text given, above which a pin line was inserted (ascending). */
  inserted: number[];
}

/**
 * Pins each line whose new diagnostics are all manual (a line with a diagnostic of code port-db
 * wrote is left visible: a pin would silence both). A line already pinned gets no second pin; a
 * line that starts inside a template literal cannot carry a comment above it and stays unpinned.
 * Marks the items pinned. `reasonOf(line)` is the reason the pin repeats.
 */
export function pinManual(text: string, eol: string, result: VerifyResult, reasonOf: (line: number) => string, sf?: ts.SourceFile): Pinned {
  const byLine = new Map<number, VerifyItem[]>();
  for (const item of result.items) byLine.set(item.line, [...(byLine.get(item.line) ?? []), item]);
  const lines = text.split('\n');
  const inTemplate = templateLines(text, sf);
  const inserted: number[] = [];
  for (const [line, items] of [...byLine].sort((a, b) => a[0] - b[0])) {
    if (!items.every((i) => i.manual)) continue;
    if (line >= 2 && isPinLine(lines[line - 2])) {
      for (const i of items) i.pinned = true;
      continue;
    }
    if (inTemplate.has(line)) continue;
    for (const i of items) i.pinned = true;
    inserted.push(line);
  }
  if (inserted.length === 0) return { text, inserted };
  const out: string[] = [];
  let next = 0;
  for (let i = 0; i < lines.length; i++) {
    if (inserted[next] === i + 1) {
      const indent = /^[ \t]*/.exec(lines[i])![0];
      out.push(`${indent}${PIN_MARK} ${reasonOf(i + 1).replace(/\r?\n/g, ' ')}${eol === '\r\n' ? '\r' : ''}`);
      next++;
    }
    out.push(lines[i]);
  }
  return { text: out.join('\n'), inserted };
}

/** 1-based lines that begin inside a template literal (a comment line there would be text). */
function templateLines(text: string, parsed?: ts.SourceFile): Set<number> {
  const lines = new Set<number>();
  if (!text.includes('`')) return lines;
  const sf = parsed ?? ts.createSourceFile('pins.ts', text, ts.ScriptTarget.Latest, false);
  // only nodes that hold a backtick can hold a template: the rest of the tree is not visited
  const ticks: number[] = [];
  for (let i = text.indexOf('`'); i >= 0; i = text.indexOf('`', i + 1)) ticks.push(i);
  const holdsTick = (n: ts.Node) => {
    let lo = 0;
    let hi = ticks.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (ticks[mid] < n.pos) lo = mid + 1;
      else hi = mid;
    }
    return lo < ticks.length && ticks[lo] < n.end;
  };
  const visit = (n: ts.Node): void => {
    if (!holdsTick(n)) return;
    if (ts.isNoSubstitutionTemplateLiteral(n) || ts.isTemplateExpression(n)) {
      const first = sf.getLineAndCharacterOfPosition(n.getStart(sf)).line;
      const last = sf.getLineAndCharacterOfPosition(n.end).line;
      for (let l = first + 1; l <= last; l++) lines.add(l + 1);
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return lines;
}

/** A line of the text before pins were inserted, as a line of the text after. */
export function shiftedLine(inserted: number[], line: number): number {
  let before = 0;
  while (before < inserted.length && inserted[before] <= line) before++;
  return line + before;
}

/** The parts of a port's report that name output lines. */
interface LinedReport {
  module: { changes: { outputLine: number }[]; manual: { outputLine: number }[] };
  functions?: { changes: { outputLine: number }[]; manual: { outputLine: number }[] }[];
  classes?: { changes: { outputLine: number }[]; manual: { outputLine: number }[] }[];
}

/**
 * Pins the manual diagnostics of a checked port (see pinManual) and moves every output line the
 * report names (changes, manual items, the check's items) to where it is once the pins are in.
 * Answers the pinned text.
 */
export function pinPort(text: string, eol: string, verify: VerifyResult, report: LinedReport): string {
  if (!verify.checked || verify.manualDiagnostics === 0) return text;
  // the port as verify parsed it (the text it checked: no pins yet)
  const { sf, markers } = portSyntax(text);
  const messages = new Map<number, string[]>();
  for (const i of verify.items) messages.set(i.line, [...(messages.get(i.line) ?? []), i.message]);
  const reasonOf = (line: number): string => {
    const at = sf.getPositionOfLineAndCharacter(line - 1, 0);
    const lineEnd = line < sf.getLineStarts().length ? sf.getPositionOfLineAndCharacter(line, 0) : text.length;
    // the innermost marked statement that holds (part of) the line
    const holding = markers.filter((m) => m.start < lineEnd && at < m.end).sort((a, b) => b.start - a.start || a.end - b.end)[0];
    if (!holding) return 'a name kept for manual code';
    // of the marker's reasons, the one that names what the compiler complains about
    const named = holding.reason.split('; ').filter((r) => {
      const names = [...r.matchAll(/`([A-Za-z_$][\w$]*)/g)].map((m) => m[1]);
      return names.some((n) => (messages.get(line) ?? []).some((msg) => msg.includes(`'${n}'`)));
    });
    return named.length > 0 ? named.join('; ') : holding.reason;
  };
  const { text: pinned, inserted } = pinManual(text, eol, verify, reasonOf, sf);
  verify.pinned = verify.items.filter((i) => i.pinned).length;
  if (inserted.length === 0) return pinned;
  const move = (o: { outputLine: number }) => (o.outputLine = shiftedLine(inserted, o.outputLine));
  for (const part of [report.module, ...(report.functions ?? []), ...(report.classes ?? [])]) {
    part.changes.forEach(move);
    part.manual.forEach(move);
  }
  for (const i of verify.items) i.line = shiftedLine(inserted, i.line);
  return pinned;
}
