/** Runs `fn` over `items` with at most `n` in flight; every item runs, the first error is rethrown after. */
export async function forEachLimited<T>(items: readonly T[], n: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0
  const errors: unknown[] = []
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++]!
      try {
        await fn(item)
      } catch (e) {
        errors.push(e)
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, worker))
  if (errors.length) throw errors[0]
}
