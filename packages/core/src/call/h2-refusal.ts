/**
 * Whose HTTP/2 refusal is it? A stream the server refused (RST_STREAM(REFUSED_STREAM), or past a
 * GOAWAY's last-stream-id) gets an error object of its own from Node, delivered by undici to its one
 * request. But undici 7 also hands that same object on: `abort(err)` in client-h2.js calls
 * `client[kOnError](err)`, which, once a GOAWAY has left no request counted as running, fails every
 * request still queued on the client with it, streams nginx is serving among them. Node's
 * `session.destroy(err)` likewise gives all its streams one object. So a refusal is proof for a call
 * only when the call was its sole recipient. undici hands it on synchronously, so the calls count
 * recipients per error object and decide at the next `setImmediate`, once the fan-out is over. This
 * costs nothing until such an error arrives.
 */

/** A call waiting to learn whether its refusal was its own. */
export interface RefusalWaiter {
  /** @internal The fan-out is over: `provedOwn` now answers for the call's error. */
  _refusalVerdict(): void
}

/** Recipients per refusal error object; a WeakMap, so the errors are not kept. */
const recipients = new WeakMap<object, number>()
let waiting: RefusalWaiter[] = []

function flush(): void {
  const calls = waiting
  waiting = []
  for (const call of calls) call._refusalVerdict()
}

/** Counts `call` as a recipient of `err` and calls it back once undici has handed `err` to all it will. */
export function awaitRefusalVerdict(call: RefusalWaiter, err: unknown): void {
  if (typeof err === 'object' && err !== null) recipients.set(err, (recipients.get(err) ?? 0) + 1)
  if (waiting.length === 0) setImmediate(flush)
  waiting.push(call)
}

/** `err` went to exactly one call, which waited for the verdict: that call's own stream was refused. */
export function provedOwn(err: unknown): boolean {
  return typeof err === 'object' && err !== null && recipients.get(err) === 1
}
