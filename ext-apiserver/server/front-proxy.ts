// Front-proxy authentication, as an aggregated apiserver does it: the X-Remote-* headers name the user only
// when the connection's client certificate chains to the request-header CA (the TLS server is configured
// with that CA alone, so `authorized` says exactly that) and its CN is an allowed name. Anything else is
// anonymous, and the extension server has no anonymous access.
import type { IncomingMessage } from 'node:http'
import type { TLSSocket } from 'node:tls'
import type { RequestUser } from './resource.ts'

export interface FrontProxyOptions {
  /** CNs the front proxy's certificate may carry (`--requestheader-allowed-names`); empty: any CN from the CA. */
  allowedNames: readonly string[]
}

/** Every authenticated user is in this group, as kube-apiserver adds it (RBAC's discovery roles bind it). */
const AUTHENTICATED = 'system:authenticated'
const EXTRA_PREFIX = 'x-remote-extra-'

/** Why a request is not authenticated (for the log; the caller hears only 401). */
export type Unauthenticated = { ok: false; reason: string }

export function authenticate(req: IncomingMessage, opts: FrontProxyOptions): { ok: true; user: RequestUser } | Unauthenticated {
  const socket = req.socket as TLSSocket
  if (!socket.authorized) return { ok: false, reason: socket.authorizationError ? `client certificate refused: ${String(socket.authorizationError)}` : 'no client certificate' }
  const cert = socket.getPeerCertificate()
  const cns = cert.subject?.CN === undefined ? [] : ([] as string[]).concat(cert.subject.CN)
  if (cns.length !== 1) return { ok: false, reason: 'client certificate has no single CN' }
  if (opts.allowedNames.length && !opts.allowedNames.includes(cns[0]!)) return { ok: false, reason: `client certificate CN "${cns[0]}" is not an allowed front-proxy name` }
  const name = one(req.headersDistinct['x-remote-user'])
  if (!name) return { ok: false, reason: 'front proxy sent no X-Remote-User' }
  const groups = req.headersDistinct['x-remote-group'] ?? []
  const extra: Record<string, string[]> = {}
  for (const [header, values] of Object.entries(req.headersDistinct)) {
    if (!header.startsWith(EXTRA_PREFIX) || !values) continue
    const key = decodeKey(header.slice(EXTRA_PREFIX.length))
    if (key) (extra[key] ??= []).push(...values)
  }
  return { ok: true, user: { name, groups: groups.includes(AUTHENTICATED) || groups.includes('system:unauthenticated') ? groups : [...groups, AUTHENTICATED], extra } }
}

const one = (values: string[] | undefined): string | undefined => (values?.length === 1 && values[0] ? values[0] : undefined)

/** Extra keys travel percent-encoded (kube-apiserver escapes them, RFC 3986) and compare lowercased. */
function decodeKey(raw: string): string | undefined {
  try {
    return decodeURIComponent(raw).toLowerCase()
  } catch {
    return undefined
  }
}
