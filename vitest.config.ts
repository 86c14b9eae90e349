import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    // Browser tests poll the study file after each UI step; a loaded 2-core CI machine needs more than 1 s.
    expect: { poll: { timeout: 10_000, interval: 50 } },
    hookTimeout: 120_000,
    // Native addons (better-sqlite3, tfjs-node) and wasm are safest in forked processes.
    pool: 'forks',
    maxWorkers: 2
  }
})
