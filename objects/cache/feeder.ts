// Keeps one type's index current: a paged LIST, then a WATCH from the list's resourceVersion with
// bookmarks, re-watched from the newest revision applied whenever the server ends it. A 410 Gone (the
// revision was compacted away, as a response or as a watch ERROR event) means re-list: every object
// the new list does not have is removed. Anything else — the tunnel down, the apiserver failing — is
// retried after a capped backoff, from the revision already stored, so an object evicted from memory
// or a dropped agent costs a re-watch, not a re-list.
import { isGone, type KubeClient } from '../../protocol/kube/index.ts'
import { listTablePage, watchTable } from './table.ts'
import type { TypeIndex } from './type-index.ts'

/** `refused`: the type has more objects than one index keeps; it is answered through the tunnel. */
export type FeedState = 'listing' | 'watching' | 'waiting' | 'stopped' | 'refused'

export interface FeederOptions {
  /** Objects per LIST page: one page is in memory at a time. */
  pageSize: number
  /** The server ends each watch after about this long (jittered), as client-go's reflector does. */
  watchSeconds: number
  /** The wait after the n-th failure in a row. */
  retryDelayMs: (attempt: number) => number
  /** Objects of one type an index keeps; a type with more is refused (storage stays bounded). */
  maxObjects: number
}

export const FEEDER_DEFAULTS: FeederOptions = {
  pageSize: 500,
  watchSeconds: 300,
  retryDelayMs: (attempt) => Math.min(30_000, 500 * 2 ** Math.min(attempt, 6)) * (0.5 + Math.random() / 2),
  maxObjects: 100_000,
}

class TooManyObjects extends Error {}

/** A watch that ends sooner than this having brought nothing did not really watch (see run()). */
const QUICK_WATCH_MS = 1000

export interface FeederStatus {
  state: FeedState
  /** The last failure, until the next success. */
  error: string | undefined
  /** Full lists done (the first included). */
  lists: number
}

export class Feeder {
  private readonly stopped = new AbortController()
  private state: FeedState = 'listing'
  private error: string | undefined
  private lists = 0
  private waiters: (() => void)[] = []

  constructor(
    private readonly index: TypeIndex,
    private readonly client: () => KubeClient,
    private readonly opts: FeederOptions = FEEDER_DEFAULTS,
  ) {}

  start(): this {
    const refused = this.index.refused
    if (refused === undefined) {
      void this.run()
    } else {
      this.state = 'refused'
      this.error = refused
    }
    return this
  }

  stop(): void {
    this.state = 'stopped'
    this.stopped.abort(new Error('feeder stopped'))
    this.wake()
  }

  status(): FeederStatus {
    return { state: this.state, error: this.error, lists: this.lists }
  }

  /** Resolves once the type is listed (or the feeder stops), or after `ms`. */
  listed(ms: number): Promise<void> {
    if (this.index.listed || this.stopped.signal.aborted || this.state === 'refused') return Promise.resolve()
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms)
      this.waiters.push(() => {
        clearTimeout(timer)
        resolve()
      })
    })
  }

  private wake(): void {
    const waiters = this.waiters
    this.waiters = []
    for (const w of waiters) w()
  }

  private async run(): Promise<void> {
    const signal = this.stopped.signal
    let relist = !this.index.listed || !this.index.revision
    let failures = 0
    while (!signal.aborted) {
      try {
        if (relist) {
          await this.list(signal)
          relist = false
        }
        const started = Date.now()
        const events = await this.watch(signal)
        if (events === 0 && Date.now() - started < QUICK_WATCH_MS) {
          // A watch that ends at once with nothing (a proxy or server misbehaving) must not become a busy
          // loop through the tunnel: it waits as a failure does.
          this.state = 'waiting'
          await sleep(this.opts.retryDelayMs(failures++), signal)
          continue
        }
        failures = 0
        this.error = undefined
      } catch (e) {
        if (signal.aborted) break
        this.error = e instanceof Error ? e.message : String(e)
        if (e instanceof TooManyObjects) {
          this.index.refuse(e.message)
          this.state = 'refused'
          this.wake()
          return
        }
        if (isGone(e)) {
          relist = true
          continue
        }
        this.state = 'waiting'
        await sleep(this.opts.retryDelayMs(failures++), signal)
      }
    }
  }

  private async list(signal: AbortSignal): Promise<void> {
    this.state = 'listing'
    const gen = this.index.beginList()
    let cont: string | undefined
    let revision = ''
    do {
      const page = await listTablePage(this.client(), this.index.type, { limit: this.opts.pageSize, ...(cont ? { continue: cont } : {}), signal })
      this.index.applyPage(gen, page)
      this.checkSize()
      revision = page.resourceVersion || revision
      cont = page.continue
    } while (cont)
    this.index.finishList(gen, revision)
    this.lists++
    this.wake()
  }

  /** One watch until the server ends it; the number of events it brought. */
  private async watch(signal: AbortSignal): Promise<number> {
    this.state = 'watching'
    const timeoutSeconds = Math.round(this.opts.watchSeconds * (0.8 + Math.random() * 0.4))
    const resourceVersion = this.index.revision ?? ''
    let events = 0
    for await (const ev of watchTable(this.client(), this.index.type, { resourceVersion, timeoutSeconds, signal })) {
      events++
      this.index.event(ev)
      if (ev.type === 'ADDED') this.checkSize()
      this.error = undefined
    }
    return events
  }

  private checkSize(): void {
    if (this.index.size > this.opts.maxObjects) {
      throw new TooManyObjects(`${this.index.type.plural} has more than ${this.opts.maxObjects} objects, more than one list index keeps`)
    }
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms)
    function done() {
      clearTimeout(timer)
      signal.removeEventListener('abort', done)
      resolve()
    }
    signal.addEventListener('abort', done, { once: true })
  })
}
