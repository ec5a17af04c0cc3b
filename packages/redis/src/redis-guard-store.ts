import type { RedisConnection } from './connection.js'
import type { GuardClaim, GuardStore } from './guard-store.js'

// One key per side effect: 'L<token>' while a caller runs it (expires after the lock TTL, so a
// crashed holder's lock goes), 'D<outcome>' once it ran. A second key counts the attempts.
// KEYS[1]: record, KEYS[2]: attempts. ARGV: token, lock TTL, outcome TTL.
const CLAIM = `
local v = redis.call('GET', KEYS[1])
if v then
  if string.sub(v, 1, 1) == 'L' then return {'running'} end
  return {'done', string.sub(v, 2)}
end
redis.call('SET', KEYS[1], 'L' .. ARGV[1], 'PX', ARGV[2])
local n = redis.call('INCR', KEYS[2])
redis.call('PEXPIRE', KEYS[2], math.max(tonumber(ARGV[2]), tonumber(ARGV[3])))
return {'acquired', n}
`
// Each of these acts only if the caller still holds the lock. ARGV[1]: token.
const EXTEND = `
if redis.call('GET', KEYS[1]) == 'L' .. ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
`
const COMPLETE = `
if redis.call('GET', KEYS[1]) == 'L' .. ARGV[1] then
  redis.call('SET', KEYS[1], 'D' .. ARGV[2], 'PX', ARGV[3])
  redis.call('PEXPIRE', KEYS[2], ARGV[3])
  return 1
end
return 0
`
const RELEASE = `
if redis.call('GET', KEYS[1]) == 'L' .. ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`

type Scripted = {
  mooringClaim(
    record: string,
    attempts: string,
    token: string,
    lockTtl: number,
    outcomeTtl: number,
  ): Promise<unknown[]>
  mooringExtend(record: string, token: string, lockTtl: number): Promise<number>
  mooringComplete(
    record: string,
    attempts: string,
    token: string,
    outcome: string,
    ttl: number,
  ): Promise<number>
  mooringRelease(record: string, token: string): Promise<number>
}

export function guardStoreOn(connection: RedisConnection): GuardStore {
  const { redis, prefix } = connection
  if (!('mooringClaim' in redis)) {
    redis.defineCommand('mooringClaim', { numberOfKeys: 2, lua: CLAIM })
    redis.defineCommand('mooringExtend', { numberOfKeys: 1, lua: EXTEND })
    redis.defineCommand('mooringComplete', { numberOfKeys: 2, lua: COMPLETE })
    redis.defineCommand('mooringRelease', { numberOfKeys: 1, lua: RELEASE })
  }
  const scripted = redis as unknown as Scripted
  const record = (key: string) => `${prefix}once:{${key}}`
  return {
    async claim(key, token, lockTtlMs, outcomeTtlMs): Promise<GuardClaim> {
      await connection.starting()
      const base = record(key)
      const [state, value] = await scripted.mooringClaim(base, `${base}:n`, token, lockTtlMs, outcomeTtlMs)
      if (state === 'acquired') return { state, attempt: Number(value) }
      if (state === 'done') return { state, outcome: String(value) }
      return { state: 'running' }
    },
    async extend(key, token, lockTtlMs) {
      return (await scripted.mooringExtend(record(key), token, lockTtlMs)) === 1
    },
    async complete(key, token, outcome, outcomeTtlMs) {
      const base = record(key)
      return (await scripted.mooringComplete(base, `${base}:n`, token, outcome, outcomeTtlMs)) === 1
    },
    async release(key, token) {
      return (await scripted.mooringRelease(record(key), token)) === 1
    },
  }
}
