import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { portModule, type PortModuleInput, type PortModuleResult } from '../src/port/port-module.js';
import { portModels } from '../src/port/port-models.js';
import { loadRulePack } from '../src/rules.js';

export const ROOT = resolve(__dirname, '..');
export const FIXTURES = join(ROOT, 'fixtures');
export const UPDATE = process.env.UPDATE_FIXTURES === '1';
/** The native TypeScript compiler's CLI (typescript@7, the `typescript-native` alias): an independent check of ports. */
export const NATIVE_TSC = join(ROOT, 'node_modules', 'typescript-native', 'bin', 'tsc');
/** Per-rewriter fixtures use the Nova-like models (Service, FixedIp, ...). */
const NOVA_MODELS = join(FIXTURES, 'nova', 'nova', 'db', 'sqlalchemy', 'models.ts');

/**
 * Ports a module text as if it were `<svc>/db/sqlalchemy/api.ts` (with `format`: the project's
 * formatter, as run.ts passes it), beside the Nova-like models or the models module `modelsPath`.
 */
export function portText(text: string, format?: PortModuleInput['format'], modelsPath: string = NOVA_MODELS): PortModuleResult {
  return portModule({ ...AS_API, rules: loadRulePack(), format, text, models: { path: modelsPath, text: readFileSync(modelsPath, 'utf8') } });
}

/** Ports as portText does, with the Nova-like models ported beside the output (`./models` then names ROME entities). */
export function portTextBesideModels(text: string): PortModuleResult {
  return portModule({ ...AS_API, rules: loadRulePack(), text, models: { path: '/svc/db/sqlalchemy/models.ts', text: readFileSync(NOVA_MODELS, 'utf8') }, modelsPorted: true });
}

const AS_API = {
  sourcePath: '/svc/db/sqlalchemy/api.ts',
  outputPath: '/svc/db/discovery/api.ts',
  displaySource: 'db/sqlalchemy/api.ts',
  displayOutput: 'db/discovery/api.ts',
};

/** Ports a models module text as if it were `<svc>/db/sqlalchemy/models.ts`. */
export function portModelsAt(text: string): ReturnType<typeof portModels> {
  return portModels({
    sourcePath: '/svc/db/sqlalchemy/models.ts',
    outputPath: '/svc/db/discovery/models.ts',
    text,
    rules: loadRulePack(),
    displaySource: 'db/sqlalchemy/models.ts',
    displayOutput: 'db/discovery/models.ts',
  });
}

/** The same, with the report's classes as its functions (for the per-rewriter fixture runner). */
export function portModelsText(text: string): PortModuleResult {
  const { output, report } = portModelsAt(text);
  return { output, report: { ...report, functions: report.classes } as unknown as PortModuleResult['report'] };
}

/**
 * Compares `actual` with the expected file; with UPDATE_FIXTURES=1 writes it instead
 * (read the diff before committing).
 */
export function expectFile(path: string, actual: string): { expected: string; actual: string } {
  if (UPDATE || !existsSync(path)) {
    if (!UPDATE) throw new Error(`missing expected file ${path}: run UPDATE_FIXTURES=1 npm test and read the result`);
    writeFileSync(path, actual);
  }
  return { expected: readFileSync(path, 'utf8'), actual };
}
