// The pod facts the log and shell pages need: its containers (to choose one) and whether the caller may
// use a subresource, asked of the cluster itself (SelfSubjectAccessReview), so the page says "you may not"
// rather than failing in the middle of a stream.
import { get, post } from '../../api/http.ts'
import { podApiPath } from './paths.ts'

interface Container {
  name: string
}

export interface Pod {
  metadata: { name: string; namespace: string; uid?: string }
  spec?: { containers?: Container[]; initContainers?: Container[]; ephemeralContainers?: Container[] }
  status?: { phase?: string }
}

export function getPod(cluster: string, namespace: string, name: string): Promise<Pod> {
  return get<Pod>(podApiPath(cluster, namespace, name))
}

/** Every container of the pod, app containers first: what `container=` may name. */
export function containerNames(pod: Pod): string[] {
  const s = pod.spec ?? {}
  return [...(s.containers ?? []), ...(s.initContainers ?? []), ...(s.ephemeralContainers ?? [])].map((c) => c.name)
}

interface AccessReview {
  status?: { allowed?: boolean; reason?: string }
}

/** Whether the caller may `verb` the pod's `subresource` (`pods/exec` create, `pods/log` get). */
export async function mayUsePod(cluster: string, namespace: string, name: string, verb: string, subresource: string): Promise<boolean> {
  const review = await post<AccessReview>(`/k8s/clusters/${encodeURIComponent(cluster)}/apis/authorization.k8s.io/v1/selfsubjectaccessreviews`, {
    apiVersion: 'authorization.k8s.io/v1',
    kind: 'SelfSubjectAccessReview',
    spec: { resourceAttributes: { namespace, name, verb, resource: 'pods', subresource } },
  })
  return review.status?.allowed === true
}
