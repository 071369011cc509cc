// `port --equiv`: once the port is written and equiv has run on it, each module's reports get
// the verdicts: `equivalence` in port-report.json and a section in PORT-REPORT.md. Written like
// every output (temporary file, then rename); a report held by a merge conflict is left alone.
import { renameSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { renderEquivalenceMarkdown } from '../report/equivalence.js';
import { renderJson } from '../report/markdown.js';
import type { EquivalenceResult } from '../report/equivalence-model.js';
import type { ModuleResult } from '../report/result.js';

export function attachEquivalence(modules: ModuleResult[], result: EquivalenceResult): void {
  for (const m of modules) {
    const found = result.modules.find((e) => resolve(m.root, e.source) === m.sourcePath);
    const [, markdown, json] = m.files;
    if (!found || !markdown || !json || markdown.hold || json.hold) continue;
    const one: EquivalenceResult = { ...result, modules: [found] };
    m.report.equivalence = { ...found, sqlCollation: result.sqlCollation, normalisation: result.normalisation, note: result.note };
    json.content = renderJson(m.report);
    markdown.content = `${markdown.content.replace(/\n*$/, '\n')}\n${renderEquivalenceMarkdown(one)}`;
    for (const f of [json, markdown]) {
      const tmp = `${f.path}.port-db-${process.pid}.tmp`;
      writeFileSync(tmp, f.content);
      renameSync(tmp, f.path);
    }
  }
}
