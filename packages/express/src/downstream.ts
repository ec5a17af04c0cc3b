import type { ServerResponse } from 'node:http'

/** The reason a request's upstream calls are aborted with when its own client goes away. */
export class DownstreamClosed extends Error {
  override name = 'DownstreamClosed'
  constructor() {
    super('the inbound connection closed before the response was sent')
  }
}

/**
 * Calls `teardown` once the exchange is over, however it ended: the response's 'close' fires after
 * 'finish' and on a dropped connection alike. `aborted` tells which: a 'close' before the response
 * was finished means the downstream client left. The request's own 'close' says nothing here: it
 * also fires as soon as its body has been read, while the handler is still at work.
 */
export function onExchangeEnd(res: ServerResponse, teardown: (aborted: boolean) => void): void {
  const end = () => teardown(!res.writableFinished)
  // The connection can drop before the middleware runs; 'close' has then already been emitted.
  if (res.closed) end()
  else res.once('close', end)
}
