/**
 * The edge's audit policy, shaped like Rancher's (`AuditPolicy`; AUDIT_LEVEL): read from the edge's
 * `DROVER_AUDIT_POLICY` binding (a JSON var or secret) rather than a setting, so it needs no round trip to
 * the management cluster per request and cannot be turned off by anyone who may write settings.
 *
 * `{ "enabled": true, "level": 1, "filters": [{ "action": "deny", "requestURI": "^/v3/settings" }],
 *    "additionalRedactions": [{ "headers": ["^x-my-key$"], "paths": ["$.spec.apiKey"] }] }`
 *
 * Levels are cumulative, as Rancher's: 0 metadata (identity, cluster, verb, resource, path, status,
 * latency, request id), 1 + request and response headers, 2 + request body, 3 + response body. A request
 * is logged when no `deny` filter matches its URI and, if any `allow` filter exists, one of them does.
 */
export interface AuditPolicy {
  enabled: boolean
  level: 0 | 1 | 2 | 3
  filters: { action: 'allow' | 'deny'; requestURI: RegExp }[]
  redactHeaders: RegExp[]
  /** JSON paths (`$.a.b`, `*` for any key or array item), each as its segments. */
  redactPaths: string[][]
}

export const AUDIT_OFF: AuditPolicy = { enabled: false, level: 0, filters: [], redactHeaders: [], redactPaths: [] }

/** An invalid policy still audits (metadata only): a typo must not switch the audit trail off silently. */
const FALLBACK: AuditPolicy = { ...AUDIT_OFF, enabled: true }

export class AuditPolicyError extends Error {}

function regex(v: unknown, where: string): RegExp {
  if (typeof v !== 'string') throw new AuditPolicyError(`${where} must be a regular expression string`)
  try {
    return new RegExp(v, 'i')
  } catch (e) {
    throw new AuditPolicyError(`${where} is not a valid regular expression: ${(e as Error).message}`)
  }
}

/** `$.spec.items[*].key` → ['spec', 'items', '*', 'key']. */
export function pathSegments(path: string): string[] {
  const m = /^\$?\.?(.*)$/.exec(path.trim())!
  const segs = m[1]!.replace(/\[(\*|\d+|'[^']*'|"[^"]*")\]/g, (_, k: string) => `.${k.replace(/^['"]|['"]$/g, '')}`).split('.').filter(Boolean)
  if (!segs.length) throw new AuditPolicyError(`redaction path "${path}" names no field`)
  return segs
}

/** Parses the binding's JSON; throws AuditPolicyError naming the first problem. */
export function parseAuditPolicy(json: string): AuditPolicy {
  let raw: unknown
  try {
    raw = JSON.parse(json)
  } catch {
    throw new AuditPolicyError('DROVER_AUDIT_POLICY is not JSON')
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new AuditPolicyError('DROVER_AUDIT_POLICY must be a JSON object')
  const o = raw as Record<string, unknown>
  const level = o.level ?? 0
  if (level !== 0 && level !== 1 && level !== 2 && level !== 3) throw new AuditPolicyError('level must be 0, 1, 2 or 3')
  const filters = (o.filters ?? []) as unknown
  if (!Array.isArray(filters)) throw new AuditPolicyError('filters must be a list')
  const redactions = (o.additionalRedactions ?? []) as unknown
  if (!Array.isArray(redactions)) throw new AuditPolicyError('additionalRedactions must be a list')
  return {
    enabled: o.enabled !== false,
    level,
    filters: filters.map((f: { action?: unknown; requestURI?: unknown }, i) => {
      if (f?.action !== 'allow' && f?.action !== 'deny') throw new AuditPolicyError(`filters[${i}].action must be "allow" or "deny"`)
      return { action: f.action, requestURI: regex(f.requestURI, `filters[${i}].requestURI`) }
    }),
    redactHeaders: redactions.flatMap((r: { headers?: unknown }, i) => ((r?.headers ?? []) as unknown[]).map((h, j) => regex(h, `additionalRedactions[${i}].headers[${j}]`))),
    redactPaths: redactions.flatMap((r: { paths?: unknown }) => ((r?.paths ?? []) as unknown[]).map((p) => pathSegments(String(p)))),
  }
}

let memo: { json: string | undefined; policy: AuditPolicy } | undefined

/** The policy of this isolate's binding, parsed once per value. */
export function auditPolicy(json: string | undefined): AuditPolicy {
  if (memo && memo.json === json) return memo.policy
  let policy = AUDIT_OFF
  if (json) {
    try {
      policy = parseAuditPolicy(json)
    } catch (e) {
      console.error(`drover audit: ${(e as Error).message}; auditing metadata only until it is fixed`)
      policy = FALLBACK
    }
  }
  memo = { json, policy }
  return policy
}

/** Whether a request to `uri` (path and query, already redacted) is logged. */
export function audited(policy: AuditPolicy, uri: string): boolean {
  if (!policy.enabled) return false
  if (policy.filters.some((f) => f.action === 'deny' && f.requestURI.test(uri))) return false
  const allows = policy.filters.filter((f) => f.action === 'allow')
  return allows.length === 0 || allows.some((f) => f.requestURI.test(uri))
}
