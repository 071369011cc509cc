#!/usr/bin/env node
// `npm run build`: compiles src/ to dist/ with the pinned TypeScript, then copies src/ts.cjs,
// the one CommonJS module (tsc compiles only .ts files here; its types are in src/ts.d.cts).
import { execFileSync } from 'node:child_process';
import { copyFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
execFileSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
copyFileSync(join(root, 'src', 'ts.cjs'), join(root, 'dist', 'ts.cjs'));
