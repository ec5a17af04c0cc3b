import { makeApp } from './app.js'

interface Env {
  UPSTREAM: string
}
let app: ReturnType<typeof makeApp> | undefined
/** Promises the app handed to `ctx.waitUntil`: a request scope's teardown, once its response is done. */
let waitedFor = 0

export default {
  fetch(request: Request, env: Env, ctx: { waitUntil(p: Promise<unknown>): void }) {
    if (new URL(request.url).pathname === '/wait-until') return Response.json({ waitedFor })
    app ??= makeApp(env.UPSTREAM)
    const counted = {
      waitUntil(promise: Promise<unknown>) {
        waitedFor++
        ctx.waitUntil(promise)
      },
      passThroughOnException() {},
    }
    return app.fetch(request, env, counted as never)
  },
}
