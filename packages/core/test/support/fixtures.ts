import { type ClientOptions, createClient, type MooringClient } from '@mooring/core'
import { onTestFinished } from 'vitest'
import {
  type SilentServer,
  startSilentServer,
  startUpstream,
  type Upstream,
  type UpstreamHandler,
} from './upstream.js'

/** Vitest's `onTestFinished`, from the test context when tests run concurrently. */
export type OnFinished = (fn: () => Promise<void>) => void

export interface Fixtures {
  /** A node:http upstream, closed when the test finishes. */
  upstream(handler?: UpstreamHandler): Promise<Upstream>
  /** A TCP server that never answers, closed when the test finishes. */
  silent(): Promise<SilentServer>
  /** A client, destroyed when the test finishes (after the test's own close, if any). */
  client(options?: ClientOptions): MooringClient
}

/**
 * Servers and clients that clean up after the test that made them, even when it fails. Concurrent
 * tests pass their context's `onTestFinished`; the global one serves sequential tests.
 */
export function fixtures(onFinished: OnFinished = onTestFinished): Fixtures {
  return {
    async upstream(handler) {
      const u = await startUpstream(handler)
      onFinished(() => u.close())
      return u
    },
    async silent() {
      const s = await startSilentServer()
      onFinished(() => s.close())
      return s
    },
    client(options) {
      const c = createClient(options)
      onFinished(() => c.destroy())
      return c
    },
  }
}

/** For sequential tests: call from inside a test. */
export const { upstream, silent, client } = fixtures()
