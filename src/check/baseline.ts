import { promises as fs } from 'node:fs';
import path from 'node:path';
import { CheckInputError } from './errors.js';
import type { Finding } from '../analyzer/check-types.js';

/**
 * The baseline file: known findings, counted per file, rule and message. Lines are left out on
 * purpose, so that edits elsewhere in a file do not turn known findings into new ones (the same
 * choice as ESLint's bulk suppressions).
 */
export interface Baseline {
  tool: 'port-db';
  kind: 'check-baseline';
  version: 1;
  findings: BaselineEntry[];
}

export interface BaselineEntry {
  file: string;
  rule: string;
  message: string;
  count: number;
}

const key = (f: { file: string; rule: string; message: string }) => `${f.file}\u0000${f.rule}\u0000${f.message}`;

/** Builds the baseline for a set of findings (sorted, so the file is stable under version control). */
export function createBaseline(findings: Finding[]): Baseline {
  const counts = new Map<string, BaselineEntry>();
  for (const f of findings) {
    const k = key(f);
    const entry = counts.get(k);
    if (entry) entry.count++;
    else counts.set(k, { file: f.file, rule: f.rule, message: f.message, count: 1 });
  }
  const entries = [...counts.values()].sort((a, b) => compare(a.file, b.file) || compare(a.rule, b.rule) || compare(a.message, b.message));
  return { tool: 'port-db', kind: 'check-baseline', version: 1, findings: entries };
}

/** Splits findings into new ones and ones the baseline already knows (up to its count per key). */
export function applyBaseline(findings: Finding[], baseline: Baseline): { fresh: Finding[]; known: number } {
  const remaining = new Map(baseline.findings.map((e) => [key(e), e.count]));
  const fresh: Finding[] = [];
  let known = 0;
  for (const f of findings) {
    const k = key(f);
    const left = remaining.get(k) ?? 0;
    if (left > 0) {
      remaining.set(k, left - 1);
      known++;
    } else {
      fresh.push(f);
    }
  }
  return { fresh, known };
}

/** Reads and validates a baseline file; errors name the file and what to do. */
export async function readBaseline(file: string, cwd: string): Promise<Baseline> {
  const abs = path.resolve(cwd, file);
  let text: string;
  try {
    text = await fs.readFile(abs, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new CheckInputError(
      code === 'ENOENT' ? `${file}: baseline file not found` : `${file}: cannot read the baseline file (${code})`,
      `Create it with \`port-db check --write-baseline ${file} <path...>\`.`,
    );
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new CheckInputError(`${file}: the baseline is not valid JSON (${(error as Error).message})`, 'Regenerate it with --write-baseline.');
  }
  const problem = validateBaseline(data);
  if (problem) throw new CheckInputError(`${file}: not a port-db check baseline: ${problem}`, 'Regenerate it with --write-baseline.');
  return data as Baseline;
}

/** Writes the baseline as pretty JSON with a trailing newline. */
export async function writeBaseline(file: string, cwd: string, baseline: Baseline): Promise<void> {
  const abs = path.resolve(cwd, file);
  try {
    await fs.mkdir(path.dirname(abs), { recursive: true });
    await fs.writeFile(abs, `${JSON.stringify(baseline, null, 2)}\n`, 'utf8');
  } catch (error) {
    throw new CheckInputError(`${file}: cannot write the baseline (${(error as NodeJS.ErrnoException).code})`, 'Choose a writable path.');
  }
}

function validateBaseline(data: unknown): string | undefined {
  if (typeof data !== 'object' || data === null) return 'expected an object';
  const b = data as Record<string, unknown>;
  if (b.tool !== 'port-db' || b.kind !== 'check-baseline') return 'expected "tool": "port-db" and "kind": "check-baseline"';
  if (b.version !== 1) return `unsupported "version": ${JSON.stringify(b.version)}`;
  if (!Array.isArray(b.findings)) return '"findings" must be an array';
  for (const [i, e] of b.findings.entries()) {
    const entry = e as Record<string, unknown>;
    if (typeof entry !== 'object' || entry === null) return `findings[${i}] must be an object`;
    for (const field of ['file', 'rule', 'message']) {
      if (typeof entry[field] !== 'string') return `findings[${i}].${field} must be a string`;
    }
    if (!Number.isInteger(entry.count) || (entry.count as number) < 1) return `findings[${i}].count must be a positive integer`;
  }
  return undefined;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
