import { CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node'
import { LOCAL_CLUSTER } from '../../protocol/api/identities.ts'
import { GROUP, VERSION } from '../../protocol/crds/index.ts'

/** Cluster `local`, the management cluster itself, exists from the first start, as in Rancher. Idempotent. */
export async function ensureLocalCluster(kc: KubeConfig): Promise<void> {
  const custom = kc.makeApiClient(CustomObjectsApi)
  try {
    await custom.getClusterCustomObject({ group: GROUP, version: VERSION, plural: 'clusters', name: LOCAL_CLUSTER })
    return
  } catch (err) {
    if ((err as { code?: number }).code !== 404) throw err
  }
  try {
    await custom.createClusterCustomObject({
      group: GROUP, version: VERSION, plural: 'clusters',
      body: { apiVersion: `${GROUP}/${VERSION}`, kind: 'Cluster', metadata: { name: LOCAL_CLUSTER }, spec: { displayName: 'local', internal: true, description: 'The management cluster' } },
    })
  } catch (err) {
    if ((err as { code?: number }).code !== 409) throw err
  }
}
