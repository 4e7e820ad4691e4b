import { LOCAL_CLUSTER } from '../../protocol/api/identities.ts'
import { isAlreadyExists, mgmt, type KubeClient } from '../../protocol/kube/index.ts'
import type { Cluster } from '../../protocol/crds/index.ts'

const CLUSTER = mgmt('Cluster')

/** Cluster `local`, the management cluster itself, exists from the first start, as in Rancher. Idempotent. */
export async function ensureLocalCluster(client: KubeClient): Promise<void> {
  if (await client.find(CLUSTER, LOCAL_CLUSTER)) return
  const cluster: Cluster = {
    apiVersion: 'management.cattle.io/v3',
    kind: 'Cluster',
    metadata: { name: LOCAL_CLUSTER },
    spec: { displayName: 'local', internal: true, description: 'The management cluster' },
  }
  try {
    await client.create(CLUSTER, cluster)
  } catch (e) {
    if (!isAlreadyExists(e)) throw e
  }
}
