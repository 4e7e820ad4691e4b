// Validation of the tunnel's JSON payloads. Input is untrusted: each parseX takes `unknown` once, throws a
// TunnelError(PROTOCOL_ERROR) naming the offending field, and returns a fresh object holding only the
// known fields, so nothing else (extra keys, prototypes) passes into the rest of the code.
import { TunnelError } from './errors.ts'
import type { ApiServerFacts, ClusterFacts, Hello, Identity, RequestHead, ResponseHead } from './types.ts'

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/
// RFC 6455 wants subprotocols to be tokens, but Kubernetes' WebSocket port-forward is named
// `SPDY/3.1+portforward.k8s.io`: a token that may also contain '/'.
const SUBPROTOCOL = /^[!#$%&'*+\-./^_`|~0-9A-Za-z]+$/
// Header values per the Fetch standard: anything but NUL, CR and LF.
const HEADER_VALUE = /^[^\0\r\n]*$/
// Origin-form path and query: printable ASCII, no spaces, and never '//' (which would name a host).
const PATH = /^\/(?!\/)[\x21-\x7e]*$/
const MAX_NAME = 256

function fail(path: string, want: string): never {
  throw new TunnelError('PROTOCOL_ERROR', `${path}: expected ${want}`)
}

function record(v: unknown, path: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(path, 'an object')
  return v as Record<string, unknown>
}

function string(v: unknown, path: string, nonEmpty = false, max = Infinity): string {
  if (typeof v !== 'string') fail(path, 'a string')
  if (nonEmpty && v.length === 0) fail(path, 'a non-empty string')
  if (v.length > max) fail(path, `at most ${max} characters`)
  return v
}

function token(v: unknown, path: string): string {
  const s = string(v, path)
  if (!TOKEN.test(s)) fail(path, 'an HTTP token')
  return s
}

function subprotocol(v: unknown, path: string): string {
  const s = string(v, path, true, 256)
  if (!SUBPROTOCOL.test(s)) fail(path, 'a WebSocket subprotocol')
  return s
}

function array(v: unknown, path: string): unknown[] {
  if (!Array.isArray(v)) fail(path, 'an array')
  return v
}

function strings(v: unknown, path: string): string[] {
  return array(v, path).map((s, i) => string(s, `${path}[${i}]`))
}

function stringMap(v: unknown, path: string): Record<string, string> {
  const o = record(v, path)
  return Object.fromEntries(Object.keys(o).map((k) => [k, string(o[k], `${path}.${k}`)]))
}

function headers(v: unknown, path: string): [string, string][] {
  return array(v, path).map((pair, i): [string, string] => {
    const p = `${path}[${i}]`
    const [name, value, ...rest] = array(pair, p)
    if (rest.length) fail(p, 'a [name, value] pair')
    const n = token(name, `${p}[0]`)
    const val = string(value, `${p}[1]`)
    if (!HEADER_VALUE.test(val)) fail(`${p}[1]`, 'a header value without NUL, CR or LF')
    return [n, val]
  })
}

/** Identities this module built and froze: passing one through parseRequestHead again needs no new check. */
const checked = new WeakSet<Identity>()

/** A fresh, deeply frozen Identity (so it can be cached and shared by every request that carries it). */
export function parseIdentity(v: unknown, path = 'identity'): Identity {
  if (checked.has(v as Identity)) return v as Identity
  const o = record(v, path)
  const extra = record(o.extra ?? {}, `${path}.extra`)
  const identity: Identity = Object.freeze({
    user: string(o.user, `${path}.user`, true),
    groups: Object.freeze(strings(o.groups ?? [], `${path}.groups`)) as string[],
    extra: Object.freeze(Object.fromEntries(Object.keys(extra).map((k) => [k, Object.freeze(strings(extra[k], `${path}.extra.${k}`)) as string[]]))),
  })
  checked.add(identity)
  return identity
}

export function parseRequestHead(v: unknown): RequestHead {
  const o = record(v, 'head')
  const path = string(o.path, 'head.path')
  if (!PATH.test(path)) fail('head.path', "an origin-form path starting with a single '/', printable ASCII only")
  const head: RequestHead = {
    method: token(o.method, 'head.method'),
    path,
    headers: headers(o.headers, 'head.headers'),
    identity: parseIdentity(o.identity, 'head.identity'),
  }
  if (o.upgrade !== undefined) {
    const u = record(o.upgrade, 'head.upgrade')
    head.upgrade = { protocols: array(u.protocols, 'head.upgrade.protocols').map((p, i) => subprotocol(p, `head.upgrade.protocols[${i}]`)) }
  }
  return head
}

export function parseResponseHead(v: unknown): ResponseHead {
  const o = record(v, 'head')
  const status = o.status
  if (typeof status !== 'number' || !Number.isInteger(status) || (status !== 101 && (status < 200 || status > 599))) {
    fail('head.status', 'an integer status, 101 or 200-599')
  }
  const head: ResponseHead = { status, headers: headers(o.headers, 'head.headers') }
  if (o.protocol !== undefined && o.protocol !== '') head.protocol = subprotocol(o.protocol, 'head.protocol')
  return head
}

export function parseHello(v: unknown): Hello {
  const o = record(v, 'hello')
  return {
    agentVersion: string(o.agentVersion, 'hello.agentVersion', true, MAX_NAME),
    sessionId: string(o.sessionId, 'hello.sessionId', true, MAX_NAME),
    replicaId: string(o.replicaId, 'hello.replicaId', true, MAX_NAME),
    ...(o.features === undefined ? {} : { features: features(o.features) }),
  }
}

/** Up to 16 feature names; unknown ones are kept (and ignored), so newer agents can list more. */
function features(v: unknown): string[] {
  const list = array(v, 'hello.features')
  if (list.length > 16) fail('hello.features', 'at most 16 entries')
  return list.map((f, i) => token(string(f, `hello.features[${i}]`, true, 64), `hello.features[${i}]`))
}

export function parseFacts(v: unknown): ClusterFacts {
  const o = record(v, 'facts')
  const facts: ClusterFacts = {}
  if (o.kubernetesVersion !== undefined) facts.kubernetesVersion = string(o.kubernetesVersion, 'facts.kubernetesVersion', false, MAX_NAME)
  if (o.nodeCount !== undefined) {
    if (!Number.isSafeInteger(o.nodeCount) || (o.nodeCount as number) < 0) fail('facts.nodeCount', 'a non-negative integer')
    facts.nodeCount = o.nodeCount as number
  }
  if (o.capacity !== undefined) facts.capacity = stringMap(o.capacity, 'facts.capacity')
  if (o.allocatable !== undefined) facts.allocatable = stringMap(o.allocatable, 'facts.allocatable')
  if (o.apiServer !== undefined) facts.apiServer = apiServerFacts(o.apiServer)
  return facts
}

export const MAX_API_SERVER_MESSAGE = 1024

function apiServerFacts(v: unknown): ApiServerFacts {
  const o = record(v, 'facts.apiServer')
  if (typeof o.ready !== 'boolean') fail('facts.apiServer.ready', 'a boolean')
  const message = o.message === undefined ? undefined : string(o.message, 'facts.apiServer.message', false, MAX_API_SERVER_MESSAGE)
  return { ready: o.ready, ...(message ? { message } : {}) }
}
