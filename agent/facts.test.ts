import { describe, expect, it } from 'vitest'
import { KubeClient } from '../protocol/kube/index.ts'
import type { ApiServerFacts, ClusterFacts } from '../protocol/tunnel/index.ts'
import { flush, ManualClock } from '../test/support/manual-clock.ts'
import { silentLogger } from '../test/support/logger.ts'
import { FactsReporter, kubeFacts } from './facts.ts'

/** Answers /version and the node list as an apiserver would, counting the requests. */
function apiserver() {
  const seen: string[] = []
  const client = new KubeClient(async (req) => {
    const path = new URL(req.url).pathname
    seen.push(path)
    if (path === '/version') return Response.json({ gitVersion: 'v1.37.2' })
    return Response.json({ kind: 'NodeList', apiVersion: 'v1', metadata: {}, items: [{ metadata: { name: 'n' }, status: { capacity: { cpu: '2' } } }] })
  })
  return { client, seen }
}

describe('cluster facts with the apiserver readiness', () => {
  it('adds the readiness, and while not ready reports the last facts without asking the apiserver', async () => {
    const { client, seen } = apiserver()
    const health: { state: ApiServerFacts | undefined; unready: boolean } = { state: { ready: true }, unready: false }
    const collect = kubeFacts(client, silentLogger, health)
    expect(await collect()).toMatchObject({ kubernetesVersion: 'v1.37.2', nodeCount: 1, apiServer: { ready: true } })
    const asked = seen.length
    Object.assign(health, { state: { ready: false, message: '/readyz: etcd failed' }, unready: true })
    expect(await collect()).toMatchObject({ kubernetesVersion: 'v1.37.2', nodeCount: 1, apiServer: { ready: false, message: '/readyz: etcd failed' } })
    expect(seen.length).toBe(asked)
  })

  it('goes out at once on refresh, and again after a poll in flight', async () => {
    const clock = new ManualClock()
    const sent: ClusterFacts[] = []
    let ready = true
    let release: (() => void) | undefined
    const reporter = new FactsReporter({
      collect: async () => {
        if (release === undefined && sent.length === 1) await new Promise<void>((r) => (release = r))
        return { apiServer: { ready } }
      },
      send: (f) => sent.push(f),
      clock,
      logger: silentLogger,
      intervalMs: 30_000,
    })
    reporter.start()
    await flush()
    expect(sent).toEqual([{ apiServer: { ready: true } }])
    reporter.refresh() // a poll that hangs until released
    await flush()
    ready = false
    reporter.refresh() // during it: polled again once it is done
    release!()
    await flush()
    expect(sent).toEqual([{ apiServer: { ready: true } }, { apiServer: { ready: false } }])
    reporter.stop()
    expect(clock.pending()).toBe(0)
  })
})
