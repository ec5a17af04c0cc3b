import type { Express } from 'express'
import { closeWhenDone } from '../../../core/test/support/fixtures.js'
import { type Served, served } from '../../../core/test/support/http.js'
import { type ExpressMooring, mooring } from '../../src/index.js'

/** Starts `app` on 127.0.0.1 on a free port; closed when the test finishes. */
export async function serve(app: Express): Promise<Served> {
  return closeWhenDone(await served(app.listen(0, '127.0.0.1')))
}

/** `mooring(options)`, closed when the test finishes. */
export function register<const Name extends string = 'http'>(
  options: Parameters<typeof mooring<Name>>[0],
): ExpressMooring<Name> {
  return closeWhenDone(mooring<Name>(options))
}
