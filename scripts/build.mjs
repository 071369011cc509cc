#!/usr/bin/env node
// `npm run build`: compiles src/ to dist/ with the pinned TypeScript, copies src/ts.cjs (the one
// CommonJS module: tsc compiles only .ts files here; its types are in src/ts.d.cts), and writes
// the help texts to dist/help.json.
import { execFileSync } from 'node:child_process';
import { copyFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
execFileSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
copyFileSync(join(root, 'src', 'ts.cjs'), join(root, 'dist', 'ts.cjs'));

// help texts: bin/port-db prints them without loading the CLI (src/cli.ts, helpOutputs)
const { helpOutputs } = await import(pathToFileURL(join(root, 'dist', 'cli.js')).href);
writeFileSync(join(root, 'dist', 'help.json'), `${JSON.stringify(await helpOutputs(), null, 2)}\n`);
