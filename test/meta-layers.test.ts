import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative, sep } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers.js';

/**
 * The layout (issue 16 §7): the commands are folders (src/port, src/check, src/equiv) over shared
 * layers, lowest first: src/analyzer, src/rewriters, then src/verify and src/report. No layer
 * imports a command or a layer above it, and no command imports another: a type lives with the
 * lowest code that needs it. The small shared files at the top of src/ (errors.ts, format.ts,
 * rules.ts, ts.cjs, ...) import no command; src/cli.ts is the entry and may import anything;
 * src/index.ts (the library, `import { port } from 'port-db'`) may import anything but the CLI.
 */
const COMMANDS = ['port', 'check', 'equiv'];
const FORBIDDEN: Record<string, string[]> = {
  analyzer: ['rewriters', 'verify', 'report', ...COMMANDS, 'cli'],
  rewriters: ['verify', 'report', ...COMMANDS, 'cli'],
  verify: [...COMMANDS, 'cli'],
  report: [...COMMANDS, 'cli'],
  port: ['check', 'equiv', 'cli'],
  check: ['port', 'equiv', 'cli'],
  equiv: ['port', 'check', 'cli'],
  shared: [...COMMANDS, 'cli', 'index'],
  index: ['cli'],
};

const SRC = join(ROOT, 'src');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : /\.(ts|cts|mts)$/.test(e.name) ? [join(dir, e.name)] : [],
  );
}

/** The layer of a file under src/: its folder, `cli` for src/cli.ts, `index` for src/index.ts, `shared` for the other top-level files. */
function layerOf(file: string): string {
  const parts = relative(SRC, file).split(sep);
  if (parts.length > 1) return parts[0];
  const name = parts[0].replace(/\.[^.]+$/, '');
  return name === 'cli' || name === 'index' ? name : 'shared';
}

/** Relative module specifiers of a file: static and dynamic imports, `export ... from`, type-position `import('...')`. */
function specifiers(text: string): string[] {
  return [...text.matchAll(/(?:\bfrom|\bimport\s*\(|^\s*import)\s*['"](\.\.?\/[^'"]+)['"]/gm)].map((m) => m[1]);
}

/** Every import between two layers: [from file, layer, to file, layer]. */
function edges(): Array<{ from: string; fromLayer: string; to: string; toLayer: string }> {
  return sources(SRC).flatMap((file) =>
    specifiers(readFileSync(file, 'utf8')).map((spec) => {
      const to = normalize(join(dirname(file), spec));
      return { from: relative(ROOT, file), fromLayer: layerOf(file), to: relative(ROOT, to), toLayer: layerOf(to) };
    }),
  );
}

describe('layers', () => {
  const all = edges();

  it('reads the import graph (sanity: rewriters import the analyzer, the port imports the rewriters)', () => {
    expect(all.some((e) => e.fromLayer === 'rewriters' && e.toLayer === 'analyzer')).toBe(true);
    expect(all.some((e) => e.fromLayer === 'port' && e.toLayer === 'rewriters')).toBe(true);
    expect(all.some((e) => e.fromLayer === 'report' && e.toLayer === 'report')).toBe(true);
  });

  it('no layer imports a command or a layer above it, and no command imports another', () => {
    const upward = all
      .filter((e) => e.fromLayer !== e.toLayer && (FORBIDDEN[e.fromLayer] ?? []).includes(e.toLayer))
      .map((e) => `${e.from} (${e.fromLayer}) imports ${e.to} (${e.toLayer})`);
    expect(upward).toEqual([]);
  });

  it('every folder under src/ has a place in the layers', () => {
    const folders = readdirSync(SRC, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
    expect(folders.filter((f) => !(f in FORBIDDEN)).sort()).toEqual([]);
  });

  it('the port command is a folder: none of its modules is left at the top of src/', () => {
    const top = readdirSync(SRC).filter((f) => /\.ts$/.test(f));
    for (const f of ['run.ts', 'port-module.ts', 'port-models.ts', 'merge.ts', 'wire.ts']) expect(top).not.toContain(f);
  });
});
