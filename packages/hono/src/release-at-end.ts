/**
 * `body`, read through: `release` runs once it has been read to the end, failed, or been cancelled
 * by whoever sends it (the runtime cancels it when the downstream client goes away). A streaming
 * handler (`stream()`, `streamSSE()`, a proxied upstream body) keeps calling upstream after it has
 * returned its Response, so its client must live until then. Pulls one chunk per read, so no more
 * is buffered than the runtime asks for.
 */
export function releaseAtEnd(
  body: ReadableStream<Uint8Array>,
  release: () => void,
): ReadableStream<Uint8Array> {
  const reader = body.getReader()
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        let chunk: ReadableStreamReadResult<Uint8Array>
        try {
          chunk = await reader.read()
        } catch (err) {
          release()
          controller.error(err)
          return
        }
        if (chunk.done) {
          release()
          controller.close()
        } else controller.enqueue(chunk.value)
      },
      cancel(reason) {
        release()
        return reader.cancel(reason)
      },
    },
    { highWaterMark: 0 },
  )
}
