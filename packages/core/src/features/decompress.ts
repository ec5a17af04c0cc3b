import * as zlib from 'node:zlib'
import type { Dispatcher } from 'undici'
// A namespace, read when a client is made (see cache.ts): what Bun's undici shim lacks fails no import.
import * as undici from 'undici'

type Controller = Dispatcher.DispatchController

/**
 * What the client asks for: the encodings undici's decompress interceptor decodes on this Node
 * (zstd from Node 22.15 / 23.8, where zlib has it).
 */
export const ACCEPT_ENCODING =
  typeof (zlib as { createZstdDecompress?: unknown }).createZstdDecompress === 'function'
    ? 'gzip, deflate, br, zstd'
    : 'gzip, deflate, br'

const EXPERIMENTAL = 'DecompressInterceptor is experimental'

/**
 * undici's decompress interceptor, decoding every status (error bodies too, so an HttpStatusError's
 * body reads as text). undici prints an ExperimentalWarning the first time one is made: Mooring
 * turns decoding on by default and tests it (test/features/decompress.test.ts), so that one
 * warning, which the app did not ask for and cannot act on, is held back; any other goes through.
 */
export function decompressInterceptor(): Dispatcher.DispatcherComposeInterceptor {
  const emitWarning = process.emitWarning
  process.emitWarning = function (this: NodeJS.Process, warning: string | Error, ...rest: unknown[]) {
    const text = typeof warning === 'string' ? warning : warning?.message
    if (typeof text === 'string' && text.startsWith(EXPERIMENTAL)) return
    return (emitWarning as (...a: unknown[]) => void).call(this, warning, ...rest)
  } as typeof process.emitWarning
  try {
    return undici.interceptors.decompress({ skipErrorResponses: false })
  } finally {
    process.emitWarning = emitWarning
  }
}

/** What a decoded body is handed to: the Call whose response is encoded. */
export interface DecodedBodyReceiver {
  /** The decoder of the attempt being read; a sink whose decoder is no longer it stays silent. */
  _decoder: Dispatcher.DispatchHandler | null
  _decodedHead(
    controller: Controller,
    statusCode: number,
    headers: Record<string, string | string[] | undefined>,
    statusMessage: string,
  ): void
  _decodedData(chunk: Buffer): void
  _decodedEnd(): void
  _decodedError(err: Error): void
}

/** The end of undici's decoding handler: what it decodes goes back to the Call. */
class DecodedBodySink implements Dispatcher.DispatchHandler {
  decoder: Dispatcher.DispatchHandler | null = null
  readonly #receiver: DecodedBodyReceiver
  constructor(receiver: DecodedBodyReceiver) {
    this.#receiver = receiver
  }
  onRequestStart(): void {}
  onResponseStart(
    controller: Controller,
    statusCode: number,
    headers: Record<string, string | string[] | undefined>,
    statusMessage?: string,
  ): void {
    this.#receiver._decodedHead(controller, statusCode, headers, statusMessage ?? '')
  }
  onResponseData(_controller: Controller, chunk: Buffer): void {
    if (this.#receiver._decoder === this.decoder) this.#receiver._decodedData(chunk)
  }
  onResponseEnd(): void {
    if (this.#receiver._decoder === this.decoder) this.#receiver._decodedEnd()
  }
  onResponseError(_controller: Controller, err: Error): void {
    if (this.#receiver._decoder === this.decoder) this.#receiver._decodedError(err)
  }
}

type Dispatch = (options: object, handler: Dispatcher.DispatchHandler) => unknown
let decompressing: Dispatch | null = null
let made: Dispatcher.DispatchHandler | null = null
/** In place of a dispatch: hands back the handler undici's interceptor made. */
const keepHandler = (_options: object, handler: Dispatcher.DispatchHandler): boolean => {
  made = handler
  return true
}
const NO_OPTIONS = {}

/**
 * Starts decoding an encoded response: undici's decompress handler, made for this response only.
 * Decoding is decided per response, where `content-encoding` is, rather than by an interceptor that
 * wraps every request: a response that is not encoded (most of them, between services) costs one
 * header read. The handler comes from undici's own interceptor, dispatched onto `keepHandler`, so
 * undici's decoder does the work (encoding lists, the five-encodings cap, backpressure, zstd).
 * Returns the decoder, already past the head: the Call hands it the raw body, the sink gets it decoded.
 */
export function startDecoding(
  receiver: DecodedBodyReceiver,
  controller: Controller,
  statusCode: number,
  headers: Record<string, string | string[] | undefined>,
  statusMessage: string,
): Dispatcher.DispatchHandler {
  decompressing ??= decompressInterceptor()(keepHandler as Dispatcher['dispatch']) as Dispatch
  const sink = new DecodedBodySink(receiver)
  decompressing(NO_OPTIONS, sink)
  const decoder = made!
  made = null
  sink.decoder = decoder
  receiver._decoder = decoder
  decoder.onRequestStart!(controller, {})
  decoder.onResponseStart!(controller, statusCode, headers, statusMessage)
  return decoder
}

/** zlib's (`Z_DATA_ERROR`), brotli's (`ERR__ERROR_FORMAT_…`) and zstd's error codes: a body that does not decode. */
export function isDecodeError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code
  return (
    typeof code === 'string' &&
    (code.startsWith('Z_') || code.startsWith('ERR__') || code.startsWith('ZSTD_'))
  )
}
