import { createClient } from '@mooring/core'
import { appTransport, mockTransport } from '@mooring/core/testing'
import { mooring } from '@mooring/express'
import express from 'express'
import { expect, it } from 'vitest'

it('answers from a mock TMDB, called in process', async () => {
  // TMDB is a mock: the app's client sends to it, through the plugin's `transport` option.
  const tmdb = mockTransport(() => ({ json: { results: [{ id: 7, name: 'The Harbor' }] } }))
  const http = mooring({
    baseUrl: 'https://api.themoviedb.org/3',
    headers: { authorization: 'Bearer token' },
    propagate: ['x-request-id'],
    transport: tmdb,
  })
  const app = express()
  app.use(http.middleware)
  app.get('/movies/search', async (req, res) => {
    const found = await req.http.get('/search/tv', { query: { query: String(req.query.q) } })
    res.json(await found.json())
  })

  // The test calls the app in process: no port, no socket.
  const client = createClient({ baseUrl: 'http://app.test', transport: appTransport(app) })
  const res = await client.get('/movies/search', {
    query: { q: 'harbor' },
    headers: { 'x-request-id': 'r-1' },
  })

  expect(await res.json()).toEqual({ results: [{ id: 7, name: 'The Harbor' }] })
  expect(tmdb.calls[0]).toMatchObject({
    url: 'https://api.themoviedb.org/3/search/tv?query=harbor',
    headers: { authorization: 'Bearer token', 'x-request-id': 'r-1' },
  })
  await client.close()
  await http.close()
})
