interface Held {
  what: string
  stack: string
}

const registry = new FinalizationRegistry<Held>(({ what, stack }) => {
  process.emitWarning(
    `A Mooring ${what} was garbage-collected without close(); its connections stay open until they idle out. Close it (or use \`await using\`). Created ${stack}`,
    { type: 'MooringUnclosedClientWarning', code: 'MOORING_UNCLOSED' },
  )
})

/**
 * Like Python's ResourceWarning for an unclosed client: warns, with where it was created, when a
 * client that owns a pool is collected unclosed. It closes nothing itself: the pool may still be
 * serving requests that outlived their client, and closing behind the user's back hides the bug.
 */
export function trackUnclosed(owner: object, what: string, site: Error = new Error()): void {
  // `site` is where the owner was made: its first lines are `Error`, this function (or the
  // constructor) and the factory. Read as a string here: an unformatted stack may hold the owner.
  const stack = site.stack?.split('\n').slice(3).join('\n').trim() ?? ''
  registry.register(owner, { what, stack: stack ? `at:\n${stack}` : '(no stack)' }, owner)
}

export function untrackUnclosed(owner: object): void {
  registry.unregister(owner)
}
