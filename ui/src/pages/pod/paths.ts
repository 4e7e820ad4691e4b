// Where the pod pages live, and the Kubernetes API paths they use through the edge's `/k8s/clusters/<id>`
// proxy. Other areas link here through these helpers (or PodActions.tsx), never by spelling the paths.

const seg = encodeURIComponent

/** The pod's log page: `/c/<cluster>/pods/<namespace>/<name>/logs` (`?container=` picks one). */
export function podLogsPath(cluster: string, namespace: string, name: string, container?: string): string {
  return `/c/${seg(cluster)}/pods/${seg(namespace)}/${seg(name)}/logs${container ? `?container=${seg(container)}` : ''}`
}

/** The pod's shell page: `/c/<cluster>/pods/<namespace>/<name>/shell`. */
export function podShellPath(cluster: string, namespace: string, name: string, container?: string): string {
  return `/c/${seg(cluster)}/pods/${seg(namespace)}/${seg(name)}/shell${container ? `?container=${seg(container)}` : ''}`
}

/** The kubeconfig page: every cluster the caller may see, a kubeconfig for each. */
export const KUBECONFIG_PATH = '/kubeconfig'

/** The pod in the Kubernetes API, through the edge. */
export function podApiPath(cluster: string, namespace: string, name: string): string {
  return `/k8s/clusters/${seg(cluster)}/api/v1/namespaces/${seg(namespace)}/pods/${seg(name)}`
}

/** The query string value of `key` in the current location, or ''. */
export function queryParam(key: string): string {
  return new URLSearchParams(location.search).get(key) ?? ''
}
