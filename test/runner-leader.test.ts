import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { devCluster, type DevCluster } from './support/dev-cluster.ts'
import { leaderGauge, leaseHolder, startTestRunner, type RunnerProcess, configMapAnnotations, setAnnotatedValue } from './support/runner-fixture.ts'
import { until } from './support/streams.ts'

// Short timings so the test runs in seconds; assertions use generous deadlines, never tight timings.
const TIMINGS = { leaseDuration: 4, renewDeadline: 3, retryPeriod: 1 }
const NS = 'cattle-system'
const LEASE = 'runner-test'
const COPIED = 'drover.test/copied'
const WRITER = 'drover.test/writer'

describe('drover runner: leader election, failover and stale writes', () => {
  let cluster: DevCluster
  const runners: RunnerProcess[] = []
  const runner = () => {
    const r = startTestRunner(cluster, { leaseName: LEASE, timings: TIMINGS })
    runners.push(r)
    return r
  }
  const alive = () => runners.filter((r) => r.alive())
  const holder = () => leaseHolder(cluster, NS, LEASE)
  const annotations = (name: string) => configMapAnnotations(cluster, name)
  const setValue = (name: string, value: string, extra: Record<string, string> = {}) => setAnnotatedValue(cluster, name, value, extra)
  const waitFor = async <T>(what: string, probe: () => Promise<T>, ok: (v: T) => boolean, timeoutMs: number): Promise<T> => {
    const deadline = Date.now() + timeoutMs
    let last: T
    for (;;) {
      last = await probe()
      if (ok(last)) return last
      if (Date.now() > deadline) throw new Error(`${what}: still ${JSON.stringify(last)} after ${timeoutMs / 1000}s\n${alive().map((r) => r.output().slice(-3000)).join('\n---\n')}`)
      await new Promise((r) => setTimeout(r, 200))
    }
  }
  const byIdentity = async (id: string) => {
    for (const r of runners) if ((await r.ready.catch(() => undefined))?.identity === id) return r
    throw new Error(`no runner with identity ${id}`)
  }

  beforeAll(async () => {
    cluster = await devCluster('runner-le', { mode: 'lite' })
    expect((await cluster.kubectl(['create', 'namespace', NS])).code).toBe(0)
  })
  afterAll(async () => {
    await Promise.all(runners.map((r) => r[Symbol.asyncDispose]()))
    await cluster?.[Symbol.asyncDispose]()
  })

  it('fails with a clear message when the Lease namespace does not exist', async () => {
    const r = startTestRunner(cluster, { leaseName: LEASE, timings: TIMINGS, namespace: 'no-such-ns' })
    const code = await new Promise<number | null>((resolve) => r.child.once('exit', resolve))
    expect(code).toBe(1)
    expect(r.output()).toMatch(/Lease namespace "no-such-ns" does not exist/)
  })

  it('elects exactly one of two runners, which reconciles', async () => {
    const [a, b] = [runner(), runner()]
    const ids = [(await a.ready).identity, (await b.ready).identity]
    const leader = await waitFor('lease holder', holder, (h) => ids.includes(h), 20_000)
    const lead = await byIdentity(leader)
    const follower = lead === a ? b : a
    await waitFor('leader gauge', async () => leaderGauge((await lead.ready).metricsUrl), (v) => v === 1, 10_000)
    expect(await leaderGauge((await follower.ready).metricsUrl)).toBe(0)
    // /readyz once the caches synced; /healthz always.
    expect((await fetch(`${(await follower.ready).metricsUrl}/readyz`)).status).toBe(200)
    expect((await fetch(`${(await follower.ready).metricsUrl}/healthz`)).status).toBe(200)

    await setValue('cm-one', 'v1')
    const ann = await waitFor('annotation', () => annotations('cm-one'), (a) => a[COPIED] === 'v1', 20_000)
    expect(ann[WRITER]).toBe(leader)
    expect(follower.logs().some((l) => l.msg === 'annotator wrote')).toBe(false)
    const metrics = await (await fetch(`${(await lead.ready).metricsUrl}/metrics`)).text()
    expect(metrics).toMatch(/drover_runner_reconcile_total\{controller="configmap-annotator",result="success"\} [1-9]/)
  })

  it('fails over to the other runner after the leader is killed with SIGKILL', async () => {
    const leader = await holder()
    const lead = await byIdentity(leader)
    const other = alive().find((r) => r !== lead)!
    const otherId = (await other.ready).identity
    await lead.kill('SIGKILL')
    await setValue('cm-one', 'v2')
    // A deadline, not a timing assertion (lease 4 s + 2 s is the target): a bound that catches a broken takeover.
    const ann = await waitFor('annotation after failover', () => annotations('cm-one'), (a) => a[COPIED] === 'v2', 20_000)
    expect(ann[WRITER]).toBe(otherId)
    expect(await holder()).toBe(otherId)
  })

  it('a leader paused past its lease stops leading when resumed, and its late write does not land', async () => {
    const stale = await byIdentity(await holder())
    const next = runner()
    const nextId = (await next.ready).identity
    await waitFor('follower cache synced', async () => (await fetch(`${(await next.ready).metricsUrl}/readyz`)).status, (s) => s === 200, 20_000)

    // The stale leader starts a slow reconcile (it read the object, then waits before writing).
    await setValue('cm-slow', 'slow-1', { delayMs: '5000' })
    await until(() => stale.logs().some((l) => l.msg === 'reconcile start' && l.key === 'default/cm-slow'), 20_000)
    stale.signal('SIGSTOP')
    const pausedAt = stale.logs().length
    // The other runner takes the lease once it expires and writes its own identity.
    await waitFor('takeover', holder, (h) => h === nextId, 30_000)
    await waitFor('new leader write', () => annotations('cm-slow'), (a) => a[WRITER] === nextId && a[COPIED] === 'slow-1', 30_000)

    stale.signal('SIGCONT')
    // Well past the moment its delayed write would have been sent, the annotation is still the new leader's.
    const until2 = Date.now() + 6_000
    while (Date.now() < until2) {
      expect((await annotations('cm-slow'))[WRITER]).toBe(nextId)
      await new Promise((r) => setTimeout(r, 150))
    }
    const after = stale.logs().slice(pausedAt)
    expect(after.some((l) => l.msg === 'lost leadership: stopping controllers'), stale.output().slice(-3000)).toBe(true)
    expect(after.some((l) => l.msg === 'annotator write refused' && l.key === 'default/cm-slow')).toBe(true)
    expect(after.some((l) => l.msg === 'annotator wrote')).toBe(false)
    expect(stale.alive()).toBe(true)
    expect(await leaderGauge((await stale.ready).metricsUrl)).toBe(0)
    expect(await holder()).toBe(nextId)
  })

  it('survives the apiserver being unreachable for 30 s and catches up after', async () => {
    const apiserver = cluster.record.components.find((c) => c.name === 'kube-apiserver')
    expect(apiserver).toBeDefined()
    const before = alive()
    expect(before.length).toBeGreaterThanOrEqual(2)
    process.kill(apiserver!.pid, 'SIGSTOP')
    try {
      await new Promise((r) => setTimeout(r, 30_000))
    } finally {
      process.kill(apiserver!.pid, 'SIGCONT')
    }
    expect(before.every((r) => r.alive())).toBe(true)
    await setValue('cm-after', 'recovered')
    const ann = await waitFor('reconcile after the outage', () => annotations('cm-after'), (a) => a[COPIED] === 'recovered', 60_000)
    const ids = await Promise.all(before.map(async (r) => (await r.ready).identity))
    expect(ids).toContain(ann[WRITER])
    expect(before.every((r) => r.alive())).toBe(true)
  })
})
