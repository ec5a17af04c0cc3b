export { HonoMooring, mooring } from './mooring.js'
export type { MooringEnv, MooringOptions, MooringVariables } from './mooring.js'
export * from './core-exports.js'
