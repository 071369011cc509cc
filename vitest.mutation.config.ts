import { defineConfig } from 'vitest/config';

/**
 * The vitest config Stryker runs (`npm run mutation`, stryker.config.mjs): the fast in-process
 * test files only, so each mutant costs seconds. Left out:
 * - the CLI tests (test/cli.test.ts, test/wire.test.ts, test/safety/bad-input.test.ts, ...): they
 *   run bin/port-db, which loads the built dist/, and Stryker mutates src/ only, so in its sandbox
 *   they would test an unmutated build and kill nothing (hence no globalSetup build here either);
 * - test/golden.test.ts, test/models.test.ts and test/verify/*: they port whole trees and type-check
 *   at collection time (about 40 s a run on this 2-core machine), and this suite's work done at
 *   collection is "static" to Stryker, so every mutant would run all of them. Per-rewriter fixtures
 *   are what is meant to pin each rewriter down; docs/MUTATION.md says what this leaves out.
 */
export default defineConfig({
  test: {
    include: ['test/rewriters.test.ts', 'test/meta.test.ts', 'test/rules/query-options.test.ts', 'test/report-lines.test.ts'],
    testTimeout: 60_000,
    pool: 'threads',
  },
});
