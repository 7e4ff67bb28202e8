import { resolve } from 'node:path';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Heavy numeric tests share two cores; forks keep wasm heaps isolated per file.
    pool: 'forks',
    maxWorkers: 2,
    // Tests bring their own (scratch) weights: the project's shipped weights must not change what
    // they see. Tests of the shipped weights themselves clear this.
    env: { DURN_WEIGHTS_DIR: resolve(import.meta.dirname, 'test/helpers/no-shipped-weights') },
  },
});
