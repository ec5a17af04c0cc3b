// NestJS 11 on platform-express: `MooringModule.forRoot(opts)` and `@InjectClient()` in a singleton
// controller, against the same controller with a plain undici Pool provider. Decorators are applied
// by hand (Reflect.decorate) since this file is plain JavaScript.
import { importFrom } from '../../lib/resolve.mjs'
import { handPool, pluginOptions } from './hand.mjs'

const UPSTREAM = 'BenchUpstream'

export async function start({ variant, upstreamUrl, connections }) {
  await importFrom('nest', 'reflect-metadata')
  const { Controller, Get, Inject, Module } = await importFrom('nest', '@nestjs/common')
  let RequestClient
  const { NestFactory } = await importFrom('nest', '@nestjs/core')

  let imports = []
  let providers = []
  let token = UPSTREAM
  let closeClient = async () => {}
  let call
  if (variant === 'hand') {
    const upstream = await handPool(upstreamUrl, connections)
    providers = [{ provide: UPSTREAM, useValue: upstream }]
    closeClient = upstream.close
    call = (upstream) => upstream.fetchJson()
  } else {
    const nest = await import('@mooring/nest')
    const { MooringModule, getClientToken } = nest
    RequestClient = nest.RequestClient
    imports = [MooringModule.forRoot(pluginOptions(variant, upstreamUrl, connections))]
    token = getClientToken()
    call = async (http) => await (await http.get('/json')).json()
  }

  class ProxyController {
    constructor(upstream) {
      this.upstream = upstream
    }
    async proxy(http) {
      return await call(http ?? this.upstream)
    }
  }
  Inject(token)(ProxyController, undefined, 0)
  // `@RequestClient()` on the handler's parameter: the request's client, no context needed.
  if (variant === 'request-param') RequestClient()(ProxyController.prototype, 'proxy', 0)
  Reflect.decorate(
    [Get('proxy')],
    ProxyController.prototype,
    'proxy',
    Object.getOwnPropertyDescriptor(ProxyController.prototype, 'proxy'),
  )
  const BenchController = Reflect.decorate([Controller()], ProxyController)
  const AppModule = Reflect.decorate(
    [Module({ imports, controllers: [BenchController], providers })],
    class AppModule {},
  )

  const app = await NestFactory.create(AppModule, { logger: false })
  await app.listen(0, '127.0.0.1')
  return {
    port: app.getHttpServer().address().port,
    async close() {
      app.getHttpServer().closeAllConnections?.()
      await app.close()
      await closeClient()
    },
  }
}
