import { isPinLine } from '../verify/pins.js';
import { basename, dirname } from 'node:path';
import ts from '../ts.cjs';
import { analyzeModule, type FunctionUnit, type ModuleFacts } from '../analyzer/module.js';
import { catalogOf, readModels, type ModelCatalog } from '../analyzer/models.js';
import { applyEdits, lineIndex, wholeLines } from '../analyzer/edits.js';
import { firstLine, formatWritten, type FormatCode, type FormattedOutput } from '../format.js';
import { indentAt, parseModule } from '../analyzer/parse.js';
import type { RulePack } from '../rules.js';
import { HELPERS, type HelperNames } from '../rewriters/helpers.js';
import { importedHelpers } from '../rewriters/session.js';
import { REWRITERS } from '../rewriters/index.js';
import type { ChangeRecord, Edit, ManualItem, Need, RewriteContext, Rewriter } from '../rewriters/types.js';
import type { FunctionReport, PortReport, ReportChange, ReportManual } from '../report/model.js';
import { VERSION } from '../version.js';

export interface PortModuleInput {
  /** Absolute paths: where the module is read from and where its port will live. */
  sourcePath: string;
  outputPath: string;
  text: string;
  rules: RulePack;
  /** Paths as the report shows them (relative to the root given on the command line). */
  displaySource: string;
  displayOutput: string;
  /** The sibling models module, when there is one (its unique keys drive create-lock). */
  /** `display`: the path reports show (relative to the root); the absolute path never reaches the output. */
  models?: { path: string; text: string; display?: string; catalog?: ModelCatalog };
  /** The models module is ported beside the output (db/discovery/models.ts): imports of it are kept. */
  modelsPorted?: boolean;
  /**
   * The project's formatter for the output, asked for only when the port writes code (it may load
   * prettier); undefined from it, or no `format`: the code stays as port-db writes it.
   */
  format?: () => FormatCode | undefined;
}

/** Which rewriters run, and which units the report attributes changes to (default: the api pipeline, functions). */
export interface Pipeline {
  rewriters: Rewriter[];
  units?: (facts: ModuleFacts) => FunctionUnit[];
}

export interface PortModuleResult {
  output: string;
  report: PortReport;
  /** The models catalog the port used (so a run reads a models module once). */
  catalog?: ModelCatalog;
}

export const MANUAL_MARK = '// port-db: manual';

/** Ports one module in memory: parse once, run the rewriters, apply all edits once. Pure. */
export function portModule(input: PortModuleInput, pipeline: Pipeline = { rewriters: REWRITERS }): PortModuleResult {
  const sf = parseModule(input.displaySource, input.text);
  // the models port is its own catalog: read from the tree just parsed, not parsed again
  const models = input.models?.path === input.sourcePath ? { catalog: catalogOf(sf) } : readCatalog(input.models);
  const analyzed = analyzeModule(sf, input.rules, models);
  const facts = pipeline.units ? { ...analyzed, units: pipeline.units(analyzed) } : analyzed;
  const ctx: RewriteContext = { deleted: [], manual: [], needs: [], sourceDir: dirname(input.sourcePath), outputDir: dirname(input.outputPath) };
  if (input.models && input.modelsPorted) ctx.portedModels = input.models.path.replace(/\.[cm]?tsx?$/, '');
  let edits: Edit[] = [];
  let changes: ChangeRecord[] = [];
  let manual: ManualItem[] = [];

  for (const rewriter of pipeline.rewriters) {
    if (rewriter.id === 'import') {
      // code kept for a human stays verbatim: drop what earlier rewriters changed inside it
      manual = mergeManual(sf, manual);
      const isKept = keptTest(manual.map((m) => [m.node.getStart(sf), m.node.end]));
      const kept = (e: Edit) => !e.independent && isKept(e.start, e.end);
      // a re-indentation (soft) given up inside kept code breaks nothing
      const broken = new Set(edits.filter((e) => e.group && !e.soft && kept(e)).map((e) => e.group));
      // a split the kept code stopped is work left for the reviewer: the marker says which
      for (const c of changes) {
        if (!c.edit?.group || !broken.has(c.edit.group) || c.edit.end !== c.edit.start || c.edit.text !== '') continue;
        const host = manual.find((m) => c.pos >= m.node.getStart(sf) && c.pos < m.node.end);
        if (host) host.reason += `; not applied inside this kept code, do it by hand: ${c.kind} (${c.detail})`;
      }
      edits = edits.filter((e) => !kept(e) && !(e.group && broken.has(e.group)));
      const survived = new Set(edits);
      // a reference inside kept code is not deleted after all: the import rewriter must keep its name
      const independentDeletions = new Set(edits.filter((e) => e.independent && e.text === '').map((e) => `${e.start}:${e.end}`));
      ctx.deleted = ctx.deleted.filter(([start, end]) => !isKept(start, end) || independentDeletions.has(`${start}:${end}`));
      changes = changes.filter(
        (c) => !(c.edit ? kept(c.edit) || (c.edit.group && !survived.has(c.edit)) : false) && !(c.pos > 0 && !c.edit && isKept(c.pos, c.pos)),
      );
      ctx.manual = manual;
      ctx.needs = neededHelpers(edits, ctx.needs);
    }
    const result = rewriter.rewrite(facts, ctx);
    edits.push(...result.edits);
    changes.push(...result.changes);
    manual.push(...result.manual);
    ctx.needs.push(...result.needs);
    ctx.manual = manual;
    for (const e of result.edits) if (e.text === '' && e.end > e.start && !e.moved) ctx.deleted.push([e.start, e.end]);
  }
  manual = mergeManual(sf, manual);

  const helperEdit = helpersEdit(facts, ctx.needs);
  edits.push(...markerEdits(facts, manual, helperEdit ? [...edits, helperEdit] : edits));
  if (helperEdit) {
    edits.push(helperEdit);
    // the re-emitted helpers are where the session and query-helper records point in the output
    for (const c of changes) if (!c.edit && (c.kind === 'session' || c.kind === 'query')) c.edit = helperEdit;
  }

  const applied = applyEdits(input.text, edits);
  const formatted = edits.length > 0 && input.format ? formatOutput(facts, applied.output, input.format) : undefined;
  const output = formatted?.output ?? applied.output;
  // the report's positions are found in the text as edited, then followed through the formatting
  const place = (pos: number) => (formatted ? formatted.mapOffset(Math.min(pos, applied.output.length)) : Math.min(pos, output.length));
  const report = buildReport(input, facts, output, applied.offsets, applied.mapOffset, place, changes, manual, edits);
  if (formatted?.failures.length) report.formatting = { failed: formatted.failures };
  return { output, report, catalog: facts.models };
}

