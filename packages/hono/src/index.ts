export { mooring } from './mooring.js'
export type { HonoMooring, MooringEnv, MooringOptions, MooringVariables } from './mooring.js'
export type { MooringClient } from '@mooring/core'
