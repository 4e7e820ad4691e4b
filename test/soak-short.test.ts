// Issue 16, the short version of bench:soak inside `npm test`: 10 agents on the real stack (the edge in
// workerd, the real runner, one real downstream cluster with its real agent, nine simulated agents — a
// scale-only stand-in), each dialling through its own Toxiproxy proxy; about two minutes of mixed traffic
// (GET, LIST, watch, exec, logs -f, port-forward) with one flap of the real link and two simulated ones in
// the middle. Every failure must be one the flap injected, and open streams must come back to what they
// were at rest (once the pod prints again: see settleStreams). RSS slopes need the long run (npm run bench:soak).
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Faults } from './support/soak-faults.ts'
import { soakStack, type SoakStack } from './support/soak-stack.ts'
import { openStreams, settleStreams, Traffic, type Op } from './support/soak-traffic.ts'

const AGENTS = 10
const TRAFFIC_MS = 100_000
const log = (s: string) => process.stderr.write(`[soak-short] ${s}\n`)

describe('a short soak: mixed traffic over flapping links', () => {
  let s: SoakStack
  let baseline: { edge: number; agent: number }
  const faults = new Faults(log)
  let traffic: Traffic

  beforeAll(async () => {
    s = await soakStack('soak-short', { agents: AGENTS, log })
    baseline = await openStreams(s)
    traffic = new Traffic(s)
    const until = Date.now() + TRAFFIC_MS
    const flap = (async () => {
      await sleep(TRAFFIC_MS / 3)
      // The real link cut down (every stream on it breaks), two simulated ones reset.
      faults.flap(s.links[0]!, 'down')
      faults.flap(s.links[1]!, 'reset')
      faults.flap(s.links[2]!, 'reset')
    })()
    await Promise.all([flap, traffic.run(6, 6, until)])
    await faults.settle()
  }, 480_000)

  afterAll(async () => {
    await s?.[Symbol.asyncDispose]()
  })

  it('ran every kind of operation, some of them on the real link while it was cut, and every link came back', () => {
    const ran = new Set(traffic.results.filter((r) => r.ok).map((r) => r.op))
    const all: Op[] = ['sim-get', 'sim-list', 'get', 'list', 'watch', 'exec', 'logs-f', 'port-forward']
    expect(all.filter((op) => !ran.has(op))).toEqual([])
    expect(faults.windows.every((w) => w.end !== undefined)).toBe(true)
    expect(faults.stuck).toEqual([])
    expect(traffic.results.filter((r) => r.cluster === s.realCluster && faults.injected(r)).length).toBeGreaterThan(0)
    log(`${traffic.results.length} operations, ${traffic.results.filter((r) => !r.ok).length} failed, all on cut links`)
  })

  it('has no failure beyond the injected ones', () => {
    const unexpected = traffic.results.filter((r) => !r.ok && !faults.injected(r)).map((r) => `${r.op} ${r.cluster}: ${r.detail}`)
    expect(unexpected).toEqual([])
  })

  it('brings open streams on the edge and the real agent back to where they were at rest', async () => {
    // Once the pod prints again: an abandoned logs -f of a quiet pod holds its stream until then (settleStreams).
    const { idle, nudged } = await settleStreams(s, baseline)
    log(`open streams after traffic: edge ${idle.edge}, agent ${idle.agent}; after the pod printed: edge ${nudged.edge}, agent ${nudged.agent}`)
    expect(nudged).toEqual(baseline)
  }, 120_000)

  it('still serves every cluster through the edge', async () => {
    for (const l of s.links) {
      const res = await s.base.get(`/k8s/clusters/${l.cluster}/version`)
      expect(res.status, `${l.cluster}: ${res.text}`).toBe(200)
    }
  })
})
