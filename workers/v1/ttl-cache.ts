// Answers `/v1` remembers per isolate — discovery, columns, access decisions, RoleBinding indexes — each
// for a fixed time and in a bounded number. Only settled values are kept, never promises: a promise
// started by one request and awaited by another would hang the second if the first were cancelled.

export class TtlCache<V> {
  private readonly entries = new Map<string, { at: number; value: V }>()

  constructor(
    /** How long an answer is used, from when it was asked for. */
    readonly ttlMs: number,
    /** Entries kept; the least recently used goes first. */
    readonly max: number,
  ) {}

  get size(): number {
    return this.entries.size
  }

  get(key: string, now = Date.now()): V | undefined {
    const hit = this.entries.get(key)
    if (!hit) return undefined
    this.entries.delete(key)
    if (now - hit.at >= this.ttlMs) return undefined
    // Map order is insertion order: re-inserting makes it the most recently used.
    this.entries.set(key, hit)
    return hit.value
  }

  /** `at`: when the answer was asked for, so it expires no later than one asked for then would. */
  set(key: string, value: V, at = Date.now()): void {
    this.entries.delete(key)
    this.entries.set(key, { at, value })
    while (this.entries.size > this.max) this.entries.delete(this.entries.keys().next().value!)
  }

  /** The cached answer, or `load()`'s, remembered. */
  async through(key: string, load: () => Promise<V>, now = Date.now()): Promise<V> {
    const hit = this.get(key, now)
    if (hit !== undefined) return hit
    const value = await load()
    this.set(key, value, now)
    return value
  }

  clear(): void {
    this.entries.clear()
  }
}

/** `fn` over `items` with at most `limit` calls in flight (a Worker may hold six connections per request). */
export async function mapLimited<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length)
  let next = 0
  const worker = async () => {
    while (next < items.length) {
      const i = next++
      out[i] = await fn(items[i] as T)
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
  return out
}
