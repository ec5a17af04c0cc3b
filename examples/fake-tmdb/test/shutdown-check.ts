import { get } from 'node:http'
import type { RegistrationStats } from '@mooring/core'
import { type FakeTmdb, SHOWS, startFakeTmdb } from '@mooring/example-fake-tmdb'
import { afterEach, describe, expect, it } from 'vitest'

/** What every example's `startServer` returns. */
export interface ShutdownTarget {
  url: string
  stats(): RegistrationStats
  close(): Promise<void>
}

export type StartServer = (options: { tmdb: FakeTmdb; port: number }) => Promise<ShutdownTarget>

/** A GET on a connection of its own (no keep-alive), so the server is not held open by the test. */
function getOnce(url: string): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    get(url, { agent: false }, (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => {
        text += chunk
      })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }))
      res.on('error', reject)
    }).on('error', reject)
  })
}

async function until(predicate: () => boolean, what: string): Promise<void> {
  for (const started = Date.now(); !predicate(); await new Promise((r) => setTimeout(r, 10))) {
    if (Date.now() - started > 2_000) throw new Error(`timed out waiting for ${what}`)
  }
}

/**
 * The shutdown test every example runs on real sockets: the app listens on 127.0.0.1, a search is in
 * flight when it is shut down the way SIGTERM shuts it down, the search finishes, and then the client
 * and every upstream socket are closed.
 */
export function describeShutdown(startServer: StartServer): void {
  let fake: FakeTmdb | undefined
  let server: ShutdownTarget | undefined

  afterEach(async () => {
    await server?.close()
    await fake?.close()
    server = fake = undefined
  })

  describe('shutdown', () => {
    it('lets an in-flight search finish, then closes the client and every upstream socket', async () => {
      fake = await startFakeTmdb({ latency: [150, 150] })
      server = await startServer({ tmdb: fake, port: 0 })
      const search = getOnce(`${server.url}/movies/search?q=tide`)
      await until(() => fake!.stats().requests === 1, 'the search to reach fake-tmdb')

      const closing = server.close()
      const res = await search
      await closing

      expect(res.status).toBe(200)
      expect(res.body).toEqual(
        SHOWS.filter((show) => show.name.includes('Tide'))
          .slice(0, 20)
          .map((show) => ({ id: show.id, title: show.name })),
      )
      expect(server.stats()).toMatchObject({ scopesOpened: 1, scopesClosed: 1, inFlight: 0 })
      expect(await fake.waitForOpen(0)).toBe(true)
      await expect(getOnce(`${server.url}/movies/search?q=tide`)).rejects.toThrow(/ECONNREFUSED/)
    })
  })
}
