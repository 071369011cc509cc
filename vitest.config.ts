import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    pool: 'threads',
    globalSetup: ['test/global-setup.ts'],
    // each file gets a temporary folder of its own, and fails when it leaves anything in it
    setupFiles: ['test/setup.ts'],
  },
});
