import { describe, expect, it } from 'vitest';
import { ModuleGraph } from '../../src/check/module-info.js';
import { scanSource } from '../../src/check/scan-file.js';
import { toScanConfig } from '../../src/analyzer/check-types.js';
import { brief, defaultPack, scan } from './helpers.js';

function suppressedCount(text: string): number {
  const config = toScanConfig(defaultPack);
  return scanSource(text, '/repo/a.ts', 'a.ts', config, new ModuleGraph(config)).suppressed;
}

describe('port-db-ignore-next-line', () => {
  it('silences the named rule on the next line only, and counts it', () => {
    const text = ['// port-db-ignore-next-line row-lock', 'q.with_for_update();', 'q.with_for_update();'].join('\n');
    expect(brief(scan(text))).toEqual(['3:3 row-lock']);
    expect(suppressedCount(text)).toBe(1);
  });

  it('takes several rules, separated by commas or spaces, and a -- description', () => {
    const text = [
      '// port-db-ignore-next-line row-lock, raw-sql -- reviewed: runs on the SQL side only',
      "q.with_for_update(); const s = 'SELECT * FROM instances';",
      '/* port-db-ignore-next-line raw-sql row-lock */',
      "q.with_for_update(); const t = 'SELECT * FROM instances';",
    ].join('\n');
    expect(scan(text)).toEqual([]);
    expect(suppressedCount(text)).toBe(4);
  });

  it('without a rule silences every rule on the next line', () => {
    const text = "// port-db-ignore-next-line\nq.with_for_update(); const s = 'SELECT * FROM instances';\n";
    expect(scan(text)).toEqual([]);
  });

  it('does not silence other rules', () => {
    const text = '// port-db-ignore-next-line raw-sql\nq.with_for_update();\n';
    expect(brief(scan(text))).toEqual(['1:1 unused-suppression', '2:3 row-lock']);
  });

  it('can silence a manual marker', () => {
    const text = '// port-db-ignore-next-line manual-marker\n// port-db: manual accepted for now\nconst x = 1;\n';
    expect(scan(text)).toEqual([]);
  });

  it('reports a suppression that suppresses nothing', () => {
    const text = '// port-db-ignore-next-line row-lock\nconst x = 1;\n';
    const findings = scan(text);
    expect(brief(findings)).toEqual(['1:1 unused-suppression']);
    expect(findings[0].message).toBe('port-db-ignore-next-line row-lock suppresses nothing on line 2; remove it');
  });

  it('reports the unused rules of a partly used suppression', () => {
    const findings = scan('// port-db-ignore-next-line row-lock, raw-sql\nq.with_for_update();\n');
    expect(findings.map((f) => f.message)).toEqual(['port-db-ignore-next-line raw-sql suppresses nothing on line 2; remove it']);
  });

  it('reports unknown rule ids instead of silencing everything', () => {
    const findings = scan('// port-db-ignore-next-line row_lock\nq.with_for_update();\n');
    expect(brief(findings)).toEqual(['1:1 unused-suppression', '2:3 row-lock']);
    expect(findings[0].message).toBe("port-db-ignore-next-line names unknown rule 'row_lock'");
  });

  it('counts a suppression inside a marked statement as used', () => {
    const text = [
      '// port-db: manual raw SQL',
      'function f() {',
      '  // port-db-ignore-next-line raw-sql',
      "  return 'SELECT * FROM instances';",
      '}',
    ].join('\n');
    expect(brief(scan(text))).toEqual(['1:1 manual-marker']);
  });
});

describe('port-db-ignore-file', () => {
  it('silences a rule in the whole file', () => {
    const text = "// port-db-ignore-file raw-sql\nconst a = 'SELECT * FROM a';\nfunction f() {\n  return 'DELETE FROM b WHERE id = 1';\n}\nq.with_for_update();\n";
    expect(brief(scan(text))).toEqual(['6:3 row-lock']);
    expect(suppressedCount(text)).toBe(2);
  });

  it('reports a file suppression that suppresses nothing', () => {
    const findings = scan('const x = 1;\n// port-db-ignore-file sql-session\n');
    expect(brief(findings)).toEqual(['2:1 unused-suppression']);
    expect(findings[0].message).toBe('port-db-ignore-file sql-session suppresses nothing in this file; remove it');
  });

  it('is not honoured inside a string', () => {
    const text = "const s = '// port-db-ignore-file row-lock';\nq.with_for_update();\n";
    expect(brief(scan(text))).toEqual(['2:3 row-lock']);
  });
});
