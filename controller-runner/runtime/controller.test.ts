import { pino } from 'pino'
import { describe, expect, it } from 'vitest'
import { Controller, parseKey, requestKey } from './controller.ts'
import { flush, ManualClock } from '../../test/support/manual-clock.ts'
import type { ControllerMetrics, Outcome } from './metrics.ts'
import { TerminalError, type Request, type Result } from './types.ts'

function harness(reconcile: (req: Request) => Promise<Result | void>, workers = 1) {
  const clock = new ManualClock(0)
  const outcomes: string[] = []
  const metrics: ControllerMetrics = { reconciled: (_c, o: Outcome) => void outcomes.push(o), queueDepth: () => {} }
  const term = new AbortController()
  const c = new Controller({ name: 't', reconciler: { reconcile }, workers, clock, logger: pino({ level: 'silent' }), metrics, signal: term.signal })
  c.start()
  return { clock, outcomes, term, c }
}

describe('Controller', () => {
  it('maps results to the queue in one place: ok, requeueAfter, terminal, retry with backoff', async () => {
    const calls: string[] = []
    let failures = 2
    const { clock, outcomes, c } = harness(async ({ name }) => {
      calls.push(`${name}@${clock.now()}`)
      if (name === 'later') return { requeueAfter: 1000 }
      if (name === 'bad') throw new TerminalError('bad spec')
      if (name === 'flaky' && failures-- > 0) throw new Error('conflict')
    })
    for (const name of ['ok', 'later', 'bad', 'flaky']) c.enqueue({ name })
    await clock.advance(0)
    expect(outcomes).toEqual(['success', 'requeue_after', 'terminal', 'error'])
    // flaky retries after 5 ms, then 10 ms; later comes back at 1 s; ok and bad never again.
    await clock.advance(5)
    await clock.advance(10)
    await clock.advance(1000)
    expect(calls).toEqual(['ok@0', 'later@0', 'bad@0', 'flaky@0', 'flaky@5', 'flaky@15', 'later@1000'])
    expect(c.queue.retries('flaky')).toBe(0)
    await c.stop()
  })

  it('never reconciles one key concurrently, and reprocesses a key changed mid-reconcile', async () => {
    let running = 0
    let maxRunning = 0
    const gates: (() => void)[] = []
    const { c } = harness(async () => {
      running++
      maxRunning = Math.max(maxRunning, running)
      await new Promise<void>((r) => gates.push(r))
      running--
    }, 4)
    c.enqueue({ namespace: 'ns', name: 'a' })
    await flush()
    c.enqueue({ namespace: 'ns', name: 'a' })
    c.enqueue({ namespace: 'ns', name: 'a' })
    await flush()
    expect(gates.length).toBe(1)
    gates.shift()!()
    await flush()
    expect(gates.length).toBe(1)
    gates.shift()!()
    await flush()
    expect(gates.length).toBe(0)
    expect(maxRunning).toBe(1)
    await c.stop()
  })

  it('does not retry work that failed because the leadership term ended', async () => {
    const { clock, outcomes, term, c } = harness(async () => {
      term.abort()
      throw new Error('aborted')
    })
    c.enqueue({ name: 'x' })
    await clock.advance(10_000)
    expect(outcomes).toEqual([])
    await c.stop()
  })

  it('keys round-trip', () => {
    expect(parseKey(requestKey({ namespace: 'n', name: 'a' }))).toEqual({ namespace: 'n', name: 'a' })
    expect(parseKey(requestKey({ name: 'a' }))).toEqual({ name: 'a' })
  })
})
