import { defineConfig, mergeConfig } from 'vitest/config';
import base from './vitest.config';

/**
 * `npm run test:quick`: the suites that take seconds, for the edit-and-test loop (under a minute on
 * this 2-core machine). `npm test` (and CI, .ci/run) runs everything. Left out here, each for what
 * makes it slow (README, Development):
 */
export const SLOW = [
  // run scenarios on both sides (sql.js and the in-memory ROME, every schedule of the concurrent
  // groups), type-checking the scenarios and starting bin/port-db for each run
  'test/equiv/equiv-cli.test.ts',
  'test/equiv/samples.test.ts',
  'test/equiv/sql-samples.test.ts',
  'test/equiv/mutants.test.ts',
  'test/equiv/lock-mutants.test.ts',
  // the same on a redis-server and a 3-master cluster, concurrent groups from node processes
  'test/equiv/equiv-rome-redis.test.ts',
  // type-check whole sample trees with both compilers (TypeScript 6 in JS: seconds a tree)
  'test/verify/checkers.test.ts',
  'test/verify/verify.test.ts',
  // start bin/port-db dozens of times (the compiler loads in each), the compile cache cold on purpose;
  // port a whole sample and start bin/port-db beside it (--wire, the library against the CLI)
  'test/cli.test.ts',
  'test/compile-cache.test.ts',
  'test/wire.test.ts',
  'test/api.test.ts',
  // port fuzzed modules
  'test/safety/fuzz-quick.test.ts',
  // npm pack, npm install of the tarball in a scratch project, and the package used from there
  'test/pack.test.ts',
  // both packages packed, installed in a scratch project, the ported nova sample compiled there and
  // run with node on a redis-server
  'test/rome-orm-pack.test.ts',
];

export default mergeConfig(base, defineConfig({ test: { exclude: SLOW } }));
