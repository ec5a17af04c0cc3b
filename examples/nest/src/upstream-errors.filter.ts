import { HttpStatusError, MooringError, TimeoutError } from '@mooring/core'
import { type ArgumentsHost, Catch, type ExceptionFilter, Inject } from '@nestjs/common'
import { HttpAdapterHost } from '@nestjs/core'

/** The body of a failed search: what went wrong upstream, nothing of the request's credentials. */
export interface UpstreamFailure {
  error: string
  code: string
  upstreamStatus?: number
  attempts: number
}

/** A TMDB call that failed is the caller's 504 when it timed out, 502 otherwise. */
@Catch(MooringError)
export class UpstreamErrorsFilter implements ExceptionFilter<MooringError> {
  constructor(@Inject(HttpAdapterHost) private readonly adapterHost: HttpAdapterHost) {}

  catch(err: MooringError, host: ArgumentsHost): void {
    const body: UpstreamFailure = { error: 'the TMDB search failed', code: err.code, attempts: err.attempts }
    if (err instanceof HttpStatusError) body.upstreamStatus = err.status
    const status = err instanceof TimeoutError ? 504 : 502
    // The adapter's reply: the same filter serves the Express and the Fastify platform.
    this.adapterHost.httpAdapter.reply(host.switchToHttp().getResponse(), body, status)
  }
}
