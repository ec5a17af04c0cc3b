// Imports a dependency the way a given workspace package sees it, so the benchmark uses the very
// instance a plugin uses (undici from core, express from @mooring/express, @nestjs/* from
// @mooring/nest): under pnpm the root does not see those, and a second copy of Nest would break its
// DI. Needs --experimental-import-meta-resolve (startChild passes it).
const ROOT = new URL('../../', import.meta.url)

/** `import(specifier)` as resolved from `packages/<pkg>`. */
export function importFrom(pkg, specifier) {
  const parent = new URL(`packages/${pkg}/package.json`, ROOT)
  return import(import.meta.resolve(specifier, parent))
}
