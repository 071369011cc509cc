// Mutation testing of src/rewriters and src/analyzer: `npm run mutation`, on demand, not in CI.
// Narrow it to one file with `npm run mutation -- --mutate src/rewriters/transaction.ts`.
// docs/MUTATION.md has the times, scores and surviving mutants.
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  packageManager: 'npm',
  testRunner: 'vitest',
  // Only the fast in-process test files run (vitest.mutation.config.ts lists them): the CLI tests
  // run bin/port-db, which loads the built dist/, and Stryker mutates src/ only, so in its sandbox
  // they would test an unmutated build, cost seconds per mutant and kill nothing.
  vitest: { configFile: 'vitest.mutation.config.ts' },
  // The check's vocabulary moved into src/analyzer (the layers: test/meta-layers.test.ts) stays out,
  // as it was when it lived in src/check.
  mutate: [
    'src/rewriters/**/*.ts',
    'src/analyzer/**/*.ts',
    '!src/analyzer/{specifiers,sql-classifier,directives,check-rules,check-types}.ts',
  ],
  coverageAnalysis: 'perTest',
  // Stryker puts `// @ts-nocheck` atop every TypeScript file of its sandbox by default, fixtures
  // included, and the golden tests then see every line one lower: only src/ needs it.
  disableTypeChecks: 'src/**/*.{ts,cts}',
  // The machine has 2 cores and is shared: two test processes at most.
  concurrency: 2,
  reporters: ['html', 'json', 'clear-text', 'progress'],
  htmlReporter: { fileName: 'reports/mutation/mutation.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
};
