import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url))

/**
 * Node 20 does not run TypeScript, and forked processes do not get vitest's aliases: the worker is
 * bundled (CommonJS, with @mooring/* from the sources, as the tests see them) into node_modules/.cache.
 */
export async function bundleWorker(): Promise<string> {
  const outfile = here('../../node_modules/.cache/mooring-redis-test/worker.cjs')
  await build({
    entryPoints: [here('./worker.ts')],
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    outfile,
    logLevel: 'error',
    alias: {
      '@mooring/core': here('../../../core/src/index.ts'),
      '@mooring/redis': here('../../src/index.ts'),
    },
  })
  return outfile
}
