import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Native addons (better-sqlite3, tfjs-node) and wasm are safest in forked processes.
    pool: 'forks',
    maxWorkers: 2
  }
})
