import type { OutgoingHttpHeaders } from 'node:http'
import type { Identity, RequestHead } from '../protocol/tunnel/index.ts'
import { RefusedError } from './status.ts'

/**
 * Request headers the agent copies from a tunnel request head to its kube-apiserver. Everything else is
 * dropped — above all Authorization, Cookie, Impersonate-*, X-Remote-* and hop-by-hop headers: the only
 * identity the apiserver sees is the agent's own credential plus the impersonation built from
 * `head.identity`.
 *
 * - accept, content-type, content-encoding: content negotiation (`as=Table`, protobuf) and patch types
 *   (`application/apply-patch+yaml`, …). Not accept-encoding: Workers normalise it on every request, so
 *   it does not say what the client accepts; the tunnel carries identity bodies and the edge compresses.
 * - content-length: lets a known-size body go out unchunked (dropped for upgrades).
 * - user-agent: the apiserver records it in audit logs and metrics.
 * - if-match, if-none-match: conditional requests.
 * - audit-id, x-request-id, traceparent, tracestate: request correlation across edge, agent and apiserver.
 * - kubectl-command, kubectl-session: kubectl's command headers, shown in audit logs.
 * - x-stream-protocol-version: SPDY stream negotiation; harmless on plain requests.
 *
 * `sec-websocket-protocol` is not copied here: upgrades pass their subprotocols through
 * `websocketSubprotocols`, which applies its own allowlist. The `X-Kubernetes-PF-*` headers are response
 * headers (API Priority and Fairness) and pass back unchanged.
 */
const REQUEST_HEADER_ALLOWLIST: ReadonlySet<string> = new Set([
  'accept',
  'content-type',
  'content-encoding',
  'content-length',
  'user-agent',
  'if-match',
  'if-none-match',
  'audit-id',
  'x-request-id',
  'traceparent',
  'tracestate',
  'kubectl-command',
  'kubectl-session',
  'x-stream-protocol-version',
])

/** The Kubernetes WebSocket subprotocols (exec/attach/port-forward) an upgrade may request. */
const WEBSOCKET_SUBPROTOCOLS: ReadonlySet<string> = new Set([
  'v5.channel.k8s.io',
  'v4.channel.k8s.io',
  'v3.channel.k8s.io',
  'v2.channel.k8s.io',
  'channel.k8s.io',
  'base64.channel.k8s.io',
  'v4.base64.channel.k8s.io',
  'base64.binary.k8s.io',
  'portforward.k8s.io',
  'SPDY/3.1+portforward.k8s.io',
])

// RFC 9110 §7.6.1 plus the legacy ones proxies still strip.
const HOP_BY_HOP: ReadonlySet<string> = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
])

/** Outbound headers for the apiserver: the allowlisted part of `head.headers` plus impersonation. */
export function upstreamHeaders(head: RequestHead, opts: { upgrade: boolean }): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {}
  for (const [rawName, value] of head.headers) {
    const name = rawName.toLowerCase()
    if (!REQUEST_HEADER_ALLOWLIST.has(name)) continue
    if (opts.upgrade && name === 'content-length') continue
    const prev = out[name]
    // Repeated headers are joined as HTTP allows for list-valued fields; none of the allowlisted ones
    // carries values that may contain commas except accept*, which are lists anyway.
    out[name] = prev === undefined ? headerValue(value) : `${String(prev)}, ${headerValue(value)}`
  }
  return { ...out, ...impersonationHeaders(head.identity) }
}

/**
 * `Impersonate-Group` is one header per group (never comma-joined: group names may contain commas) and
 * `Impersonate-Extra-<key>` one header per value, the key escaped as client-go's headerKeyEscape does.
 * An empty user is refused: without Impersonate-User the request would run as the agent itself.
 */
function impersonationHeaders(identity: Identity): OutgoingHttpHeaders {
  if (typeof identity?.user !== 'string' || identity.user === '') throw new RefusedError(403, 'Forbidden', 'the tunnel request carries no user to impersonate')
  const out: OutgoingHttpHeaders = { 'impersonate-user': headerValue(identity.user) }
  const groups = identity.groups ?? []
  if (groups.length) out['impersonate-group'] = groups.map(headerValue)
  for (const [key, values] of Object.entries(identity.extra ?? {})) {
    if (!key) throw new RefusedError(400, 'BadRequest', 'the tunnel identity has an empty extra key')
    if (values.length) out[`impersonate-extra-${escapeExtraKey(key)}`] = values.map(headerValue)
  }
  return out
}

const TOKEN_CHAR = /^[!#$&'*+\-.^_`|~0-9A-Za-z]$/

/** Percent-encodes every byte of the UTF-8 key that is not an HTTP token character, and `%` itself. */
export function escapeExtraKey(key: string): string {
  let out = ''
  for (const byte of Buffer.from(key, 'utf8')) {
    const ch = String.fromCharCode(byte)
    out += byte < 0x80 && TOKEN_CHAR.test(ch) ? ch : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`
  }
  return out
}

/**
 * Node writes header strings as latin1; a UTF-8 user or group name must reach the apiserver as its
 * UTF-8 bytes (Go reads header bytes as-is), so non-ASCII text is re-encoded byte for byte. Control
 * characters are refused rather than left to Node's late validation.
 */
export function headerValue(value: string): string {
  if (/[\0-\x08\x0a-\x1f\x7f]/.test(value)) throw new RefusedError(400, 'BadRequest', 'a header or identity value contains control characters')
  return /^[\x20-\x7e\t]*$/.test(value) ? value : Buffer.from(value, 'utf8').toString('latin1')
}

/** Response headers minus hop-by-hop ones (including any named in Connection), as pairs. */
export function responseHeaders(rawHeaders: string[], opts: { drop?: (name: string) => boolean } = {}): [string, string][] {
  const named = new Set<string>()
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    if (rawHeaders[i]!.toLowerCase() !== 'connection') continue
    for (const token of rawHeaders[i + 1]!.split(',')) named.add(token.trim().toLowerCase())
  }
  const out: [string, string][] = []
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!
    const lower = name.toLowerCase()
    if (HOP_BY_HOP.has(lower) || named.has(lower) || opts.drop?.(lower)) continue
    out.push([name, rawHeaders[i + 1]!])
  }
  return out
}

/** The requested subprotocols that are allowlisted, in the client's order of preference. */
export function websocketSubprotocols(requested: string[]): string[] {
  return requested.map((p) => p.trim()).filter((p) => WEBSOCKET_SUBPROTOCOLS.has(p))
}

/** A header object (node:http's or undici's) as flat name/value pairs, one pair per value of a repeated header. */
export function flatHeaders(headers: Readonly<Record<string, string | number | readonly string[] | undefined>>): string[] {
  const out: string[] = []
  for (const [name, value] of Object.entries(headers)) {
    if (Array.isArray(value)) for (const v of value as readonly string[]) out.push(name, v)
    else if (value !== undefined) out.push(name, String(value))
  }
  return out
}
