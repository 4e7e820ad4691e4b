import { CoordinationV1Api, CustomObjectsApi, type V1Lease } from '@kubernetes/client-node'
import { GROUP, VERSION } from '../protocol/crds/index.ts'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { devCluster, execCommand, kubectlBin, type DevCluster } from './support/dev-cluster.ts'
import { startWatch } from './support/watch.ts'

const group = GROUP
const version = VERSION

// Two light clusters (etcd + apiserver) side by side: what one holds, the other must not see.
describe('two dev clusters in one run', () => {
  let a: DevCluster
  let b: DevCluster
  beforeAll(async () => {
    ;[a, b] = await Promise.all([devCluster('iso-a', { mode: 'lite' }), devCluster('iso-b', { mode: 'lite' })])
  })
  afterAll(async () => {
    await Promise.all([a?.[Symbol.asyncDispose](), b?.[Symbol.asyncDispose]()])
  })

  it('run on different ports with different certificate authorities', async () => {
    expect(a.server).not.toBe(b.server)
    // A's admin credentials are not trusted by B: its CA signed them.
    const cross = await execCommand(await kubectlBin(), ['--kubeconfig', a.kubeconfigPath, '--server', b.server, '--insecure-skip-tls-verify', 'get', 'ns'])
    expect(cross.code).not.toBe(0)
    expect(cross.stderr).toMatch(/Unauthorized|must be logged in/i)
  })

  it('installs the CRDs, and creates, reads, updates status and watches a Cluster', async () => {
    const api = a.kubeConfig.makeApiClient(CustomObjectsApi)
    const events: string[] = []
    let sawStatus!: () => void
    const statusSeen = new Promise<void>((r) => (sawStatus = r))
    const req = await startWatch(
      a.kubeConfig,
      `/apis/${group}/${version}/clusters`,
      (type, obj: { metadata: { name: string }; status?: { conditions?: { type: string }[] } }) => {
        events.push(`${type} ${obj.metadata.name}`)
        if (type === 'MODIFIED' && obj.status?.conditions?.some((c) => c.type === 'Connected')) sawStatus()
      },
    )
    try {
      const created = (await api.createClusterCustomObject({
        group,
        version,
        plural: 'clusters',
        body: { apiVersion: `${group}/${version}`, kind: 'Cluster', metadata: { name: 'c-abcde' }, spec: { displayName: 'first' } },
      })) as { metadata: { resourceVersion: string } }
      const read = (await api.getClusterCustomObject({ group, version, plural: 'clusters', name: 'c-abcde' })) as {
        spec: { displayName: string }
      }
      expect(read.spec.displayName).toBe('first')
      const now = new Date().toISOString()
      await api.patchClusterCustomObjectStatus({
        group,
        version,
        plural: 'clusters',
        name: 'c-abcde',
        body: [{ op: 'add', path: '/status', value: { conditions: [{ type: 'Connected', status: 'True', lastUpdateTime: now }] } }],
      })
      await statusSeen
      expect(events).toEqual(expect.arrayContaining(['ADDED c-abcde', 'MODIFIED c-abcde']))
      expect(created.metadata.resourceVersion).toBeTruthy()
      // The status subresource ignores spec changes, the main resource ignores status changes.
      const after = (await api.getClusterCustomObject({ group, version, plural: 'clusters', name: 'c-abcde' })) as {
        status: { conditions: { status: string }[] }
      }
      expect(after.status.conditions[0]!.status).toBe('True')
    } finally {
      req.abort()
    }
    // Isolation: B has the CRD but not A's object.
    const inB = b.kubeConfig.makeApiClient(CustomObjectsApi)
    const listB = (await inB.listClusterCustomObject({ group, version, plural: 'clusters' })) as { items: unknown[] }
    expect(listB.items).toEqual([])
  })

  it('rejects a schema violation with 422', async () => {
    const api = a.kubeConfig.makeApiClient(CustomObjectsApi)
    await expect(
      api.createClusterCustomObject({
        group,
        version,
        plural: 'clusters',
        body: { apiVersion: `${group}/${version}`, kind: 'Cluster', metadata: { name: 'c-bad' }, spec: { internal: 'not-a-boolean' } },
      }),
    ).rejects.toMatchObject({ code: 422 })
  })

  it('rejects a Lease update with a stale resourceVersion with 409', async () => {
    const api = b.kubeConfig.makeApiClient(CoordinationV1Api)
    const lease: V1Lease = { metadata: { name: 'drover-test', namespace: 'kube-system' }, spec: { holderIdentity: 'one', leaseDurationSeconds: 15 } }
    const created = await api.createNamespacedLease({ namespace: 'kube-system', body: lease })
    const staleVersion = created.metadata!.resourceVersion!
    await api.replaceNamespacedLease({
      name: 'drover-test',
      namespace: 'kube-system',
      body: { ...created, spec: { ...created.spec, holderIdentity: 'two' } },
    })
    await expect(
      api.replaceNamespacedLease({
        name: 'drover-test',
        namespace: 'kube-system',
        body: { ...created, metadata: { ...created.metadata, resourceVersion: staleVersion }, spec: { ...created.spec, holderIdentity: 'stale' } },
      }),
    ).rejects.toMatchObject({ code: 409 })
    const now = await api.readNamespacedLease({ name: 'drover-test', namespace: 'kube-system' })
    expect(now.spec?.holderIdentity).toBe('two')
  })
})
