/** The demo's progress as one line: a bar on a terminal, one summary line elsewhere. */
export function progressLine(options: {
  runs: number
  requests: number
  tty: boolean
  write: (text: string) => void
  now?: () => number
  width?: number
}): {
  update(label: string, done: number, ok: number): void
  end(): void
}
