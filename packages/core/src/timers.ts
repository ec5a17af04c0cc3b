/**
 * Lets a timer not keep the process alive, where timers can (Node, Bun, Deno return objects with
 * `unref`); workerd's timers are plain numbers, and a Worker has no process to keep alive.
 */
export function unrefTimer(timer: unknown): void {
  ;(timer as { unref?: () => void } | null)?.unref?.()
}
