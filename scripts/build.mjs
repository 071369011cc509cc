#!/usr/bin/env node
// `npm run build`: compiles src/ to dist/ with the pinned TypeScript, copies src/ts.cjs (the one
// CommonJS module: tsc compiles only .ts files here) and its types src/ts.d.cts (the declarations
// of the modules that import it refer to them: the package's types need them), and writes
// the help texts to dist/help.json. `--clean` (npm pack's prepack) empties dist/ first, so that the
// package ships no file a removed source left behind.
import { execFileSync } from 'node:child_process';
import { copyFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { romeOrmTypes } from './rome-orm-types.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
if (process.argv.includes('--clean')) rmSync(join(root, 'dist'), { recursive: true, force: true });
execFileSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
for (const file of ['ts.cjs', 'ts.d.cts']) copyFileSync(join(root, 'src', file), join(root, 'dist', file));

// help texts: bin/port-db prints them without loading the CLI (src/cli.ts, helpOutputs)
const { helpOutputs } = await import(pathToFileURL(join(root, 'dist', 'cli.js')).href);
writeFileSync(join(root, 'dist', 'help.json'), `${JSON.stringify(await helpOutputs(), null, 2)}\n`);
writeFileSync(join(root, 'packages', 'rome-orm', 'index.d.ts'), romeOrmTypes());
