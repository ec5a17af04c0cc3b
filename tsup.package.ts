import { defineConfig, type Options } from 'tsup'

/** The build every package shares: ESM and CJS with their `.d.ts`, for Node 20. */
export const sharedOptions = {
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: { compilerOptions: { stripInternal: true } },
  clean: true,
  sourcemap: true,
  target: 'node20',
} satisfies Options

export default defineConfig(sharedOptions)
