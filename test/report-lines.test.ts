import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import ts from '../src/ts.cjs';
import { describe, expect, it } from 'vitest';
import { generateModule } from '../bench/generate.mjs';
import type { PortReport } from '../src/report/model.js';
import { FIXTURES, portText } from './helpers.js';

/**
 * Every line a report points at is inside the function the record belongs to: `line` in the
 * source module, `outputLine` in the port. A pointer one statement off still passes; one that
 * lands in another function, a comment above it or the module header does not.
 */
type Span = { from: number; to: number };

/** Top-level functions (declarations, `const f = guard(...)`) and class methods with their 1-based line spans. */
function spans(text: string): Map<string, Span> {
  const sf = ts.createSourceFile('m.ts', text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const lines = text.split('\n');
  // a statement kept whole for a human has its markers right above it: they are part of it
  const line = (pos: number) => {
    let n = sf.getLineAndCharacterOfPosition(pos).line + 1;
    if (pos === sf.statements.find((st) => st.getStart(sf) === pos)?.getStart(sf)) while (n > 1 && lines[n - 2].trim().startsWith('// port-db: manual')) n--;
    return n;
  };
  const out = new Map<string, Span>();
  for (const st of sf.statements) {
    if (ts.isFunctionDeclaration(st) && st.name) out.set(st.name.text, { from: line(st.getStart(sf)), to: line(st.end) });
    if (ts.isVariableStatement(st)) {
      for (const d of st.declarationList.declarations) if (ts.isIdentifier(d.name)) out.set(d.name.text, { from: line(st.getStart(sf)), to: line(st.end) });
    }
    if (ts.isClassDeclaration(st) && st.name) {
      for (const m of st.members) {
        if ((ts.isMethodDeclaration(m) || ts.isConstructorDeclaration(m)) && m.body) {
          const name = ts.isConstructorDeclaration(m) ? 'constructor' : m.name.getText(sf);
          out.set(`${st.name.text}.${name}`, { from: line(m.getStart(sf)), to: line(m.end) });
        }
      }
    }
  }
  return out;
}

function misplaced(report: Pick<PortReport, 'functions'>, source: string, output: string): string[] {
  const inSource = spans(source);
  const inOutput = spans(output);
  const wrong: string[] = [];
  for (const fn of report.functions) {
    const s = inSource.get(fn.name);
    // create-lock moves the body to `<name>_` beside the exported lock wrapper: both are its port
    const o = [inOutput.get(fn.name), inOutput.get(`${fn.name}_`)].filter((x): x is Span => x !== undefined).reduce<Span | undefined>((a, b) => (a ? { from: Math.min(a.from, b.from), to: Math.max(a.to, b.to) } : b), undefined);
    const pointers = [...fn.changes.map((c) => ({ what: `${c.kind} change`, line: c.line, outputLine: c.outputLine })), ...fn.manual.map((m) => ({ what: 'manual item', line: m.line, outputLine: m.outputLine }))];
    for (const p of pointers) {
      if (!s || p.line < s.from || p.line > s.to) wrong.push(`${fn.name}: ${p.what} at source line ${p.line}, outside ${s ? `${s.from}-${s.to}` : 'any function'}`);
      if (p.outputLine !== undefined && (!o || p.outputLine < o.from || p.outputLine > o.to)) {
        wrong.push(`${fn.name}: ${p.what} at output line ${p.outputLine}, outside ${o ? `${o.from}-${o.to}` : 'any function'}`);
      }
    }
  }
  return wrong;
}

describe('report line pointers', () => {
  for (const [sample, service] of [['nova', 'nova'], ['glance', 'glance'], ['custom-pack', 'svc']] as const) {
    it(`${sample}: every change and manual item points into its own function, in the source and in the port`, () => {
      const db = join(FIXTURES, sample, service, 'db');
      const report = JSON.parse(readFileSync(join(db, 'discovery', 'port-report.json'), 'utf8')) as PortReport;
      const source = readFileSync(join(db, 'sqlalchemy', 'api.ts'), 'utf8');
      const output = readFileSync(join(db, 'discovery', 'api.ts'), 'utf8');
      expect(report.functions.some((f) => f.changes.length > 0)).toBe(true);
      expect(misplaced(report, source, output)).toEqual([]);
    });
  }

  it('a generated module of 250 functions (every rewrite kind): the same', () => {
    const source: string = generateModule(250);
    const { output, report } = portText(source);
    expect(report.functions.filter((f) => f.changes.length > 0).length).toBeGreaterThan(100);
    expect(misplaced(report, source, output)).toEqual([]);
  });

  it('the same module formatted with a prettier config: the pointers follow the code', () => {
    const source: string = generateModule(250);
    const prettier = createRequire(import.meta.url)('@prettier/sync') as { format(code: string, options: object): string };
    const format = (code: string) => prettier.format(code, { parser: 'typescript', printWidth: 60, tabWidth: 4 });
    const { output, report } = portText(source, () => format);
    expect(output).not.toBe(portText(source).output);
    expect(report.formatting).toBeUndefined();
    expect(misplaced(report, source, output)).toEqual([]);
    const lines = output.split('\n');
    for (const m of [...report.module.manual, ...report.functions.flatMap((f) => f.manual)]) expect(lines[m.outputLine - 1]).toContain('// port-db: manual');
    const adds = report.functions.flatMap((f) => f.changes).filter((c) => c.kind === 'session-add');
    expect(adds.length).toBeGreaterThan(0);
    for (const c of adds) expect(lines[c.outputLine - 1]).toMatch(/session\.add\(/);
  });
});
