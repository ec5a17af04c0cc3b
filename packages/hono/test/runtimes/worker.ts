import { makeApp } from './app.js'

interface Env {
  UPSTREAM: string
}
let app: ReturnType<typeof makeApp> | undefined

export default {
  fetch(request: Request, env: Env, ctx: { waitUntil(p: Promise<unknown>): void }) {
    app ??= makeApp(env.UPSTREAM)
    return app.fetch(request, env, ctx as never)
  },
}
