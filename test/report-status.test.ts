import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { renderSummary } from '../src/report/summary.js';
import { renderMarkdown } from '../src/report/markdown.js';
import { FIXTURES, portText } from './helpers.js';
import { glanceTree, runPort } from './safety/helpers.js';

const plain = { yellow: (s: string) => s, green: (s: string) => s, red: (s: string) => s, bold: (s: string) => s, dim: (s: string) => s } as never;
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('a function copied byte for byte is unchanged', () => {
  it('a create of a model without a unique key keeps its record, not the status ported', () => {
    const source = readFileSync(join(FIXTURES, 'nova', 'nova', 'db', 'sqlalchemy', 'api.ts'), 'utf8');
    const { report } = portText(source);
    const f = report.functions.find((x) => x.name === 'instance_fault_create')!;
    expect(f.changes.map((c) => c.kind)).toEqual(['create-lock']);
    expect(f.status).toBe('unchanged');
    // and every function reported ported has a text that changed
    expect(report.summary.unchanged).toBe(report.functions.filter((x) => x.status === 'unchanged').length);
    // PORT-REPORT.md lists it as copied, with the reason nothing was needed
    const md = renderMarkdown(report);
    expect(md).not.toContain('### instance_fault_create');
    expect(md).toMatch(/^- `instance_fault_create`: `create-lock` \(line \d+\): models\.InstanceFault \(instance_faults\) has no unique key/m);
  });
});

describe('the summary of a run that changes nothing', () => {
  it('says up to date, not ported', () => {
    const dir = glanceTree();
    dirs.push(dir);
    expect(renderSummary(runPort([dir]), plain)).toMatch(/^port-db: ported 1 module \(rules: default\)\n/);
    const again = renderSummary(runPort([dir]), plain);
    expect(again).toMatch(/^port-db: up to date: 1 module, nothing changed \(rules: default\)\n/);
    expect(again).toMatch(/glance\/db\/discovery\/api\.ts \(up to date\)\n/);
    expect(renderSummary(runPort([dir], { dryRun: true }), plain)).toMatch(/^port-db: up to date \(dry run\): 1 module, nothing would change/);
  });
});
