/**
 * The demo's progress as one line. On a terminal, a bar rewritten in place (at most every 100 ms):
 * all runs together, then the current app. Elsewhere (CI logs), nothing while it runs and one
 * summary line at the end, so a log is not a page of counters.
 *
 * `runs` apps × `requests` searches each; `write` is where the text goes (process.stdout.write).
 */
export function progressLine({ runs, requests, tty, write, now = Date.now, width = 24 }) {
  const total = runs * requests
  let finished = 0 // searches of the runs already done
  let okBefore = 0
  let shownAt = Number.NEGATIVE_INFINITY
  let last = { done: 0, ok: 0 }

  function render(label, done, ok) {
    const sent = finished + done
    const filled = Math.round((sent / total) * width)
    const bar = `${'#'.repeat(filled)}${'-'.repeat(width - filled)}`
    const percent = String(Math.floor((sent / total) * 100)).padStart(3)
    return `[${bar}] ${percent}% ${sent}/${total} searches, ${okBefore + ok} ok · ${label} ${done}/${requests}`
  }

  return {
    /** The demo's `onProgress(label, done, ok, total)`. */
    update(label, done, ok) {
      last = { done, ok }
      const runEnded = done === requests
      if (tty && (runEnded || now() - shownAt >= 100)) {
        shownAt = now()
        write(`\r${render(label, done, ok)}\x1b[K`)
      }
      if (runEnded) {
        finished += requests
        okBefore += ok
        last = { done: 0, ok: 0 }
      }
    },
    /** Ends the line: a newline after the bar, or the one summary line. */
    end() {
      const sent = finished + last.done
      const ok = okBefore + last.ok
      if (tty) write('\n')
      else write(`${sent}/${total} searches sent across ${runs} app runs, ${ok} answered 200\n`)
    },
  }
}