/** The written code in the project's style; a formatter that cannot be had leaves it all as written. */
function formatOutput(facts: ModuleFacts, output: string, get: () => FormatCode | undefined): FormattedOutput | undefined {
  let format: FormatCode | undefined;
  try {
    format = get();
  } catch (e) {
    return { output, mapOffset: (pos) => pos, failures: [{ message: `prettier or its config for this file could not be loaded: ${firstLine(e)}` }] };
  }
  return format && formatWritten(facts.sf, output, facts.eol, format);
}

/** The models catalog; a models module that cannot be read does not stop the port (creates get flagged). */
function readCatalog(models: PortModuleInput['models']): { catalog?: ModelCatalog; error?: string } {
  if (!models) return { error: 'no models.ts beside the module' };
  try {
    return { catalog: models.catalog ?? readModels(models.display ?? basename(models.path), models.text) };
  } catch (e) {
    return { error: (e as Error).message.split('\n')[0] };
  }
}

/** Keeps only needs whose edit survived (a construct inside manual code needs no helper, nor an import). */
function neededHelpers(edits: Edit[], needs: Need[]): Need[] {
  const kept = new Set(edits);
  return needs.filter((n) => !n.edit || kept.has(n.edit));
}

/** One item per statement (reasons joined); statements inside another manual statement fold into it. */
function mergeManual(sf: ts.SourceFile, items: ManualItem[]): ManualItem[] {
  const byNode = new Map<ts.Node, ManualItem>();
  for (const item of items) {
    const have = byNode.get(item.node);
    if (!have) byNode.set(item.node, { ...item });
    else if (!have.reason.split('; ').includes(item.reason)) have.reason += `; ${item.reason}`;
  }
  const startOf = new Map<ManualItem, number>();
  for (const item of byNode.values()) startOf.set(item, item.node.getStart(sf));
  const list = [...byNode.values()].sort((a, b) => startOf.get(a)! - startOf.get(b)!);
  const out: ManualItem[] = [];
  // Items come by start, so an item kept earlier that ends before this one starts can hold
  // no later item either: search only the kept items still open (nested nodes: a few), in
  // the order they were kept, as a search of every kept item would (it was quadratic).
  let open: ManualItem[] = [];
  for (const item of list) {
    const start = startOf.get(item)!;
    open = open.filter((o) => o.node.end >= start);
    const outer = open.find((o) => start >= startOf.get(o)! && item.node.end <= o.node.end);
    if (outer) {
      for (const r of item.reason.split('; ')) if (!outer.reason.split('; ').includes(r)) outer.reason += `; ${r}`;
    } else {
      out.push(item);
      open.push(item);
    }
  }
  return out;
}

