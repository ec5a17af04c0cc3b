import * as zlib from 'node:zlib'
import { type Dispatcher, interceptors } from 'undici'

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
 * body reads as text). It sits under Mooring's Call, so `maxResponseSize` counts decoded bytes and a
 * bomb is stopped as it inflates; zlib decodes in 16 KiB steps as the Call reads, so memory stays
 * bounded. undici prints an ExperimentalWarning the first time one is made: Mooring turns the
 * interceptor on by default and tests it (test/features/decompress.test.ts), so that one warning,
 * which the app did not ask for and cannot act on, is held back; any other warning goes through.
 */
export function decompressInterceptor(): Dispatcher.DispatcherComposeInterceptor {
  const emitWarning = process.emitWarning
  process.emitWarning = function (this: NodeJS.Process, warning: string | Error, ...rest: unknown[]) {
    const text = typeof warning === 'string' ? warning : warning?.message
    if (typeof text === 'string' && text.startsWith(EXPERIMENTAL)) return
    return (emitWarning as (...a: unknown[]) => void).call(this, warning, ...rest)
  } as typeof process.emitWarning
  try {
    return interceptors.decompress({ skipErrorResponses: false })
  } finally {
    process.emitWarning = emitWarning
  }
}

/** zlib's (`Z_DATA_ERROR`), brotli's (`ERR__ERROR_FORMAT_…`) and zstd's error codes: a body that does not decode. */
export function isDecodeError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code
  return (
    typeof code === 'string' &&
    (code.startsWith('Z_') || code.startsWith('ERR__') || code.startsWith('ZSTD_'))
  )
}
