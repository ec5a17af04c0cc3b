import { defineConfig } from 'vitest/config'
import fast from './vitest.config.ts'

/**
 * `pnpm test:soak`: the long runs kept out of `pnpm test` (soaks through real apps, the fault
 * matrix on raw sockets), named `*.soak.test.ts`, with the fast suite's aliases and timeouts.
 */
export default defineConfig({
  ...fast,
  test: {
    ...fast.test,
    include: ['packages/*/test/**/*.soak.test.ts', 'examples/*/test/**/*.soak.test.ts'],
    exclude: ['**/node_modules/**'],
    // One at a time: each soak loads the machine on its own, and their load floors assume it.
    maxWorkers: 1,
  },
})