/**
 * Whether [s, e) lies inside one of the ranges (an insertion at a range's start does not):
 * a binary search over the ranges by start with the furthest end so far, not a scan per edit.
 */
function keptTest(ranges: [number, number][]): (s: number, e: number) => boolean {
  const sorted = [...ranges].sort((x, y) => x[0] - y[0]);
  const starts = sorted.map((r) => r[0]);
  const maxEnd: number[] = [];
  for (const [, b] of sorted) maxEnd.push(Math.max(b, maxEnd.length ? maxEnd[maxEnd.length - 1] : -1));
  return (s, e) => {
    // ranges with start <= s (start < s for an insertion), then the furthest end among them
    let lo = 0;
    let hi = starts.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (starts[mid] < s || (starts[mid] === s && e > s)) lo = mid + 1;
      else hi = mid;
    }
    return lo > 0 && maxEnd[lo - 1] >= e;
  };
}

/** The line just above `pos` already carries a manual marker (porting a port changes nothing). */
function hasMarker(text: string, pos: number): boolean {
  const lineStart = text.lastIndexOf('\n', pos - 1) + 1;
  if (text.slice(lineStart, pos).trim() !== '') return false;
  // a pin (`// @ts-expect-error port-db: manual`) may sit between the marker and its statement
  let prevEnd = lineStart - 1;
  for (;;) {
    const prevStart = text.lastIndexOf('\n', prevEnd - 1) + 1;
    const prev = text.slice(prevStart, prevEnd);
    if (prevEnd <= 0 || !isPinLine(prev)) return prev.trim().startsWith(MANUAL_MARK);
    prevEnd = prevStart - 1;
  }
}

function markerEdits(facts: ModuleFacts, manual: ManualItem[], others: Edit[]): Edit[] {
  const edits: Edit[] = [];
  for (const item of manual) {
    const at = item.node.getStart(facts.sf);
    if (hasMarker(facts.text, at)) continue;
    const before = facts.text.slice(facts.text.lastIndexOf('\n', at - 1) + 1, at);
    // a statement right after a `{` on its line moves one level in when it gets a line of its own
    const lineIndent = indentAt(facts.text, at);
    const indent = before.trimEnd().endsWith('{') ? lineIndent + (lineIndent.includes('\t') ? '\t' : '  ') : lineIndent;
    const text = `${MANUAL_MARK} ${item.reason.replace(/\r?\n/g, ' ')}${facts.eol}${indent}`;
    if (before.trim() === '') {
      edits.push({ start: at, end: at, text });
      continue;
    }
    // a statement that shares its line with code before it (`f() { stmt`) moves to a line of its
    // own under its marker: a marker left at the end of that line would not be found again. The
    // marker takes the place of the blanks before the statement, unless another edit touches them
    // (a ROME import inserted before a kept import): then it is inserted, after that edit's text
    const blanks = before.length - before.trimEnd().length;
    const from = others.some((e) => e.start <= at && e.end >= at - blanks) ? at : at - blanks;
    edits.push({ start: from, end: at, text: `${facts.eol}${indent}${text}` });
  }
  return edits;
}

/** The generated helpers, after the last import, each once. */
function helpersEdit(facts: ModuleFacts, needs: Need[]): Edit | undefined {
  const ids = new Set(needs.filter((n) => n.kind === 'helper').map((n) => (n as { id: string }).id));
  const chosen = HELPERS.filter((h) => ids.has(h.id));
  if (chosen.length === 0) return undefined;
  const names: HelperNames = { session: importedHelpers(facts, 'session'), query: importedHelpers(facts, 'query') };
  const block = chosen.map((h) => h.render(facts, names)).join('\n\n').replace(/\n/g, facts.eol);
  const imports = facts.sf.statements.filter(ts.isImportDeclaration);
  const last = imports[imports.length - 1];
  if (!last) return { start: 0, end: 0, text: block + facts.eol + facts.eol };
  // at the start of the line after the imports: that line may be deleted, this point never is.
  // When code shares the last import's line (or a comment runs on past it), that point is inside
  // another statement: then right after the import, the code that followed on its own line
  const at = wholeLines(facts.text, last.getStart(facts.sf), last.end)[1];
  if (!onlyCommentsUntil(facts.text, last.end, at)) {
    const blanks = /^[ \t]*/.exec(facts.text.slice(last.end))![0].length;
    return { start: last.end, end: last.end + blanks, text: facts.eol + facts.eol + block + facts.eol + facts.eol };
  }
  const lead = at === facts.text.length && !facts.text.endsWith('\n') ? facts.eol : '';
  return { start: at, end: at, text: lead + facts.eol + block + facts.eol };
}

