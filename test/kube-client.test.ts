// The one Kubernetes client (protocol/kube) against a real kube-apiserver, over the Node kubeconfig
// transport, and the leader guard as production wires it (a transport in front of the real one).
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  CONFIG_MAP,
  guardedTransport,
  isAlreadyExists,
  isConflict,
  isNotFound,
  KubeClient,
  KubeError,
  mgmt,
  NAMESPACE,
  NotLeaderError,
  UnconditionalUpdateError,
  type KubeObject,
  type WatchEvent,
} from '../protocol/kube/index.ts'
import { kubeConfigTransport } from '../node/kube/index.ts'
import { devCluster, type DevCluster } from './support/dev-cluster.ts'

interface ConfigMap extends KubeObject {
  data?: Record<string, string>
}

const NS = 'kube-client'

describe('KubeClient against a real apiserver', () => {
  let cluster: DevCluster
  let transport: ReturnType<typeof kubeConfigTransport>
  let client: KubeClient
  const writes: string[] = []

  beforeAll(async () => {
    cluster = await devCluster('kube-client', { mode: 'lite' })
    transport = kubeConfigTransport(cluster.kubeConfig)
    client = new KubeClient(transport, { onWrite: (m, p) => writes.push(`${m} ${p}`) })
    await client.create(NAMESPACE, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } })
  })
  afterAll(async () => {
    transport?.close()
    await cluster?.[Symbol.asyncDispose]()
  })

  const cm = (name: string, data: Record<string, string> = {}): ConfigMap => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: NS }, data })

  it('creates, gets, finds, and maps a second create to AlreadyExists', async () => {
    const created = await client.create(CONFIG_MAP, cm('a', { k: 'v' }))
    expect(created.metadata.uid).toBeTruthy()
    // Timestamps stay strings as on the wire, so compare-then-write is exact.
    expect(typeof created.metadata.creationTimestamp).toBe('string')
    expect((await client.get<ConfigMap>(CONFIG_MAP, 'a', NS)).data).toEqual({ k: 'v' })
    expect(await client.find(CONFIG_MAP, 'missing', NS)).toBeUndefined()
    const err = await client.get(CONFIG_MAP, 'missing', NS).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(KubeError)
    expect(isNotFound(err)).toBe(true)
    const again = await client.create(CONFIG_MAP, cm('a')).catch((e: unknown) => e)
    expect(isAlreadyExists(again)).toBe(true)
    expect(isConflict(again)).toBe(false)
    expect(writes).toContain(`POST /api/v1/namespaces/${NS}/configmaps`)
  })

  it('refuses an update without resourceVersion, and a stale one gets Conflict', async () => {
    const a = await client.get<ConfigMap>(CONFIG_MAP, 'a', NS)
    await expect(client.update(CONFIG_MAP, { ...a, metadata: { ...a.metadata, resourceVersion: undefined } })).rejects.toThrow(/without resourceVersion/)
    const updated = await client.update(CONFIG_MAP, { ...a, data: { k: 'v2' } })
    expect(updated.data).toEqual({ k: 'v2' })
    const stale = await client.update(CONFIG_MAP, { ...a, data: { k: 'v3' } }).catch((e: unknown) => e)
    expect(isConflict(stale)).toBe(true)
  })

  it('patches with merge, JSON patch and server-side apply', async () => {
    await client.patch(CONFIG_MAP, 'a', { data: { m: '1' } }, { namespace: NS })
    await client.patch(CONFIG_MAP, 'a', [{ op: 'add', path: '/data/j', value: '2' }], { namespace: NS, type: 'json' })
    const applied = await client.patch<ConfigMap>(CONFIG_MAP, 'applied', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'applied', namespace: NS }, data: { s: '3' } }, {
      namespace: NS,
      type: 'apply',
      fieldManager: 'kube-client-test',
    })
    expect(applied.data).toEqual({ s: '3' })
    expect((await client.get<ConfigMap>(CONFIG_MAP, 'a', NS)).data).toEqual({ k: 'v2', m: '1', j: '2' })
    await expect(client.patch(CONFIG_MAP, 'a', {}, { namespace: NS, type: 'apply' })).rejects.toThrow(/fieldManager/)
  })

  it('lists in pages with continue, filling in apiVersion and kind', async () => {
    for (let i = 0; i < 7; i++) await client.create(CONFIG_MAP, { ...cm(`page-${i}`), metadata: { name: `page-${i}`, namespace: NS, labels: { page: 'yes' } } })
    const sizes: number[] = []
    for await (const page of client.pages<ConfigMap>(CONFIG_MAP, { namespace: NS, labelSelector: 'page=yes', limit: 3 })) sizes.push(page.items.length)
    expect(sizes).toEqual([3, 3, 1])
    const all = await client.list<ConfigMap>(CONFIG_MAP, { namespace: NS, labelSelector: 'page=yes', limit: 2 })
    expect(all.items.map((i) => i.metadata.name).sort()).toEqual([0, 1, 2, 3, 4, 5, 6].map((i) => `page-${i}`))
    expect(all.items.every((i) => i.apiVersion === 'v1' && i.kind === 'ConfigMap')).toBe(true)
    expect(Number(all.metadata.resourceVersion)).toBeGreaterThan(0)
  })

  it('watches from a resourceVersion until stopped; a refused watch throws its Status', async () => {
    const start = await client.list(CONFIG_MAP, { namespace: NS })
    const controller = new AbortController()
    const seen: WatchEvent<ConfigMap>[] = []
    const done = (async () => {
      for await (const ev of client.watch<ConfigMap>(CONFIG_MAP, { namespace: NS, resourceVersion: start.metadata.resourceVersion, signal: controller.signal })) {
        seen.push(ev)
        if (ev.type === 'DELETED') break
      }
    })()
    await client.create(CONFIG_MAP, cm('w'))
    await client.patch(CONFIG_MAP, 'w', { data: { x: '1' } }, { namespace: NS })
    expect(await client.delete(CONFIG_MAP, 'w', { namespace: NS })).toBe(true)
    await done
    expect(seen.map((e) => `${e.type} ${e.object.metadata.name}`)).toEqual(['ADDED w', 'MODIFIED w', 'DELETED w'])
    expect(seen[0]!.object.kind).toBe('ConfigMap')
    expect(await client.delete(CONFIG_MAP, 'w', { namespace: NS })).toBe(false)
    controller.abort()
    // A watch the server refuses fails with its Status, not with an empty stream.
    const refused = await (async () => {
      try {
        for await (const _ of client.watch(CONFIG_MAP, { namespace: NS, labelSelector: 'a in (', timeoutSeconds: 5 })) void _
        return undefined
      } catch (e) {
        return e
      }
    })()
    expect(refused).toBeInstanceOf(KubeError)
    expect((refused as KubeError).status).toBe(400)
  })

  it('deletes with a uid precondition: a different incarnation is not deleted', async () => {
    await client.create(CONFIG_MAP, cm('pre'))
    const err = await client.delete(CONFIG_MAP, 'pre', { namespace: NS, preconditions: { uid: '00000000-0000-0000-0000-000000000000' } }).catch((e: unknown) => e)
    expect(isConflict(err)).toBe(true)
    expect(await client.find(CONFIG_MAP, 'pre', NS)).toBeDefined()
  })

  it('reaches CRDs and status subresources, with errors carrying the server Status', async () => {
    const CLUSTER = mgmt('Cluster')
    const bad = await client.create(CLUSTER, { apiVersion: 'management.cattle.io/v3', kind: 'Cluster', metadata: { name: 'Bad_Name' } }).catch((e: unknown) => e)
    expect(bad).toBeInstanceOf(KubeError)
    expect((bad as KubeError).status).toBe(422)
    expect((bad as KubeError).reason).toBe('Invalid')
    expect((bad as KubeError).body?.message).toMatch(/Bad_Name/)
  })

  describe('through the leader guard', () => {
    it('refuses writes when leadership is not fresh, before anything is sent', async () => {
      let fresh = false
      const term = new AbortController()
      const sent: string[] = []
      const guarded = new KubeClient(guardedTransport((req) => (sent.push(req.method), transport(req)), { fresh: () => fresh, signal: () => term.signal }))
      await expect(guarded.create(CONFIG_MAP, cm('guarded'))).rejects.toBeInstanceOf(NotLeaderError)
      expect(sent).toEqual([])
      // Reads are not leadership-bound.
      expect(await guarded.find(CONFIG_MAP, 'guarded', NS)).toBeUndefined()
      fresh = true
      await guarded.create(CONFIG_MAP, cm('guarded'))
      expect(sent).toEqual(['GET', 'POST'])
    })

    it('refuses a PUT without resourceVersion even when the caller bypasses the client check', async () => {
      const term = new AbortController()
      const guarded = guardedTransport(transport, { fresh: () => true, signal: () => term.signal })
      const put = new Request(`https://kubernetes.invalid/api/v1/namespaces/${NS}/configmaps/a`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(cm('a', { overwritten: 'yes' })),
      })
      await expect(guarded(put)).rejects.toBeInstanceOf(UnconditionalUpdateError)
      expect((await client.get<ConfigMap>(CONFIG_MAP, 'a', NS)).data).not.toHaveProperty('overwritten')
    })

    it('aborts a write in flight when the term ends', async () => {
      const term = new AbortController()
      const slow = guardedTransport(
        async (req) => {
          term.abort()
          return transport(req)
        },
        { fresh: () => true, signal: () => term.signal },
      )
      await expect(new KubeClient(slow).create(CONFIG_MAP, cm('aborted'))).rejects.toThrow(/abort/i)
      expect(await client.find(CONFIG_MAP, 'aborted', NS)).toBeUndefined()
    })
  })
})
