export { ExpressMooring, mooring } from './plugin.js'
export type { MooringExpressOptions } from './plugin.js'
export * from './core-exports.js'
