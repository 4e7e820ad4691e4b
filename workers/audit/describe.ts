/** What an audited request did, in Kubernetes' terms where it has them. */
export interface RequestFacts {
  /** The cluster the request is for (`local` for the management API). */
  cluster?: string
  /** `get`, `list`, `watch`, `create`, `update`, `patch`, `delete`, `deletecollection`, or `action:<name>` for a Norman action. */
  verb: string
  /** The resource type (`pods`, `clusters`, `pods/exec`…). */
  resource?: string
  namespace?: string
  name?: string
}

const API_GROUP_PREFIX = /^\/(api\/[^/]+|apis\/[^/]+\/[^/]+)(\/.*)?$/

function verbFor(method: string, named: boolean, query: URLSearchParams): string {
  switch (method) {
    case 'GET':
    case 'HEAD':
      return query.get('watch') === 'true' || query.get('watch') === '1' ? 'watch' : named ? 'get' : 'list'
    case 'POST':
      return 'create'
    case 'PUT':
      return 'update'
    case 'PATCH':
      return 'patch'
    case 'DELETE':
      return named ? 'delete' : 'deletecollection'
    default:
      return method.toLowerCase()
  }
}

/** A Kubernetes API path (`/api/v1/namespaces/x/pods/y/log`) → resource, namespace and name. */
function kubePath(path: string): { resource?: string; namespace?: string; name?: string } {
  const m = API_GROUP_PREFIX.exec(path)
  if (!m) return {}
  let parts = (m[2] ?? '').split('/').filter(Boolean).map(decodeURIComponentSafe)
  let namespace: string | undefined
  if (parts[0] === 'namespaces' && parts.length >= 3) {
    namespace = parts[1]
    parts = parts.slice(2)
  }
  const [resource, name, sub] = parts
  if (!resource) return {}
  return { resource: sub ? `${resource}/${sub}` : resource, ...(namespace ? { namespace } : {}), ...(name ? { name } : {}) }
}

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s)
  } catch {
    return s
  }
}

/** Facts of a request to `url` on the edge (its path before any redaction). */
export function describeRequest(method: string, url: URL): RequestFacts {
  const segs = url.pathname.split('/').filter(Boolean)
  const q = url.searchParams
  if (segs[0] === 'k8s' && segs[1] === 'clusters' && segs[2]) {
    const inner = '/' + segs.slice(3).join('/')
    const k = kubePath(inner)
    // A cluster's Steve API (`/k8s/clusters/<id>/v1/<type>/<ns>/<name>`).
    if (segs[3] === 'v1') {
      const [, type, ns, name] = segs.slice(3)
      const named = name ?? ns
      return { cluster: segs[2], verb: verbFor(method, named !== undefined, q), ...(type ? { resource: type } : {}), ...(name && ns ? { namespace: ns } : {}), ...(named ? { name: named } : {}) }
    }
    return { cluster: segs[2], verb: verbFor(method, k.name !== undefined, q), ...k }
  }
  // Agents' tunnels and registration manifests: the cluster is in the credential or the (redacted) file name.
  if (segs[0] === 'v3' && (segs[1] === 'connect' || segs[1] === 'import')) {
    const imported = segs[1] === 'import' ? /_([a-z0-9-]+)\.yaml$/.exec(url.pathname)?.[1] : undefined
    return { verb: segs[1] === 'connect' ? 'connect' : 'get', resource: segs[1], ...(imported ? { cluster: imported } : {}) }
  }
  // /v3/<type>[/<id>][?action=x], /v3-public/<provider>/<id>?action=login, /v1/<type>[/<ns>]/<name>
  const [, type, a, b] = segs
  const action = q.get('action')
  const name = segs[0] === 'v1' ? (b ?? a) : a
  const namespace = segs[0] === 'v1' && b ? a : undefined
  return {
    cluster: 'local',
    verb: action ? `action:${action}` : verbFor(method, name !== undefined, q),
    ...(type ? { resource: type } : {}),
    ...(namespace ? { namespace } : {}),
    ...(name ? { name } : {}),
  }
}
