import ts from '../ts.cjs';
import type { FunctionUnit } from '../analyzer/module.js';
import type { ModelCatalog } from '../analyzer/models.js';
import { portModule, type PortModuleInput } from './port-module.js';
import type { FunctionReport, ModelsReport } from '../report/model.js';
import { MODELS_REWRITERS } from '../rewriters/index.js';
import type { RulePack } from '../rules.js';

/** As for the api module (absolute paths, display paths, the pack), without the models inputs: this is the models module. */
export type PortModelsInput = Omit<PortModuleInput, 'models' | 'modelsPorted'>;

export interface PortModelsResult {
  output: string;
  report: ModelsReport;
  /** The catalog read from the models (the api port reuses it instead of parsing them again). */
  catalog?: ModelCatalog;
}

/** Changes in a models module belong to the class they are in (a model, or its base). */
function classUnits(facts: { sf: ts.SourceFile }): FunctionUnit[] {
  return facts.sf.statements.filter((st): st is ts.ClassDeclaration => ts.isClassDeclaration(st) && !!st.name).map((st) => ({ name: st.name!.text, node: st }));
}

/**
 * Ports the models module in memory (DESIGN §4 `models`): the same machinery as the api module
 * (parse once, rewriters, edits applied once, manual markers), with the models pipeline and the
 * classes as the units of the report. Pure.
 */
export function portModels(input: PortModelsInput): PortModelsResult {
  const { output, report, catalog } = portModule(
    {
      sourcePath: input.sourcePath,
      outputPath: input.outputPath,
      text: input.text,
      rules: input.rules,
      displaySource: input.displaySource,
      displayOutput: input.displayOutput,
      format: input.format,
      // the models module is its own catalog: the rewriter names the unique keys create-lock checks
      models: { path: input.sourcePath, text: input.text },
    },
    { rewriters: MODELS_REWRITERS, units: classUnits },
  );
  const classes: FunctionReport[] = report.functions;
  const s = report.summary;
  return {
    output,
    catalog,
    report: {
      source: report.source,
      output: report.output,
      module: report.module,
      summary: { classes: s.functions, unchanged: s.unchanged, ported: s.ported, manual: s.manual, manualItems: s.manualItems, byKind: s.byKind },
      classes,
      ...(report.formatting && { formatting: report.formatting }),
    },
  };
}
