import { describe, expectTypeOf, it } from 'vitest'
import {
  type ClientOptions,
  createClient,
  DEFAULT_RETRY,
  IDEMPOTENT_METHODS,
  type MooringClient,
  type MooringRequestInfo,
  type MooringRequestInit,
  type MooringResponse,
} from '../src/index.js'
import { appTransport, type InProcessTransport, type MockCall, mockTransport } from '../src/testing.js'

describe('core types', () => {
  it('a client and its scope have the same surface', () => {
    const client = createClient({ baseUrl: 'http://127.0.0.1:1' })
    expectTypeOf(client).toEqualTypeOf<MooringClient>()
    expectTypeOf(client.scope()).toEqualTypeOf<MooringClient>()
    expectTypeOf(client.get('/')).toEqualTypeOf<Promise<MooringResponse>>()
    expectTypeOf<Parameters<MooringClient['get']>[1]>().toEqualTypeOf<MooringRequestInit | undefined>()
  })

  it('the request types are named apart from the DOM globals', () => {
    expectTypeOf<MooringRequestInit>().not.toEqualTypeOf<RequestInit>()
    expectTypeOf<MooringRequestInfo>().toEqualTypeOf<{ method: string; url: string }>()
  })

  it('exported defaults are read-only', () => {
    expectTypeOf(IDEMPOTENT_METHODS).toEqualTypeOf<ReadonlySet<string>>()
    // @ts-expect-error a ReadonlySet has no add
    IDEMPOTENT_METHODS.add('POST')
    // @ts-expect-error the policy's fields are read-only
    DEFAULT_RETRY.limit = 5
  })

  it('options that must not compile', () => {
    // @ts-expect-error timeouts are numbers of milliseconds
    const wrongTimeout: ClientOptions = { timeout: { total: '10s' } }
    // @ts-expect-error an unknown option is a type error, not only a ConfigError at run time
    const unknownOption: ClientOptions = { baseURL: 'http://x' }
    // @ts-expect-error retry is a boolean or an object
    const wrongRetry: ClientOptions = { retry: 3 }
    void [wrongTimeout, unknownOption, wrongRetry]
  })

  it('the test transports come from @mooring/core/testing', () => {
    expectTypeOf(mockTransport(() => ({ json: {} })).calls).toEqualTypeOf<readonly MockCall[]>()
    expectTypeOf(appTransport(() => new Response('ok'))).toMatchTypeOf<InProcessTransport>()
  })
})
