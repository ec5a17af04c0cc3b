import {
  DUPLICATE_HEADER,
  type InboundDelivery,
  type WebhookGuardOptions,
  webhookGuardCore,
} from './webhook.js'

// Each adapter is a few lines over webhookGuardCore, typed by the shape it uses (no framework is
// imported: this package depends on none, and the plugins stay as they are).

interface ExpressLikeResponse {
  statusCode: number
  headersSent: boolean
  writableFinished: boolean
  once(event: 'close', listener: () => void): unknown
  status(code: number): this
  setHeader(name: string, value: string): unknown
  json(body: unknown): unknown
  end(): unknown
}

/** Express route middleware: `app.post('/webhooks/stripe', express.json(), webhookGuard({ … }), handler)`. */
export function expressWebhookGuard(options: WebhookGuardOptions) {
  const guard = webhookGuardCore(options)
  return (request: InboundDelivery, response: ExpressLikeResponse, next: (error?: unknown) => void): void => {
    guard(request, () => {
      next()
      // Whatever the handler does, the response closes: finished (its status), or cut (a failure).
      return new Promise<number>((resolve) =>
        response.once('close', () => resolve(response.writableFinished ? response.statusCode : 500)),
      )
    }).then((verdict) => {
      if (verdict.kind === 'handled' || response.headersSent) return
      if (verdict.kind === 'duplicate') {
        response.setHeader(DUPLICATE_HEADER, 'true')
        response.status(verdict.status).end()
      } else response.status(verdict.status).json({ error: verdict.message })
    }, next)
  }
}

interface FastifyLikeRequest extends InboundDelivery {}
interface FastifyLikeReply {
  readonly statusCode: number
  code(status: number): this
  header(name: string, value: string): this
  send(payload?: unknown): this
}

/**
 * Fastify route hooks: `app.post('/webhooks/stripe', { ...fastifyWebhookGuard({ … }) }, handler)`.
 * `preHandler` claims the delivery and lets the handler run; `onResponse` records its status.
 */
export function fastifyWebhookGuard(options: WebhookGuardOptions) {
  const guard = webhookGuardCore(options)
  const finishing = new WeakMap<object, (status: number) => void>()
  return {
    preHandler(request: FastifyLikeRequest, reply: FastifyLikeReply): Promise<unknown> {
      return new Promise((resolve, reject) => {
        guard(request, () => {
          const answered = new Promise<number>((finish) => finishing.set(request, finish))
          resolve(undefined) // on to the handler
          return answered
        }).then((verdict) => {
          if (verdict.kind === 'handled') return
          if (verdict.kind === 'duplicate') reply.code(verdict.status).header(DUPLICATE_HEADER, 'true').send()
          else reply.code(verdict.status).send({ error: verdict.message })
          resolve(reply)
        }, reject)
      })
    },
    async onResponse(request: FastifyLikeRequest, reply: FastifyLikeReply): Promise<void> {
      finishing.get(request)?.(reply.statusCode)
      finishing.delete(request)
    },
  }
}

interface HonoLikeContext {
  readonly req: { header(): Record<string, string>; json(): Promise<unknown> }
  readonly res: Response
  readonly error: Error | undefined
  body(data: null, status: number, headers?: Record<string, string>): Response
  json(data: unknown, status: number): Response
}

/**
 * Hono middleware: `app.post('/webhooks/stripe', honoWebhookGuard({ … }), handler)`. With
 * `{ body: field }` it reads the JSON body (Hono caches it, so the handler can read it again).
 */
export function honoWebhookGuard(options: WebhookGuardOptions) {
  const guard = webhookGuardCore(options)
  const needsBody = typeof options.key === 'object' && options.key !== null && 'body' in options.key
  return async (c: HonoLikeContext, next: () => Promise<void>): Promise<Response | undefined> => {
    const body = needsBody ? await c.req.json().catch(() => undefined) : undefined
    const verdict = await guard({ headers: c.req.header(), body }, async () => {
      await next()
      return c.error ? 500 : c.res.status
    })
    if (verdict.kind === 'handled') return undefined
    if (verdict.kind === 'duplicate') return c.body(null, verdict.status, { [DUPLICATE_HEADER]: 'true' })
    return c.json({ error: verdict.message }, verdict.status)
  }
}
