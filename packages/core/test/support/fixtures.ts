import { type ClientOptions, createClient, type MooringClient } from '@mooring/core'
import { onTestFinished } from 'vitest'
import {
  type HangingUpstream,
  type SilentServer,
  startHangingUpstream,
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
  /** An upstream that never answers `/hang…` and answers the rest with `answer`, closed when the test finishes. */
  hanging(answer?: UpstreamHandler): Promise<HangingUpstream>
  /** A TCP server that never answers, closed when the test finishes. */
  silent(): Promise<SilentServer>
  /** A client, destroyed when the test finishes (after the test's own close, if any). */
  client(options?: ClientOptions): MooringClient
}

/**
 * Closes `item` when the test that made it finishes, even when it fails: what a test opened is closed
 * in the reverse order, the last first. Call it from inside a test or a beforeEach.
 */
export function closeWhenDone<T extends { close(): Promise<unknown> }>(
  item: T,
  onFinished: OnFinished = onTestFinished,
): T {
  onFinished(async () => {
    await item.close()
  })
  return item
}

/**
 * Servers and clients that clean up after the test that made them, even when it fails. Concurrent
 * tests pass their context's `onTestFinished`; the global one serves sequential tests.
 */
export function fixtures(onFinished: OnFinished = onTestFinished): Fixtures {
  return {
    async upstream(handler) {
      return closeWhenDone(await startUpstream(handler), onFinished)
    },
    async hanging(answer) {
      return closeWhenDone(await startHangingUpstream(answer), onFinished)
    },
    async silent() {
      return closeWhenDone(await startSilentServer(), onFinished)
    },
    client(options) {
      const c = createClient(options)
      onFinished(() => c.destroy())
      return c
    },
  }
}

/** For sequential tests: call from inside a test (or a beforeEach). */
export const { upstream, hanging, silent, client } = fixtures()
