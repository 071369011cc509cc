import { describe, expect, it } from 'vitest';
import { buildPrefilter } from '../../src/check/prefilter.js';
import { SUBSTITUTION } from '../../src/analyzer/sql-classifier.js';
import { toScanConfig } from '../../src/analyzer/check-types.js';
import { defaultPack } from './helpers.js';
import { SQL_POSITIVES } from './sql-cases.js';

const prefilter = buildPrefilter(toScanConfig(defaultPack));

/** The literal as it would appear in source: a template, substitutions as `${x}`, newlines escaped in quotes. */
function asSource(text: string, quote: '`' | "'"): string {
  if (quote === '`') return `const q = \`${text.split(SUBSTITUTION).join('${x}')}\`;`;
  return `const q = '${text.split(SUBSTITUTION).join("' + x + '").replace(/\n/g, '\\n').replace(/'/g, "\\'")}';`;
}

describe('text pre-filter', () => {
  it.each(SQL_POSITIVES)('lets every statement the classifier accepts through: %j', (text) => {
    expect(prefilter(asSource(text, '`'))).toBe(true);
    expect(prefilter(asSource(text, "'"))).toBe(true);
  });

  it('skips files without any trigger text', () => {
    expect(prefilter("import { x } from './x';\nexport const add = (a: number, b: number) => a + b;\n")).toBe(false);
    expect(prefilter('obj.update(values); delete obj.key; await repo.create(item); with_nothing();')).toBe(false);
  });

  it('lets through SQL modules, session, engine and row-lock names, and port-db comments', () => {
    for (const text of [
      "import { or_ } from 'sqlalchemy';",
      "import * as db_exc from 'oslo.db/exception';",
      'const s = get_session();',
      'const s = getSession();',
      'const e = create_engine(url);',
      'q.with_for_update()',
      '// port-db: manual raw SQL',
      "import * as models from '../../db/sqlalchemy/models';",
    ]) {
      expect(prefilter(text), text).toBe(true);
    }
  });

  it('passes everything when a pack names an SQL module by a leading wildcard', () => {
    const always = buildPrefilter(toScanConfig({ ...defaultPack, sqlModules: ['*sql*'] }));
    expect(always('const x = 1;')).toBe(true);
  });
});
