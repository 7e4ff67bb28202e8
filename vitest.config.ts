import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Heavy numeric tests share two cores; forks keep wasm heaps isolated per file.
    pool: 'forks',
    maxWorkers: 2,
  },
});
