import fc from 'fast-check';
import { ts } from 'ts-morph';
import { describe, expect, it } from 'vitest';
import { exitCodeFor } from '../../src/errors.js';
import { portText, ROOT } from '../helpers.js';
// @ts-expect-error plain JavaScript, shared with bench/fuzz.mjs
import { loadCorpus } from '../../fuzz/corpus.mjs';

/**
 * Property tests: random modules composed of snippets of the source dialect (every top-level
 * function of the seed corpus, with the imports and declarations of its file) are ported.
 */
interface Snippet {
  name: string;
  text: string;
  file: string;
}
const seeds: Array<{ name: string; api: string }> = loadCorpus(ROOT);
const files = seeds
  .filter((e) => !e.name.includes('-ported') && !e.name.startsWith('models--'))
  .map(({ name: f, api: text }) => {
    const sf = ts.createSourceFile(f, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
    const functions: Snippet[] = [];
    const header: string[] = [];
    for (const s of sf.statements) {
      if (ts.isFunctionDeclaration(s) && s.name && s.body) functions.push({ name: s.name.text, text: s.getFullText(sf).trim(), file: f });
      else if (ts.isImportDeclaration(s) || !ts.isFunctionDeclaration(s)) header.push(s.getText(sf));
    }
    return { file: f, header, functions };
  });
const snippets = files.flatMap((f) => f.functions);
const headerOf = new Map(files.map((f) => [f.file, f.header]));

/** A module: imports and declarations of the chosen snippets' files, then the functions (each name once). */
const module = fc.array(fc.constantFrom(...snippets), { minLength: 1, maxLength: 6 }).map((chosen) => {
  const byName = new Map<string, Snippet>();
  for (const s of chosen) if (!byName.has(s.name)) byName.set(s.name, s);
  const fns = [...byName.values()];
  const imports = [...new Set(fns.flatMap((s) => headerOf.get(s.file)!.filter((h) => h.startsWith('import '))))];
  const decls = [...new Set(fns.flatMap((s) => headerOf.get(s.file)!.filter((h) => !h.startsWith('import '))))];
  return { names: fns.map((s) => s.name), text: [...imports, '', ...fns.map((s) => s.text), '', ...decls, ''].join('\n') };
});

const parseError = (text: string) => {
  const sf = ts.createSourceFile('api.ts', text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const d = (sf as unknown as { parseDiagnostics: ts.Diagnostic[] }).parseDiagnostics;
  return d.length ? ts.flattenDiagnosticMessageText(d[0].messageText, ' ') : undefined;
};

const port = (text: string) => {
  try {
    return portText(text);
  } catch (e) {
    // bad input would be exit 2; anything else is a crash (exit 3): show the input that did it
    throw new Error(`exit ${exitCodeFor(e)} on:\n${text}\n${(e as Error).stack}`);
  }
};

describe('random compositions of dialect snippets', () => {
  it(`the corpus has snippets to compose (${snippets.length} functions from ${files.length} modules)`, () => {
    expect(snippets.length).toBeGreaterThan(80);
  });

  it('never crash the tool; every output parses; every function is in the output (or its removal recorded) and in the report', () => {
    fc.assert(
      fc.property(module, ({ names, text }) => {
        fc.pre(parseError(text) === undefined);
        const { output, report } = port(text);
        expect(parseError(output), output).toBeUndefined();
        const reported = new Set(report.functions.map((f) => f.name));
        for (const name of names) {
          // dead SQL engine plumbing (`_create_facade_lazily`) goes, its removal recorded under its name
          const removed = report.functions.find((f) => f.name === name)?.changes.some((c) => c.detail.startsWith(`\`${name}\` removed:`));
          if (!removed) expect(output).toMatch(new RegExp(`function ${name}\\b`));
          expect(reported, `${name} in the report`).toContain(name);
        }
        expect(report.summary.functions).toBe(report.functions.length);
      }),
      { numRuns: 40, seed: 7, endOnFailure: true },
    );
  });

  it('port deterministically, and porting the port changes nothing', () => {
    fc.assert(
      fc.property(module, ({ text }) => {
        fc.pre(parseError(text) === undefined);
        const once = port(text).output;
        expect(port(text).output).toBe(once);
        expect(port(once).output).toBe(once);
      }),
      { numRuns: 20, seed: 11, endOnFailure: true },
    );
  });
});
