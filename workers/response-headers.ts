import { createMiddleware } from 'hono/factory'
import type { AppEnv } from './env.ts'

/**
 * What browsers may do with the edge's answers (DESIGN.md, security rules). The edge's own responses
 * get `nosniff` and send no referrer onwards. Proxied cluster API responses keep the apiserver's
 * headers, except the `services|pods|nodes/…/proxy` subresources: those serve whatever a workload
 * chooses, on the edge's origin, to a browser that may hold an administrator's R_SESS cookie. They are
 * sandboxed (an opaque origin: no script that can use this origin's cookies or storage, no same-origin
 * reads of the API) and cannot set or clear this origin's cookies.
 */

const EDGE_HEADERS: readonly [string, string][] = [
  ['x-content-type-options', 'nosniff'],
  ['referrer-policy', 'no-referrer'],
]

/** Responses the proxy passed through from a cluster: the edge's own headers are not added to those. */
const passedThrough = new WeakSet<Response>()

/**
 * `api/v1/namespaces/<ns>/(services|pods)/<name>/proxy…`, `api/v1/nodes/<name>/proxy…` and the legacy
 * `api/v1/proxy/…`, on the cluster-relative path as sent (percent-encoded). The apiserver routes on the
 * decoded path, so it is decoded first; a path that cannot be decoded counts as a match.
 */
export function isProxySubresource(path: string): boolean {
  let decoded: string
  try {
    decoded = decodeURIComponent(path)
  } catch {
    return true
  }
  // Empty and `.` segments dropped, case folded: a near-miss is sandboxed rather than let through.
  const normal = decoded.split('/').filter((s) => s !== '' && s !== '.').join('/').toLowerCase()
  return /^api\/v1\/(?:namespaces\/[^/]+\/(?:services|pods)\/[^/]+\/proxy|nodes\/[^/]+\/proxy|proxy)(?:\/|$)/.test(normal)
}

/**
 * The tunnel's answer to `path`, as the client gets it: sandboxed when `path` is a proxy subresource.
 * An accepted WebSocket upgrade is returned as it is (it carries no page and no cookies).
 */
export function proxiedResponse(path: string, res: Response): Response {
  let out = res
  if (isProxySubresource(path) && res.status !== 101 && !res.webSocket) {
    const headers = new Headers(res.headers)
    headers.delete('set-cookie')
    // `Clear-Site-Data: "cookies"` would log the browser out of the edge.
    headers.delete('clear-site-data')
    // Appended, not set: a policy the workload sends is still enforced alongside ours.
    headers.append('content-security-policy', 'sandbox')
    // The body streams on; the runtime encodes it as Content-Encoding says (reading a subrequest's body decodes it).
    out = new Response(res.body, { status: res.status, statusText: res.statusText, headers })
  }
  passedThrough.add(out)
  return out
}

/** Adds the edge's own headers to every response but proxied ones and accepted upgrades. */
export const edgeHeaders = createMiddleware<AppEnv>(async (c, next) => {
  await next()
  const res = c.res
  if (passedThrough.has(res) || res.status === 101 || res.webSocket) return
  try {
    for (const [name, value] of EDGE_HEADERS) res.headers.set(name, value)
  } catch {
    // A subrequest's response, passed on unchanged: its headers are immutable.
    const copy = new Response(res.body, res)
    for (const [name, value] of EDGE_HEADERS) copy.headers.set(name, value)
    c.res = copy
  }
})
