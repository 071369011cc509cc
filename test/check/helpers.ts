import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { compareFindings } from '../../src/check/index.js';
import { ModuleGraph } from '../../src/check/module-info.js';
import { scanSource } from '../../src/check/scan-file.js';
import { toScanConfig, type Finding, type RulePack } from '../../src/analyzer/check-types.js';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** The default rule pack, as the CLI loads it. */
export const defaultPack: RulePack = JSON.parse(readFileSync(path.join(repoRoot, 'rules/default.json'), 'utf8'));

/**
 * Scans source text as if it were the file `file` (absolute; its folder decides whether it is a
 * discovery module and where relative imports point). Returns the placed findings.
 */
export function scan(text: string, file = '/repo/src/service.ts', pack: RulePack = defaultPack): Finding[] {
  const config = toScanConfig(pack);
  return scanSource(text, file, path.basename(file), config, new ModuleGraph(config)).findings.sort(compareFindings);
}

/** `line:col rule` strings, compact for assertions. */
export function brief(findings: Finding[]): string[] {
  return findings.map((f) => `${f.line}:${f.column} ${f.rule}`);
}

/** The rules of the findings, in order. */
export function rulesOf(findings: Finding[]): string[] {
  return findings.map((f) => f.rule);
}
