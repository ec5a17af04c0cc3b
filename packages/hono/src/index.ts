export { HonoMooring, mooring } from './mooring.js'
export type { ClosingServer, MooringEnv, MooringOptions, MooringVariables } from './mooring.js'
export { DownstreamClosedError } from '@mooring/core'
export type { MooringClient } from '@mooring/core'
