import { makeApp } from './app.js'

declare const Bun: {
  serve(options: { port: number; hostname: string; fetch: (r: Request) => Response | Promise<Response> }): {
    port: number
  }
}
const app = makeApp(process.env.UPSTREAM!)
const server = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: app.fetch })
console.log(`listening ${server.port}`)
