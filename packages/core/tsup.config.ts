import { readFileSync } from 'node:fs'
import { defineConfig } from 'tsup'
import { sharedOptions } from '../../tsup.package'

const { version } = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')) as {
  version: string
}

// Two entries, `.` and `./testing`, split into shared chunks in both formats, so the test
// transports and the client share one copy of the error classes (`instanceof ConfigError` holds).
export default defineConfig({
  ...sharedOptions,
  entry: ['src/index.ts', 'src/testing.ts'],
  splitting: true,
  // The default User-Agent's version, fixed at build time (src/features/user-agent.ts).
  define: { __MOORING_VERSION__: JSON.stringify(version) },
})
