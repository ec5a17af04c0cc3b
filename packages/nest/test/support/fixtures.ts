import type { MooringClient, MooringError, TimeoutError } from '@mooring/core'
import {
  InjectRegistration,
  InjectClient,
  InjectRequestClient,
  type NestMooring,
  RequestClient,
} from '@mooring/nest'
import {
  type CallHandler,
  Controller,
  type DynamicModule,
  Get,
  Inject,
  Injectable,
  Module,
  type NestInterceptor,
  Param,
  RequestTimeoutException,
  Scope,
  UseInterceptors,
} from '@nestjs/common'
import { catchError, type Observable, TimeoutError as RxTimeoutError, throwError, timeout } from 'rxjs'

export interface Echo {
  url: string
  headers: Record<string, string | undefined>
}

/** A service with no `req`: it reaches the current request's client through the injected one. */
@Injectable()
export class EchoService {
  constructor(@InjectClient() readonly http: MooringClient) {}

  async echo(path: string): Promise<Echo> {
    const res = await this.http.get(path)
    return res.json<Echo>()
  }
}

@Controller()
export class CallController {
  constructor(
    @InjectClient() private readonly http: MooringClient,
    @Inject(EchoService) private readonly service: EchoService,
  ) {}

  @Get('call/:i')
  async call(@Param('i') i: string): Promise<Echo> {
    const res = await this.http.get(`/call/${i}`)
    return res.json<Echo>()
  }

  @Get('service')
  service_(): Promise<Echo> {
    return this.service.echo('/service')
  }

  @Get('throw')
  async throws(): Promise<never> {
    await (await this.http.get('/throw')).text()
    throw new Error('the handler failed')
  }

  /** A slow call then a quick one: the second is sent only once the first has come back. */
  @Get('slow-then-quick')
  async slowThenQuick(): Promise<{ statuses?: number[]; error?: string }> {
    try {
      const slow = await this.http.get('/slow')
      await slow.text()
      const quick = await this.http.get('/quick')
      await quick.text()
      return { statuses: [slow.status, quick.status] }
    } catch (err) {
      return { error: (err as Error).name }
    }
  }

  @Get('slow')
  async slow(): Promise<{ status?: number; error?: string; phase?: string; ms: number }> {
    const started = Date.now()
    try {
      const res = await this.http.get('/slow')
      await res.text()
      return { status: res.status, ms: Date.now() - started }
    } catch (err) {
      const e = err as MooringError & Partial<TimeoutError>
      return { error: e.name, phase: e.phase, ms: Date.now() - started }
    }
  }
}

/** A request-scoped controller that takes this request's client itself. */
@Controller({ path: 'request-scoped', scope: Scope.REQUEST })
export class RequestScopedController {
  constructor(
    @InjectRequestClient() private readonly client: MooringClient,
    @InjectRegistration() private readonly registration: NestMooring,
  ) {}

  @Get()
  async get(): Promise<Echo & { isCurrent: boolean; isAppClient: boolean }> {
    const res = await this.client.get('/request-scoped')
    const echo = await res.json<Echo>()
    return {
      ...echo,
      isCurrent: this.client === this.registration.current(),
      isAppClient: this.client === this.registration.client,
    }
  }
}

/** Takes this request's client from the request, as an app with the context off must. */
@Controller('request-client')
export class RequestClientController {
  constructor(
    @InjectRequestClient() private readonly client: MooringClient,
    @InjectRegistration() private readonly registration: NestMooring,
  ) {}

  @Get()
  async get(): Promise<Echo & { isAppClient: boolean }> {
    const echo = await (await this.client.get('/request-client')).json<Echo>()
    return { ...echo, isAppClient: this.client === this.registration.client }
  }
}

@Controller('param-client')
export class ParamClientController {
  constructor(@InjectRegistration() private readonly registration: NestMooring) {}

  @Get()
  async get(
    @RequestClient() client: MooringClient,
  ): Promise<Echo & { isAppClient: boolean; closed: boolean }> {
    const echo = await (await client.get('/param-client')).json<Echo>()
    return { ...echo, isAppClient: client === this.registration.client, closed: client.closed }
  }
}

/** Answers 408 when the handler takes more than 100 ms, leaving the handler's work behind. */
@Injectable()
class HandlerTimeout implements NestInterceptor {
  intercept(_context: unknown, next: CallHandler): Observable<unknown> {
    return next.handle().pipe(
      timeout(100),
      catchError((err: unknown) =>
        throwError(() => (err instanceof RxTimeoutError ? new RequestTimeoutException() : err)),
      ),
    )
  }
}

@Controller('timed-out')
export class TimedOutController {
  constructor(@InjectClient() private readonly http: MooringClient) {}

  @Get()
  @UseInterceptors(HandlerTimeout)
  async get(): Promise<string> {
    return (await this.http.get('/slow')).text()
  }
}

/** An app module around the given registrations, with the test controllers and service. */
export function appModule(
  imports: DynamicModule[],
  controllers: Array<new (...args: never[]) => unknown> = [CallController],
): new () => unknown {
  @Module({ imports, controllers, providers: [EchoService] })
  class AppModule {}
  return AppModule
}
