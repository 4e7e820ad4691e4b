// What the audit log must never hold (Rancher leaked these: CVE-2023-22649 — credentials in audit
// headers and bodies; CVE-2024-58269 — registration tokens in logged import URLs). Everything redacted
// becomes the one marker below, so an operator sees that a value was there.
export const REDACTED = '[redacted]'

/** Headers that carry credentials: their values never reach a log line. */
const SECRET_HEADERS = /^(authorization|proxy-authorization|cookie|set-cookie|x-api-tunnel-token|x-api-auth-header|x-drover-identity)$/i

/** Query parameters that carry credentials or one-time codes (OAuth/OIDC callbacks, SAML). */
const SECRET_QUERY = /^(token|access_token|id_token|refresh_token|code|password|secret|client_secret|samlresponse|relaystate)$/i

/** Object keys whose values are secrets wherever they appear in a JSON body. */
const SECRET_KEY = /(password|passwd|secret|token|privatekey|spkey|credential|kubeconfig|bearer)/i

/** Keys that hold secret material only inside a Secret (`data`, `stringData`) or a token (`value`), or a kubeconfig answer (`config`). */
const SECRET_OBJECT_KEYS: Record<string, (kind: string) => boolean> = {
  data: (kind) => kind === 'secret',
  stringData: (kind) => kind === 'secret',
  value: (kind) => kind.endsWith('token'),
  config: () => true,
}

/** `/v3/import/<token>_<cluster>.yaml` and anything that embeds it (a registration command, a manifest URL). */
const IMPORT_URL = /(\/v3\/import\/)[^_/?#\s"']+/g

/** A path and query with the import token and credential-bearing query values redacted. */
export function redactUri(pathAndQuery: string): string {
  const q = pathAndQuery.indexOf('?')
  const path = (q < 0 ? pathAndQuery : pathAndQuery.slice(0, q)).replace(IMPORT_URL, `$1${REDACTED}`)
  if (q < 0) return path
  const params = pathAndQuery
    .slice(q + 1)
    .split('&')
    .map((kv) => {
      const eq = kv.indexOf('=')
      const key = decodeSafe(eq < 0 ? kv : kv.slice(0, eq))
      return eq >= 0 && SECRET_QUERY.test(key) ? `${kv.slice(0, eq)}=${REDACTED}` : kv.replace(IMPORT_URL, `$1${REDACTED}`)
    })
  return `${path}?${params.join('&')}`
}

function decodeSafe(s: string): string {
  try {
    return decodeURIComponent(s)
  } catch {
    return s
  }
}

/** Headers as a plain object, credential-bearing ones (and the policy's own) redacted. */
export function redactHeaders(headers: Headers, extra: RegExp[] = []): Record<string, string> {
  const out: Record<string, string> = {}
  headers.forEach((value, name) => {
    out[name] = SECRET_HEADERS.test(name) || extra.some((r) => r.test(name)) ? REDACTED : value.replace(IMPORT_URL, `$1${REDACTED}`)
  })
  return out
}

/** What kind of object `o` is, lower-cased: a Kubernetes `kind`, or a Norman/Steve `type`. */
function kindOf(o: Record<string, unknown>): string {
  const k = typeof o.kind === 'string' ? o.kind : typeof o.type === 'string' ? o.type : ''
  return k.toLowerCase()
}

/**
 * A JSON body with secrets redacted: every key that names a credential; a Secret's `data` and
 * `stringData` (items of a SecretList too); a token's `value`; a kubeconfig answer's `config`; any string
 * embedding an import URL; and the policy's `paths`. Returns a new value; `body` is not changed.
 */
export function redactBody(body: unknown, paths: string[][] = []): unknown {
  const out = walk(body, '')
  for (const p of paths) redactPath(out, p)
  return out
}

function walk(v: unknown, parentKind: string): unknown {
  if (typeof v === 'string') return v.replace(IMPORT_URL, `$1${REDACTED}`)
  if (Array.isArray(v)) return v.map((x) => walk(x, parentKind))
  if (!v || typeof v !== 'object') return v
  const o = v as Record<string, unknown>
  // A list's items inherit its kind (a SecretList's items carry none of their own).
  const own = kindOf(o) || parentKind
  const itemKind = own.endsWith('list') ? own.slice(0, -4) : own === 'collection' ? '' : own
  const out: Record<string, unknown> = {}
  for (const [k, x] of Object.entries(o)) {
    const byObject = Object.hasOwn(SECRET_OBJECT_KEYS, k) ? SECRET_OBJECT_KEYS[k] : undefined
    if (x !== null && x !== undefined && typeof x !== 'boolean' && (SECRET_KEY.test(k) || byObject?.(own))) {
      out[k] = REDACTED
    } else {
      // Nested fields keep their object's kind (a Token's status.value); a list's items take the item kind.
      out[k] = walk(x, k === 'items' || (k === 'data' && Array.isArray(x)) ? itemKind : own)
    }
  }
  return out
}

function redactPath(v: unknown, segs: string[]): void {
  if (!v || typeof v !== 'object' || !segs.length) return
  const [head, ...rest] = segs
  const o = v as Record<string, unknown>
  const keys = head === '*' ? Object.keys(o) : head! in o ? [head!] : []
  for (const k of keys) {
    if (rest.length === 0) o[k] = REDACTED
    else redactPath(o[k], rest)
  }
}
