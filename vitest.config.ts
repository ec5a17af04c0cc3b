import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

const src = (pkg: string) => fileURLToPath(new URL(`./packages/${pkg}/src/index.ts`, import.meta.url))

const coreVersion = (
  JSON.parse(readFileSync(new URL('./packages/core/package.json', import.meta.url), 'utf8')) as {
    version: string
  }
).version

export default defineConfig({
  // What tsup defines in the build: the default User-Agent's version (core's src/features/user-agent.ts).
  define: { __MOORING_VERSION__: JSON.stringify(coreVersion) },
  resolve: {
    // Tests run against the sources, so a change in core is seen by the plugins without a rebuild.
    alias: {
      '@mooring/core/testing': fileURLToPath(new URL('./packages/core/src/testing.ts', import.meta.url)),
      '@mooring/core/otel': fileURLToPath(new URL('./packages/core/src/otel.ts', import.meta.url)),
      '@mooring/core': src('core'),
      '@mooring/express': src('express'),
      '@mooring/fastify': src('fastify'),
      '@mooring/hono': src('hono'),
      '@mooring/nest': src('nest'),
      '@mooring/redis': src('redis'),
    },
  },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'examples/*/test/**/*.test.ts'],
    // Soaks, the fault matrix and other long runs: `pnpm test:soak` (vitest.soak.config.ts).
    exclude: ['**/node_modules/**', '**/*.soak.test.ts'],
    // Type tests (`*.test-d.ts`): `pnpm test:types`; `pnpm typecheck` compiles them too.
    typecheck: { include: ['packages/*/test/**/*.test-d.ts'], tsconfig: './tsconfig.json' },
    testTimeout: 20_000,
    hookTimeout: 20_000,
    pool: 'forks',
    // Three workers on this 2-core machine: the fast tests mostly wait on sockets and timers, so one
    // worker per spare core (vitest's default, 1 here) left the CPU idle: 98 s against 45 s.
    maxWorkers: 3,
  },
})
