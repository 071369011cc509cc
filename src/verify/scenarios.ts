// Scenarios type-check before they run (EQUIV.md §5: a scenario that does not type-check is bad
// input): a wrong argument or a misspelt seed column is a mistake of the scenario, and running it
// anyway would give a verdict about something nobody meant. Checked in the service's own program
// (its nearest tsconfig.json and declarations), with `port-db/equiv` declared from the scenario
// API's declarations; only errors in the scenario files themselves count.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, relative } from 'node:path';
import { toPosix } from '../analyzer/specifiers.js';
import { declarationFiles, diagnoseProgram, loadConfig, type Diag, type ProgramInput } from './index.js';

export interface ScenarioTypeError {
  /** `db/equiv/services.equiv.ts:12:7`, relative to `base`. */
  at: string;
  code: number;
  text: string;
}

/**
 * The type errors of the scenario files (absolute paths, all in one project). `api` is the
 * scenario API's declaration file (dist/equiv/scenario.d.ts). Answers none when the project's
 * tsconfig.json cannot be read (the run reports that elsewhere) or no checker runs.
 */
export function scenarioTypeErrors(files: string[], api: string, base: string): ScenarioTypeError[] {
  if (files.length === 0 || !existsSync(api)) return [];
  const config = loadConfig(dirname(files[0]));
  if ('error' in config) return [];
  // the declarations of an ES module, as an ambient module (no `declare` inside one)
  const contract = `declare module 'port-db/equiv' {\n${readFileSync(api, 'utf8').replace(/^(export )?declare /gm, '$1')}\n}\n`;
  const texts = files.map((path) => ({ path, text: readFileSync(path, 'utf8') }));
  const program: ProgramInput = {
    ...(config.path ? { configPath: config.path } : {}),
    options: config.options,
    base: config.path ? dirname(config.path) : dirname(files[0]),
    contract,
    declarations: declarationFiles(config),
    files: texts,
  };
  const { diagnostics: diagnose } = diagnoseProgram(program, 'native');
  const out: ScenarioTypeError[] = [];
  for (const { path, text } of texts) {
    for (const d of diagnose.of(path)) out.push({ at: `${toPosix(relative(base, path))}:${position(text, d)}`, code: d.code, text: d.text.split('\n')[0] });
  }
  diagnose.done?.();
  return out;
}

function position(text: string, d: Diag): string {
  const before = text.slice(0, d.start).split('\n');
  return `${before.length}:${before[before.length - 1].length + 1}`;
}
