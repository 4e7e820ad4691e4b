// Issue 16's leader-election faults for the controller runner, on one real management apiserver: a leader
// whose apiserver answers slower than its renew deadline (Toxiproxy latency between that runner and
// kube-apiserver), and replicas whose wall clock is 45 s off (libfaketime, test/support/faketime.ts).
// Same fixtures as runner-leader.test.ts: the test controller signs each write with its identity, so a
// deposed leader's late write would show on the object.
import { readFile, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { devCluster, type DevCluster } from './support/dev-cluster.ts'
import { skewedClockEnv } from './support/faketime.ts'
import { leaderGauge, startTestRunner, type LogLine, type RunnerProcess, type TestRunnerOptions, configMapAnnotations, setAnnotatedValue } from './support/runner-fixture.ts'
import { ToxiproxyServer, type ToxiProxy } from './support/toxiproxy.ts'

// leaseDuration − renewDeadline is the gap between a deposed leader's stop and the earliest takeover;
// 3 s (runner-leader.test.ts has 1 s) so the term-order check holds on a busy machine too.
const TIMINGS = { leaseDuration: 6, renewDeadline: 3, retryPeriod: 1 }
const NS = 'cattle-system'
const COPIED = 'drover.test/copied'
const WRITER = 'drover.test/writer'
/** Added to both directions, so one lease round trip takes 10 s: over the renew deadline and the lease. */
const LATENCY_MS = 5_000
const SKEW_S = 45

describe('drover runner: leader election under a slow apiserver and skewed clocks', () => {
  let cluster: DevCluster
  let toxi: ToxiproxyServer
  let link: ToxiProxy
  let viaProxy: string
  const runners: RunnerProcess[] = []
  const runner = (leaseName: string, opts: Partial<TestRunnerOptions> = {}) => {
    const r = startTestRunner(cluster, { leaseName, timings: TIMINGS, ...opts })
    runners.push(r)
    return r
  }
  const tails = () => runners.filter((r) => r.alive()).map((r) => r.output().slice(-3000)).join('\n---\n')
  const waitFor = async <T>(what: string, probe: () => Promise<T> | T, ok: (v: T) => boolean, timeoutMs: number): Promise<T> => {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const last = await probe()
      if (ok(last)) return last
      if (Date.now() > deadline) throw new Error(`${what}: still ${JSON.stringify(last)} after ${timeoutMs / 1000}s\n${tails()}`)
      await new Promise((r) => setTimeout(r, 200))
    }
  }
  const lease = async (name: string): Promise<{ holder: string; renewTime: number }> => {
    const r = await cluster.kubectl(['get', 'lease', '-n', NS, name, '-o', 'jsonpath={.spec.holderIdentity}|{.spec.renewTime}'])
    const [holder = '', renew = ''] = r.code === 0 ? r.stdout.trim().split('|') : []
    return { holder, renewTime: Date.parse(renew) }
  }
  const holder = async (name: string) => (await lease(name)).holder
  /** Waits until `id` has renewed the Lease over `spans` lease durations (its own clock), failing if anyone else takes it. */
  const heldThrough = async (name: string, id: string, spans: number) => {
    const first = await lease(name)
    expect(first.holder).toBe(id)
    await waitFor(
      `${id} renewing ${name} for ${spans} lease durations`,
      async () => {
        const now = await lease(name)
        expect(now.holder, `the Lease changed hands while its leader was renewing it\n${tails()}`).toBe(id)
        return now.renewTime - first.renewTime
      },
      (renewedFor) => renewedFor >= spans * TIMINGS.leaseDuration * 1000,
      spans * TIMINGS.leaseDuration * 1000 + 30_000,
    )
  }
  const saw = (r: RunnerProcess, leader: string, from = 0) => r.logs().slice(from).some((l) => l.msg === 'new leader observed' && l.leader === leader)
  const led = (r: RunnerProcess, from = 0) => r.logs().slice(from).some((l) => l.msg === 'became leader')
  const metrics = async (r: RunnerProcess) => (await r.ready).metricsUrl
  const annotations = (name: string) => configMapAnnotations(cluster, name)
  const setValue = (name: string, value: string, extra: Record<string, string> = {}) => setAnnotatedValue(cluster, name, value, extra)
  const written = (name: string, value: string, by: string) =>
    waitFor(`${name} annotated with ${value} by ${by}`, () => annotations(name), (a) => a[COPIED] === value && a[WRITER] === by, 40_000)
  /** The runner's own clock, read off its first log line: proves libfaketime took hold before we rely on it. */
  const expectClockOff = async (r: RunnerProcess, seconds: number) => {
    await r.ready
    const started = r.logs().find((l) => l.msg === 'runner started') as LogLine & { time: number }
    const off = started.time - Date.now()
    const message = `the runner's clock should be ${seconds} s off, is ${Math.round(off / 1000)} s: libfaketime did not take hold`
    if (seconds > 0) expect(off, message).toBeGreaterThan((seconds - 15) * 1000)
    else expect(off, message).toBeLessThan((seconds + 15) * 1000)
  }

  beforeAll(async () => {
    ;[cluster, toxi] = await Promise.all([devCluster('runner-faults', { mode: 'lite' }), ToxiproxyServer.start()])
    expect((await cluster.kubectl(['create', 'namespace', NS])).code).toBe(0)
    // A kubeconfig whose server is Toxiproxy in front of kube-apiserver (its certificate names 127.0.0.1).
    const server = new URL(cluster.server)
    link = await toxi.proxy('kube-apiserver', server.host)
    const kubeconfig = await readFile(cluster.kubeconfigPath, 'utf8')
    expect(kubeconfig).toContain(`server: ${cluster.server}`)
    viaProxy = join(dirname(cluster.kubeconfigPath), 'via-toxiproxy.kubeconfig')
    await writeFile(viaProxy, kubeconfig.replace(`server: ${cluster.server}`, `server: https://${link.listen}`), { mode: 0o600 })
  })
  // Each case has its own Lease and runners; none outlives it (the test controller acts on every replica that leads).
  afterEach(async () => {
    await Promise.all(runners.splice(0).map((r) => r[Symbol.asyncDispose]()))
  })
  afterAll(async () => {
    await Promise.all(runners.map((r) => r[Symbol.asyncDispose]()))
    await toxi?.[Symbol.asyncDispose]()
    await cluster?.[Symbol.asyncDispose]()
  })

  it('a leader whose apiserver is slower than its renew deadline steps down, none of its late writes land, and it rejoins as a follower', async () => {
    const LEASE = 'faults-slow'
    const slow = runner(LEASE, { kubeconfigPath: viaProxy })
    const slowId = (await slow.ready).identity
    await waitFor('the runner behind Toxiproxy to lead', () => holder(LEASE), (h) => h === slowId, 30_000)
    const fast = runner(LEASE)
    const fastId = (await fast.ready).identity
    await waitFor('the other runner to follow, caches synced', async () => saw(fast, slowId) && (await fetch(`${await metrics(fast)}/readyz`)).status === 200, (v) => v, 30_000)

    // The leader reads an object and starts a reconcile that writes 9 s later (past its renew deadline).
    await setValue('cm-slow', 'slow-1', { delayMs: '9000' })
    await waitFor('the leader to start reconciling cm-slow', () => slow.logs().some((l) => l.msg === 'reconcile start' && l.key === 'default/cm-slow'), (v) => v, 20_000)
    const [slowMark, fastMark] = [slow.logs().length, fast.logs().length]
    const toxics = await link.addBoth({ type: 'latency', attributes: { latency: LATENCY_MS } })
    try {
      await waitFor('takeover by the runner with a fast apiserver', () => holder(LEASE), (h) => h === fastId, 40_000)
      await written('cm-slow', 'slow-1', fastId)
      const refused = (l: LogLine) => l.msg === 'annotator write refused' && l.key === 'default/cm-slow'
      await waitFor('the deposed leader to try its delayed write', () => slow.logs().slice(slowMark).some(refused), (v) => v, 30_000)
      const slowAfter = slow.logs().slice(slowMark)
      const lost = slowAfter.find((l) => l.msg === 'lost leadership: stopping controllers') as (LogLine & { time: number }) | undefined
      expect(lost?.reason, slow.output().slice(-3000)).toBe('renew deadline passed')
      // The guard refused the delayed write (not the apiserver): it was not sent at all.
      expect(slowAfter.find(refused)?.err).toMatch(/^NotLeaderError/)
      expect(slowAfter.some((l) => l.msg === 'annotator wrote')).toBe(false)
      // Never two leaders: the slow runner's term ended before the other's began (one host clock, both logs).
      const began = fast.logs().slice(fastMark).find((l) => l.msg === 'became leader') as (LogLine & { time: number }) | undefined
      expect(began).toBeDefined()
      expect(lost!.time).toBeLessThan(began!.time)
      expect(await leaderGauge(await metrics(slow))).toBe(0)
      expect(slow.alive()).toBe(true)
    } finally {
      await link.remove(...toxics)
    }

    // Answered promptly again, it sees the new leader and stays a follower while that one renews.
    await waitFor('the slow runner to observe the new leader', () => saw(slow, fastId, slowMark), (v) => v, 30_000)
    await heldThrough(LEASE, fastId, 2)
    expect(led(slow, slowMark)).toBe(false)
    expect(await leaderGauge(await metrics(slow))).toBe(0)
    expect((await annotations('cm-slow'))[WRITER]).toBe(fastId)
    await setValue('cm-after-slow', 'v1')
    await written('cm-after-slow', 'v1', fastId)
  })

  it(`a follower whose clock is ${SKEW_S} s ahead does not take the lease of a leader that renews it`, async () => {
    const LEASE = 'faults-ahead'
    const leader = runner(LEASE)
    const leaderId = (await leader.ready).identity
    await waitFor('the first runner to lead', () => holder(LEASE), (h) => h === leaderId, 30_000)
    const ahead = runner(LEASE, { env: skewedClockEnv(SKEW_S) })
    const aheadId = (await ahead.ready).identity
    await expectClockOff(ahead, SKEW_S)
    await waitFor('the skewed runner to follow', () => saw(ahead, leaderId) || led(ahead), (v) => v, 30_000)
    expect(led(ahead), 'the runner whose clock is ahead took the lease of a leader that renews it').toBe(false)
    // Every renewal it reads is 45 s old by its clock; only its own observation keeps it from taking over.
    await heldThrough(LEASE, leaderId, 2)
    expect(led(ahead)).toBe(false)
    expect(await leaderGauge(await metrics(ahead))).toBe(0)

    // It is a working candidate: with the leader gone it takes over, and its renewals carry its clock.
    await leader.kill('SIGKILL')
    await waitFor('the skewed runner to take over', () => holder(LEASE), (h) => h === aheadId, 30_000)
    expect((await lease(LEASE)).renewTime).toBeGreaterThan(Date.now() + (SKEW_S - 15) * 1000)
  })

  it(`a leader whose clock is ${SKEW_S} s behind keeps its lease and goes on reconciling`, async () => {
    const LEASE = 'faults-behind'
    const behind = runner(LEASE, { env: skewedClockEnv(-SKEW_S) })
    const behindId = (await behind.ready).identity
    await expectClockOff(behind, -SKEW_S)
    await waitFor('the skewed runner to lead', () => holder(LEASE), (h) => h === behindId, 30_000)
    // By any other clock its renewTime reads as expired long ago.
    expect((await lease(LEASE)).renewTime + TIMINGS.leaseDuration * 1000).toBeLessThan(Date.now())
    const follower = runner(LEASE)
    await follower.ready
    await waitFor('the other runner to follow', () => saw(follower, behindId) || led(follower), (v) => v, 30_000)
    expect(led(follower), 'a runner took the lease of a leader whose clock is behind, while it renewed it').toBe(false)
    await heldThrough(LEASE, behindId, 2)
    expect(led(follower)).toBe(false)
    expect(led(behind)).toBe(true)
    expect(behind.logs().some((l) => l.msg === 'lost leadership: stopping controllers')).toBe(false)
    expect(await leaderGauge(await metrics(behind))).toBe(1)
    expect(await leaderGauge(await metrics(follower))).toBe(0)
    await setValue('cm-behind', 'v1')
    await written('cm-behind', 'v1', behindId)
  })
})