/** Whether [from, to) holds only whitespace and comments that end inside it. */
function onlyCommentsUntil(text: string, from: number, to: number): boolean {
  let p = from;
  for (const c of ts.getTrailingCommentRanges(text, from) ?? []) {
    if (text.slice(p, c.pos).trim() !== '' || c.end > to) return false;
    p = c.end;
  }
  return text.slice(p, to).trim() === '';
}

function buildReport(
  input: PortModuleInput,
  facts: ModuleFacts,
  output: string,
  offsets: Map<Edit, number>,
  mapPos: (pos: number) => number,
  place: (pos: number) => number,
  changes: ChangeRecord[],
  manual: ManualItem[],
  edits: Edit[],
): PortReport {
  const sf = facts.sf;
  const srcLine = lineIndex(input.text);
  const outLine = lineIndex(output);
  const outLineOf = (c: ChangeRecord): number => {
    if (c.edit && offsets.has(c.edit)) {
      const at = offsets.get(c.edit)!;
      const lead = c.edit.text.length - c.edit.text.replace(/^[\r\n]+/, '').length;
      return outLine(place(at + lead));
    }
    return outLine(place(mapPos(c.pos)));
  };
  // units are in source order and disjoint, except the declarations of one statement, which
  // share its range (the first one owns it): binary search instead of a scan per change
  const units = facts.units.map((u, i) => ({ i, start: u.node.getStart(sf), end: u.node.end }));
  const owner = (pos: number): number | undefined => {
    if (pos === 0) return undefined;
    let lo = 0;
    let hi = units.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (units[mid].start <= pos) lo = mid + 1;
      else hi = mid;
    }
    let k = lo - 1;
    while (k > 0 && units[k - 1].start === units[k].start) k--;
    return k >= 0 && pos < units[k].end ? k : undefined;
  };
  const functions: FunctionReport[] = facts.units.map((u) => ({ name: u.name, status: 'unchanged', line: srcLine(u.node.getStart(sf)), changes: [], manual: [] }));
  const module = { changes: [] as ReportChange[], manual: [] as ReportManual[] };

  const ordered = [...changes].sort((a, b) => a.pos - b.pos);
  for (const c of ordered) {
    const rc: ReportChange = { kind: c.kind, line: srcLine(c.pos), outputLine: outLineOf(c), detail: c.detail };
    const o = owner(c.pos);
    (o !== undefined ? functions[o].changes : module.changes).push(rc);
  }
  for (const m of manual) {
    const at = m.node.getStart(sf);
    const rm: ReportManual = { line: srcLine(m.pos), outputLine: outLine(place(mapPos(at))) - 1, reason: m.reason };
    const o = owner(m.pos) ?? owner(at);
    (o !== undefined ? functions[o].manual : module.manual).push(rm);
    const rc: ReportChange = { kind: 'manual', line: rm.line, outputLine: rm.outputLine, detail: m.reason };
    (o !== undefined ? functions[o].changes : module.changes).push(rc);
  }
  const byKind: PortReport['summary']['byKind'] = {};
  for (const f of [...functions, module]) {
    f.changes.sort((a, b) => a.line - b.line || a.outputLine - b.outputLine);
    for (const c of f.changes) byKind[c.kind] = (byKind[c.kind] ?? 0) + 1;
  }
  // a function is ported when its text changed: a record alone (a create of a model without a
  // unique key needs no lock, and says so) leaves a function copied byte for byte `unchanged`.
  // An insertion at a function's very start (a wrapper or helper placed before it) is not in it
  const touched = new Set<number>();
  for (const e of edits) {
    if (e.text === input.text.slice(e.start, e.end)) continue;
    const first = owner(e.start);
    if (first !== undefined && !(e.start === e.end && e.start === units[first].start)) touched.add(first);
    const last = e.end > e.start ? owner(e.end - 1) : undefined;
    if (last !== undefined) for (let k = first ?? last; k <= last; k++) touched.add(k);
  }
  for (const [i, f] of functions.entries()) f.status = f.manual.length ? 'manual' : f.changes.length && touched.has(i) ? 'ported' : 'unchanged';
  const count = (s: string) => functions.filter((f) => f.status === s).length;
  const sortedKinds = Object.fromEntries(Object.entries(byKind).sort(([a], [b]) => a.localeCompare(b)));
  return {
    tool: 'port-db',
    version: VERSION,
    rules: input.rules.name,
    source: input.displaySource,
    output: input.displayOutput,
    module,
    summary: {
      functions: functions.length,
      unchanged: count('unchanged'),
      ported: count('ported'),
      manual: count('manual'),
      manualItems: manual.length,
      byKind: sortedKinds,
    },
    functions,
  };
}
