// Registers simulated clusters in bulk, straight in the management cluster: for each, the cluster's
// namespace and its registration Secret (what the runner writes for a ClusterRegistrationToken, and what
// the edge checks an agent's X-API-Tunnel-Token against), and optionally the Cluster itself (without it
// `/k8s/clusters/<id>` answers 404 to users). Written directly because the runner's own path is measured
// separately (bench/scale.ts's "created at once" phase goes through /v3).
import { randomBytes } from 'node:crypto'
import { forEachLimited } from '../../controller-runner/reconcilers/limit.ts'
import { REGISTRATION_KEYS, REGISTRATION_SECRET, REGISTRATION_SECRET_TYPE } from '../../protocol/api/registration.ts'
import { isAlreadyExists, mgmt, NAMESPACE, SECRET, type KubeClient, type KubeObject } from '../../protocol/kube/index.ts'
import type { SimCluster } from './agent-sim.ts'

/** `<prefix>-00000` … ids, valid cluster ids (DNS labels). */
export function simClusterIds(prefix: string, n: number): string[] {
  const width = String(Math.max(n - 1, 0)).length
  return Array.from({ length: n }, (_, i) => `${prefix}-${String(i).padStart(width, '0')}`)
}

const b64 = (s: string) => Buffer.from(s).toString('base64')

async function createIfMissing(client: KubeClient, type: Parameters<KubeClient['create']>[0], obj: KubeObject): Promise<void> {
  try {
    await client.create(type, obj)
  } catch (e) {
    if (!isAlreadyExists(e)) throw e
  }
}

/**
 * Creates namespace, registration Secret (and Cluster, with `clusters`) for each id, `concurrency` writes at
 * a time; returns each cluster's token. Idempotent for the namespace and Cluster; the Secret must be new.
 */
export async function registerSimClusters(
  client: KubeClient,
  ids: string[],
  opts: { clusters?: boolean; concurrency?: number; onProgress?: (done: number) => void } = {},
): Promise<SimCluster[]> {
  const out: SimCluster[] = ids.map((id) => ({ id, token: randomBytes(24).toString('hex') }))
  let done = 0
  await forEachLimited(out, opts.concurrency ?? 32, async ({ id, token }) => {
    await createIfMissing(client, NAMESPACE, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: id, labels: { 'drover.io/scale-sim': 'true' } } })
    await client.create(SECRET, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: REGISTRATION_SECRET, namespace: id },
      type: REGISTRATION_SECRET_TYPE,
      data: { [REGISTRATION_KEYS.token]: b64(token), [REGISTRATION_KEYS.expiresAt]: '' },
    } as KubeObject)
    if (opts.clusters) {
      await createIfMissing(client, mgmt('Cluster'), { apiVersion: 'management.cattle.io/v3', kind: 'Cluster', metadata: { name: id }, spec: { displayName: id } } as KubeObject)
    }
    if (++done % 500 === 0) opts.onProgress?.(done)
  })
  return out
}
