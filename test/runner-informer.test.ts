// The runner's Informer against a real apiserver: list then watch, events for every change, resuming a
// stopped watch without a relist, and a relist (what 410 Gone leads to) that tells the handlers what changed.
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Informer, type InformerEvent } from '../controller-runner/runtime/informer.ts'
import { systemClock } from '../controller-runner/runtime/types.ts'
import { kubeConfigTransport } from '../node/kube/index.ts'
import { CONFIG_MAP, KubeClient, type KubeObject } from '../protocol/kube/index.ts'
import { devCluster, type DevCluster } from './support/dev-cluster.ts'
import { until } from './support/streams.ts'

const NS = 'informer-test'

interface ConfigMap extends KubeObject {
  data?: Record<string, string>
}

describe('controller-runner Informer', () => {
  let cluster: DevCluster
  let client: KubeClient
  let close: () => void
  const informers: Informer[] = []

  const cm = (name: string, value: string): ConfigMap => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: NS }, data: { value } })
  const start = () => {
    const informer = new Informer<ConfigMap>(client, CONFIG_MAP, systemClock, pino({ level: 'silent' }))
    const events: string[] = []
    informer.onChange((o, e: InformerEvent) => {
      if (o.metadata.namespace === NS) events.push(`${e} ${o.metadata.name} ${o.data?.value ?? ''}`)
    })
    informers.push(informer)
    informer.start()
    return { informer, events }
  }

  beforeAll(async () => {
    cluster = await devCluster('runner-informer', { mode: 'lite' })
    const transport = kubeConfigTransport(cluster.kubeConfig)
    close = () => transport.close()
    client = new KubeClient(transport)
    expect((await cluster.kubectl(['create', 'namespace', NS])).code).toBe(0)
  })
  afterAll(async () => {
    await Promise.all(informers.map((i) => i.stop()))
    close?.()
    await cluster?.[Symbol.asyncDispose]()
  })

  it('lists, then reports every change from the watch', async () => {
    await client.create(CONFIG_MAP, cm('a', '1'))
    const { informer, events } = start()
    await until(() => informer.synced(), 10_000)
    expect(informer.get('a', NS)?.data).toEqual({ value: '1' })
    expect(events).toEqual(['add a 1'])

    await client.create(CONFIG_MAP, cm('b', '1'))
    const a = await client.get<ConfigMap>(CONFIG_MAP, 'a', NS)
    await client.update(CONFIG_MAP, { ...a, data: { value: '2' } })
    await client.delete(CONFIG_MAP, 'b', { namespace: NS })
    await until(() => events.length === 4, 10_000)
    expect(events).toEqual(['add a 1', 'add b 1', 'update a 2', 'delete b 1'])
    expect(informer.list(NS).map((o) => o.metadata.name)).toEqual(['a'])
    await informer.stop()
  })

  it('resumes a stopped watch where it was; a relist tells the differences as events', async () => {
    const { informer, events } = start()
    await until(() => informer.synced(), 10_000)
    await informer.stop()
    events.length = 0

    // While it is stopped: one object changes, one is added. Resuming replays exactly those.
    const a = await client.get<ConfigMap>(CONFIG_MAP, 'a', NS)
    await client.update(CONFIG_MAP, { ...a, data: { value: '3' } })
    await client.create(CONFIG_MAP, cm('c', '1'))
    informer.start()
    await until(() => events.length === 2, 10_000)
    expect(events).toEqual(['update a 3', 'add c 1'])
    await informer.stop()
    events.length = 0

    // Stopped again; meanwhile c goes, d comes, a changes. Then it relists, as it does on 410 Gone (the
    // version to resume from compacted away: a fresh dev cluster's watch cache holds its whole history, so
    // the test forgets the version instead of waiting for the apiserver to). The store is replaced and the
    // handlers told the difference.
    await client.delete(CONFIG_MAP, 'c', { namespace: NS })
    await client.create(CONFIG_MAP, cm('d', '1'))
    const a2 = await client.get<ConfigMap>(CONFIG_MAP, 'a', NS)
    await client.update(CONFIG_MAP, { ...a2, data: { value: '4' } })
    Object.assign(informer, { resourceVersion: '' })
    informer.start()
    await until(() => events.length === 3, 10_000)
    expect(events.sort()).toEqual(['add d 1', 'delete c 1', 'update a 4'])
    expect(informer.list(NS).map((o) => o.metadata.name).sort()).toEqual(['a', 'd'])
    // And it watches again from the relist.
    await client.create(CONFIG_MAP, cm('e', '1'))
    await until(() => events.length === 4, 10_000)
    expect(events[3]).toBe('add e 1')
  })
})
