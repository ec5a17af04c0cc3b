import { defineConfig } from 'tsup'
import { sharedOptions } from '../../tsup.package'

// Three entries, `.`, `./testing` and `./otel`, split into shared chunks in both formats, so the test
// transports and the client share one copy of the error classes (`instanceof ConfigError` holds).
export default defineConfig({
  ...sharedOptions,
  entry: ['src/index.ts', 'src/testing.ts', 'src/otel.ts'],
  splitting: true,
})
