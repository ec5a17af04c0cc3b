import type { Server } from 'node:http'
import { type HonoMooring, type MooringOptions, mooring } from '@mooring/hono'
import { type Http2Bindings, type HttpBindings, serve } from '@hono/node-server'
import { closeWhenDone } from '../../../core/test/support/fixtures.js'
import { type Served, served } from '../../../core/test/support/http.js'

/** Serves `app` with @hono/node-server on 127.0.0.1, on a free port; closed when the test finishes. */
export async function serveApp(app: {
  fetch: (request: Request, env: HttpBindings | Http2Bindings) => Response | Promise<Response>
}): Promise<Served> {
  return closeWhenDone(await served(serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }) as Server))
}

/** `mooring(options)`, closed when the test finishes. */
export function register<const Name extends string = 'http'>(
  options: MooringOptions<Name> = {},
): HonoMooring<Name> {
  return closeWhenDone(mooring<Name>(options))
}
