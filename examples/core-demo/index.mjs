// A first look at @mooring/core: an app client over one pool, and a scope per unit of work.
// Until `pnpm demo` grows the full framework demo, this runs against a local upstream.
import { createServer } from 'node:http'
import { once } from 'node:events'
import { createClient } from '@mooring/core'

const server = createServer((req, res) => {
  res.setHeader('content-type', 'application/json')
  res.end(JSON.stringify({ path: req.url, requestId: req.headers['x-request-id'] ?? null }))
})
let connections = 0
server.on('connection', () => connections++)
server.listen(0, '127.0.0.1')
await once(server, 'listening')
const baseUrl = `http://127.0.0.1:${server.address().port}`

const client = createClient({ baseUrl, limits: { connections: 4 } })
for (let i = 0; i < 20; i++) {
  const scope = client.scope({ headers: { 'x-request-id': `req-${i}` } })
  const res = await scope.get('/search', { query: { q: 'the wire' } })
  const body = await res.json()
  if (i % 5 === 0) console.log(`request ${i}: ${res.status}`, body)
  await scope.close()
}
console.log('stats:', JSON.stringify(client.stats().origins[baseUrl]))
await client.close()
server.close()
console.log(`20 scoped requests used ${connections} upstream connection(s); client closed, sockets released.`)
