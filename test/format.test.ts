import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import ts from '../src/ts.cjs';
import { formatWritten, mayHaveConfig, projectFormatter, type FormatCode } from '../src/format.js';
import { portModule } from '../src/port/port-module.js';
import { loadRulePack } from '../src/rules.js';
import { renderSummary } from '../src/report/summary.js';
import { renderMarkdown } from '../src/report/markdown.js';
import { FIXTURES, portText } from './helpers.js';
import { runPort, tree } from './safety/helpers.js';

const prettier = createRequire(import.meta.url)('@prettier/sync') as { format(code: string, options: object): string };
const NOVA_MODELS = join(FIXTURES, 'nova', 'nova', 'db', 'sqlalchemy', 'models.ts');
const parse = (text: string) => ts.createSourceFile('api.ts', text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
const statements = (text: string) => {
  const sf = parse(text);
  return sf.statements.map((st) => st.getText(sf));
};

/** A module with code port-db rewrites, in a style no prettier config would print (long lines, double quotes). */
const SOURCE = `import { get_session, model_query } from "./session";
import * as models from "./models";
import { text } from "sqlalchemy";

export function untouched_helper(a: number,b: number) { return a+b }

export async function service_update(context: any, service_id: number, values: Record<string, any>) {
  const session = get_session();
  return session.begin(async () => {
    const service_ref = await model_query(context, models.Service, { session }).filter_by({ id: service_id, host: "the-host-of-this-service-with-a-long-name" }).first();
    service_ref.update(values);
    return service_ref;
  });
}

export async function raw(context: any) {
  const session = get_session();
  return await session.execute(text("SELECT 1"));
}
`;

/** Ports SOURCE (or `text`) with a formatter, as run.ts does. */
function portWith(format: (() => FormatCode | undefined) | undefined, text = SOURCE) {
  return portModule({
    sourcePath: '/svc/db/sqlalchemy/api.ts',
    outputPath: '/svc/db/discovery/api.ts',
    text,
    rules: loadRulePack(),
    displaySource: 'db/sqlalchemy/api.ts',
    displayOutput: 'db/discovery/api.ts',
    models: { path: NOVA_MODELS, text: readFileSync(NOVA_MODELS, 'utf8') },
    format,
  });
}

const CONFIG = { singleQuote: true, printWidth: 80, trailingComma: 'all' as const };
const withConfig: FormatCode = (code) => prettier.format(code, { ...CONFIG, parser: 'typescript' });

describe('formatting the code port-db writes', () => {
  const plain = portWith(undefined);
  const formatted = portWith(() => withConfig);

  it('without a formatter (no config), the port is as port-db writes it', () => {
    expect(portWith(() => undefined).output).toBe(plain.output);
    expect(portText(SOURCE).output).toBe(plain.output);
  });

  it('formats every statement port-db wrote or changed with the config, and only those', () => {
    const source = new Set(statements(SOURCE));
    const out = statements(formatted.output);
    const written = out.filter((st) => !source.has(st));
    expect(written.length).toBeGreaterThan(1);
    for (const st of written) expect(withConfig(st).trimEnd(), st).toBe(st);
    // the config is visible: what port-db wrote in double quotes comes out in single quotes
    expect(plain.output).not.toBe(formatted.output);
    expect(written.join('\n')).not.toMatch(/"/);
  });

  it('keeps a function the port did not change byte for byte (it is reported unchanged)', () => {
    const helper = formatted.report.functions.find((f) => f.name === 'untouched_helper')!;
    expect(helper.status).toBe('unchanged');
    const pick = (text: string) => statements(text).find((st) => st.includes('untouched_helper'));
    expect(pick(formatted.output)).toBe(pick(SOURCE));
  });

  it('keeps the markers, at the lines the report names, and the changes in their functions', () => {
    const lines = formatted.output.split('\n');
    const manual = [...formatted.report.module.manual, ...formatted.report.functions.flatMap((f) => f.manual)];
    expect(manual.length).toBeGreaterThan(0);
    expect(lines.filter((l) => l.trim().startsWith('// port-db: manual')).length).toBe(manual.length);
    for (const m of manual) expect(lines[m.outputLine - 1]).toContain('// port-db: manual');
    const add = formatted.report.functions.flatMap((f) => f.changes).filter((c) => c.kind === 'session-add');
    expect(add.length).toBeGreaterThan(0);
    for (const c of add) expect(lines[c.outputLine - 1]).toMatch(/session\.add\(/);
  });

  it('keeps every comment port-db wrote or kept (the markers among them), in order', () => {
    const comments = (text: string) => text.split('\n').filter((l) => l.trim().startsWith('//')).map((l) => l.trim());
    expect(comments(plain.output).length).toBeGreaterThan(3);
    expect(comments(formatted.output)).toEqual(comments(plain.output));
  });

  it('reports the same changes as the unformatted port (only output lines move)', () => {
    const strip = (r: typeof plain.report) => JSON.stringify(r, (k, v) => (k === 'outputLine' ? undefined : v));
    expect(strip(formatted.report)).toBe(strip(plain.report));
  });

  it('is idempotent: porting the formatted port changes nothing, and asks for no formatter', () => {
    let asked = 0;
    const again = portWith(() => (asked++, withConfig), formatted.output);
    expect(again.output).toBe(formatted.output);
    expect(asked).toBe(0);
  });

  it('asks for the formatter (loads prettier) only when the port writes code', () => {
    let asked = 0;
    portWith(() => (asked++, withConfig), 'export function f(a: number) {\n  return a;\n}\n');
    expect(asked).toBe(0);
    portWith(() => (asked++, withConfig));
    expect(asked).toBe(1);
  });

  it('a statement the formatter refuses stays as written, and the report says where and why', () => {
    const picky: FormatCode = (code) => {
      if (code.includes('service_update')) throw new SyntaxError('cannot format this\nsecond line');
      return withConfig(code);
    };
    const result = portWith(() => picky);
    const failed = result.report.formatting!.failed;
    expect(failed).toHaveLength(1);
    expect(failed[0].message).toBe('cannot format this');
    expect(result.output.split('\n')[failed[0].outputLine! - 1]).toMatch(/function service_update/);
    const kept = (text: string) => statements(text).find((st) => st.includes('function service_update'));
    expect(kept(result.output)).toBe(kept(plain.output));
    // the other written statements are still formatted
    expect(statements(result.output).filter((st) => !st.includes('service_update'))).toEqual(statements(formatted.output).filter((st) => !st.includes('service_update')));
    const report = { ...result.report };
    expect(renderMarkdown(report)).toMatch(/## Formatting[\s\S]*cannot format this/);
  });

  it('a formatter that cannot be had (a bad config) leaves the whole port as written, and says so', () => {
    const result = portWith(() => {
      throw new Error('Cannot parse .prettierrc.json: Unexpected token');
    });
    expect(result.output).toBe(plain.output);
    expect(result.report.formatting!.failed).toEqual([{ message: 'prettier or its config for this file could not be loaded: Cannot parse .prettierrc.json: Unexpected token' }]);
  });
});

describe('formatWritten', () => {
  const source = 'const kept   =  "a";\n\n\nfunction old() {}\n';
  const output = 'const kept   =  "a";\n\n\nfunction changed(a,b) { return [a,b] }\n';

  it('formats only statements not in the source; the space between statements stays', () => {
    const r = formatWritten(parse(source), output, '\n', withConfig);
    expect(r.output).toBe("const kept   =  \"a\";\n\n\nfunction changed(a, b) {\n  return [a, b];\n}\n");
    expect(r.failures).toEqual([]);
  });

  it('maps every token of the written statement to the same token in the formatted one', () => {
    const r = formatWritten(parse(source), output, '\n', withConfig);
    for (const word of ['kept', 'changed', 'return', ']']) {
      const at = output.lastIndexOf(word);
      expect(r.output.slice(r.mapOffset(at), r.mapOffset(at) + word.length), word).toBe(word);
    }
  });

  it('writes the file’s own line breaks', () => {
    const crlf = (s: string) => s.replace(/\n/g, '\r\n');
    const r = formatWritten(parse(crlf(source)), crlf(output), '\r\n', withConfig);
    expect(r.output).toBe(crlf(formatWritten(parse(source), output, '\n', withConfig).output));
  });

  it('leaves a statement under `// prettier-ignore` as written', () => {
    const ignored = 'const kept   =  "a";\n\n\n// prettier-ignore\nfunction changed(a,b) { return [a,b] }\n';
    expect(formatWritten(parse(source), ignored, '\n', withConfig).output).toBe(ignored);
  });

  it('keeps a statement whose formatted tokens cannot be matched (its report lines would be wrong)', () => {
    const renames: FormatCode = (code) => withConfig(code).replace('return', 'return void');
    const r = formatWritten(parse(source), output, '\n', renames);
    expect(r.output).toBe(output);
    expect(r.failures).toEqual([{ outputLine: 4, message: expect.stringMatching(/could not be matched/) }]);
  });
});

describe('the project’s prettier config, as prettier resolves it for the output', () => {
  const service = (extra: Record<string, string>) =>
    tree({
      'svc/db/sqlalchemy/api.ts': SOURCE,
      'svc/db/sqlalchemy/models.ts': readFileSync(NOVA_MODELS, 'utf8'),
      ...extra,
    });
  const api = (root: string, options = {}) => runPort([root], { dryRun: true, ...options }).modules[0];

  it('no config anywhere: the port is written in port-db’s own style', () => {
    expect(projectFormatter('/nonexistent/db/discovery/api.ts')).toBeUndefined();
    const root = service({});
    expect(api(root).files[0].content).toBe(plainAt(root));
  });

  it('prettier is not loaded to learn there is no config: a folder on the way up must hold one', () => {
    const none = tree({ 'package.json': JSON.stringify({ name: 'svc', devDependencies: { prettier: '^3' } }) });
    const file = join(none, 'svc', 'db', 'discovery', 'api.ts');
    expect(mayHaveConfig(file)).toBe(false);
    const resolve = createRequire(import.meta.url)('@prettier/sync').resolveConfig as (f: string, o: object) => unknown;
    expect(resolve(file, { editorconfig: true })).toBeNull();
    for (const [name, text] of [
      ['.prettierrc', 'semi: false'],
      ['prettier.config.mjs', 'export default {};'],
      ['.editorconfig', 'root = true'],
      ['package.json', JSON.stringify({ prettier: { semi: false } })],
    ]) {
      const root = tree({ [name]: text });
      expect(mayHaveConfig(join(root, 'svc', 'db', 'discovery', 'api.ts')), name).toBe(true);
    }
  });

  it('a .prettierrc.json above the service is honoured', () => {
    const root = service({ '.prettierrc.json': JSON.stringify({ ...CONFIG, singleQuote: false }) });
    const written = statements(api(root).files[0].content).filter((st) => !statements(SOURCE).includes(st));
    expect(written.length).toBeGreaterThan(1);
    for (const st of written) expect(prettier.format(st, { ...CONFIG, singleQuote: false, parser: 'typescript' }).trimEnd()).toBe(st);
  });

  it('an .editorconfig alone is a config too (indentation from it)', () => {
    const root = service({ '.editorconfig': 'root = true\n\n[*.ts]\nindent_style = space\nindent_size = 4\n' });
    const content = api(root).files[0].content;
    expect(content).toMatch(/\n {4}const session = get_session\(\);/);
    // the function the port left alone keeps its own spacing
    expect(content).toContain('export function untouched_helper(a: number,b: number) { return a+b }');
  });

  it('with --out, the port is formatted as the project would have it beside the source', () => {
    const root = service({ '.prettierrc.json': JSON.stringify(CONFIG) });
    const out = join(tree({}), 'out');
    const beside = api(root).files[0].content;
    expect(beside).not.toBe(plainAt(root));
    expect(api(root, { out }).files[0].content).toBe(beside);
  });

  it('a config prettier cannot read does not stop the port: written as port-db writes it, and the summary says so', () => {
    const root = service({ '.prettierrc.json': '{ not json' });
    const result = runPort([root], { dryRun: true });
    expect(result.modules[0].files[0].content).toBe(plainAt(root));
    expect(result.modules[0].report.formatting!.failed[0].message).toMatch(/^prettier or its config for this file could not be loaded: \w/);
    const summary = renderSummary(result, { yellow: (s: string) => s, green: (s: string) => s, red: (s: string) => s, bold: (s: string) => s } as never);
    expect(summary).toMatch(/formatting: not formatted \(prettier or its config for this file could not be loaded/);
  });

  /** The port of the service's module as `port` makes it, without formatting. */
  function plainAt(root: string): string {
    const db = join(root, 'svc', 'db');
    return portModule({
      sourcePath: join(db, 'sqlalchemy', 'api.ts'),
      outputPath: join(db, 'discovery', 'api.ts'),
      text: SOURCE,
      rules: loadRulePack(),
      displaySource: 'svc/db/sqlalchemy/api.ts',
      displayOutput: 'svc/db/discovery/api.ts',
      models: { path: join(db, 'sqlalchemy', 'models.ts'), text: readFileSync(NOVA_MODELS, 'utf8') },
      modelsPorted: true,
    }).output;
  }
});
