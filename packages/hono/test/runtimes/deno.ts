import { makeApp } from './app.js'

declare const Deno: {
  env: { get(name: string): string | undefined }
  serve(
    options: { port: number; hostname: string; onListen(addr: { port: number }): void },
    handler: (r: Request) => Response | Promise<Response>,
  ): unknown
}
const app = makeApp(Deno.env.get('UPSTREAM')!)
Deno.serve(
  { port: 0, hostname: '127.0.0.1', onListen: ({ port }) => console.log(`listening ${port}`) },
  app.fetch,
)
