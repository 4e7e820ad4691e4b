import type { MiddlewareHandler } from 'hono'
import type { AppEnv } from '../env.ts'
import { readAtMost } from '../read-limited.ts'
import { describeRequest } from './describe.ts'
import { audited, auditPolicy, type AuditPolicy } from './policy.ts'
import { redactBody, redactHeaders, redactUri } from './redact.ts'

/** Audit lines start with this, so a log pipeline (or the local edge, infra/edge/local-edge.ts) can split them off. */
export const AUDIT_KIND = 'drover.audit'

/** Bodies larger than this are not logged (their size is). */
const MAX_BODY_BYTES = 64 * 1024

/** Requests the audit log covers: every proxied and `/v3` request, and writes to Steve's `/v1`. */
function inScope(method: string, path: string): boolean {
  if (path.startsWith('/k8s/clusters/') || path === '/v3' || path.startsWith('/v3/') || path.startsWith('/v3-public')) return true
  return (path === '/v1' || path.startsWith('/v1/')) && method !== 'GET' && method !== 'HEAD'
}

/** JSON, or untyped (`kubectl create --raw` sends none): read, and logged only if it parses as JSON. */
function isJson(headers: Headers): boolean {
  const type = headers.get('content-type')
  return type === null || /[/+]json\b/i.test(type)
}

/** Up to MAX_BODY_BYTES of a body; longer or unreadable ones are described, not logged. */
async function bodyOf(headers: Headers, body: ReadableStream<Uint8Array> | null, policy: AuditPolicy): Promise<unknown> {
  if (!body) return undefined
  if (!isJson(headers)) {
    await body.cancel().catch(() => {})
    // Only JSON can be redacted field by field: anything else (YAML, protobuf, streams) is left out.
    return `[${headers.get('content-type') ?? 'untyped'} body not logged]`
  }
  const bytes = await readAtMost(body, MAX_BODY_BYTES)
  if (!bytes) return `[body over ${MAX_BODY_BYTES} bytes not logged]`
  const text = new TextDecoder().decode(bytes)
  try {
    return redactBody(JSON.parse(text), policy.redactPaths)
  } catch {
    // Never the raw text: only parsed JSON can be redacted field by field.
    return `[${headers.get('content-type') ?? 'untyped'} body not JSON, not logged]`
  }
}

/** A stream whose body is a watch or a followed log would hold the line until it ends. */
function streams(url: URL): boolean {
  return ['watch', 'follow'].some((k) => ['true', '1'].includes(url.searchParams.get(k) ?? ''))
}

/**
 * One JSON line per audited request, after its response is known, on `console.log`: what Workers Logs
 * and Logpush collect in production, and what the local edge writes to `.drover/logs/audit.log`.
 * Credentials are redacted everywhere (redact.ts); bodies are logged only at the levels that ask for them.
 */
export const auditLog: MiddlewareHandler<AppEnv> = async (c, next) => {
  const policy = auditPolicy(c.env?.DROVER_AUDIT_POLICY)
  const url = new URL(c.req.url)
  const method = c.req.method
  const uri = redactUri(url.pathname + url.search)
  if (!policy.enabled || !inScope(method, url.pathname) || !audited(policy, uri)) return next()
  const started = Date.now()
  const requestId = crypto.randomUUID()
  const reqHeaders = c.req.raw.headers
  const size = Number(reqHeaders.get('content-length') ?? NaN)
  // Teed before the handler reads it, and only JSON: bodyOf stops reading (and buffering) at MAX_BODY_BYTES.
  const requestBody =
    policy.level >= 2 && c.req.raw.body
      ? isJson(reqHeaders) && !(size > MAX_BODY_BYTES)
        ? bodyOf(reqHeaders, c.req.raw.clone().body, policy)
        : Promise.resolve(`[${Number.isNaN(size) ? 'streamed' : `${size}-byte`} ${reqHeaders.get('content-type') ?? 'untyped'} body not logged]`)
      : undefined
  await next()
  const res = c.res
  const latencyMs = Date.now() - started
  const principal = c.get('principal')
  const facts = describeRequest(method, url)
  const line: Record<string, unknown> = {
    kind: AUDIT_KIND,
    requestId,
    ...(reqHeaders.get('cf-ray') ? { cfRay: reqHeaders.get('cf-ray') } : {}),
    time: new Date(started).toISOString(),
    ...(principal
      ? {
          user: {
            id: principal.token?.userId ?? principal.identity.user,
            ...(principal.token ? { username: principal.token.username, principal: principal.token.principalIds[0] ?? `local://${principal.token.userId}`, provider: principal.token.authProvider, tokenName: principal.token.name } : {}),
            groups: principal.identity.groups,
          },
        }
      : {}),
    ...facts,
    method,
    requestURI: uri,
    status: res.status,
    latencyMs,
    sourceIP: reqHeaders.get('cf-connecting-ip') ?? undefined,
    userAgent: reqHeaders.get('user-agent') ?? undefined,
  }
  if (policy.level >= 1) {
    line.requestHeaders = redactHeaders(reqHeaders, policy.redactHeaders)
    line.responseHeaders = redactHeaders(res.headers, policy.redactHeaders)
  }
  const finish = async () => {
    if (requestBody) line.requestBody = await requestBody
    if (policy.level >= 3 && res.status !== 101 && res.body) {
      line.responseBody = streams(url) ? '[stream not logged]' : await bodyOf(res.headers, res.clone().body, policy)
    }
    console.log(JSON.stringify(line))
  }
  const done = finish().catch((e: unknown) => console.error(`drover audit: ${String(e)}`))
  // The response goes out at once; a body still being read finishes the line after it.
  try {
    c.executionCtx.waitUntil(done)
  } catch {
    await done
  }
}
