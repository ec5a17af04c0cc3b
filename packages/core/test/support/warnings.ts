import { vi } from 'vitest'

/**
 * Captures the process warnings emitted while a test runs, as the `Error`s Node would print, and
 * keeps them from being printed: a warning a test provokes on purpose is asserted, not shown in a
 * passing run where it would look like a failure. `onWarning` sees each as it comes; `restore()`
 * puts `process.emitWarning` back.
 */
export function captureWarnings(onWarning?: (warning: Error) => void): {
  warnings: Error[]
  restore(): void
} {
  const warnings: Error[] = []
  const spy = vi.spyOn(process, 'emitWarning').mockImplementation(((
    warning: string | Error,
    options?: string | { type?: string; code?: string },
    code?: string,
  ) => {
    if (warning instanceof Error) {
      warnings.push(warning)
      onWarning?.(warning)
      return
    }
    const type = typeof options === 'string' ? options : options?.type
    const error = new Error(warning) as Error & { code?: string }
    error.name = type ?? 'Warning'
    error.code = typeof options === 'string' ? code : options?.code
    warnings.push(error)
    onWarning?.(error)
  }) as typeof process.emitWarning)
  return { warnings, restore: () => spy.mockRestore() }
}
