import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderMarkdown } from '../src/report/markdown.js';
import type { PortReport } from '../src/report/model.js';
import { FIXTURES } from './helpers.js';

// The golden report of the Nova sample, with what a fallback of the native checker adds.
const report = (): PortReport => JSON.parse(readFileSync(join(FIXTURES, 'nova', 'nova', 'db', 'discovery', 'port-report.json'), 'utf8'));

describe('the type check in the reports', () => {
  it('says how many manual diagnostics are pinned, and why the checker fell back', () => {
    const r = report();
    r.verify!.note = 'tsc rejected the tsconfig (baseUrl); checked with TypeScript 6\'s checker instead';
    const md = renderMarkdown(r);
    expect(md).toContain(`${r.verify!.pinned} of them pinned with \`// @ts-expect-error port-db: manual\``);
    expect(md).toContain("Note: tsc rejected the tsconfig (baseUrl); checked with TypeScript 6's checker instead.");
    delete r.verify!.note;
    expect(renderMarkdown(r)).not.toContain('Note:');
  });
});
