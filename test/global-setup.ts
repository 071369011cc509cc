import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';

/** CLI tests run bin/port-db, which loads dist/: build it once so they never test a stale build. */
export default function setup(): void {
  execFileSync(process.execPath, [resolve(__dirname, '..', 'scripts', 'build.mjs')], { cwd: resolve(__dirname, '..'), stdio: 'inherit' });
}
