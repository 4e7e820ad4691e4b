// Whom the agent trusts at the edge URL (Rancher's CATTLE_CA_CHECKSUM and `agent-tls-mode`; CVE-2024-22030,
// where an expired domain or a hijacked DNS name with a publicly trusted certificate took over every agent).
//
// - strict: the only trust anchor is the CA whose PEM text hashes (SHA-256) to the checksum the import
//   manifest carries. The system store is never consulted, for the WebSocket dial or any other call to
//   the edge.
// - system-store: Node's default store (its bundled roots plus NODE_EXTRA_CA_CERTS), plus the pinned CA
//   when a checksum is given. The default only when no checksum is given.
//
// The CA comes from the edge's unauthenticated `GET <server>/cacerts`, whose body is the `cacerts`
// setting's text, byte for byte — the same bytes the edge hashed for the manifest (workers/routes/import.ts
// hashes the setting's UTF-8 text; workers/routes/cacerts.ts serves that text). Nothing is normalised on
// either side: the agent hashes the body exactly as received.
import { createHash, X509Certificate } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { request as httpsRequest } from 'node:https'
import { rootCertificates } from 'node:tls'
import { AGENT_TLS_MODES, isAgentTlsMode, type AgentTlsMode } from '../protocol/api/settings.ts'
import { proxyAgentFor } from './proxy.ts'

export type { AgentTlsMode }

/** The agent's trust configuration cannot work; it refuses to start. */
export class EdgeTrustError extends Error {}

/** `/cacerts` answered, but with a CA other than the pinned one: an attacker, or the wrong checksum. */
export class CaMismatchError extends Error {
  constructor(
    readonly expected: string,
    readonly received: string,
  ) {
    super(`the edge's CA has checksum ${received}, not the expected ${expected}`)
  }
}

/** `/cacerts` could not be read (network, HTTP status, size, not a certificate). */
export class CaUnavailableError extends Error {}

export interface EdgeTrustConfig {
  /** SHA-256 (hex) of the edge CA's PEM text, as the import manifest carries it (DROVER_CA_CHECKSUM). */
  caChecksum?: string | undefined
  /** `strict` or `system-store` (DROVER_AGENT_TLS_MODE); default strict with a checksum, else system-store. */
  tlsMode?: string | undefined
}

export interface EdgeTrustSettings {
  mode: AgentTlsMode
  caChecksum?: string
}

const CHECKSUM = /^[0-9a-f]{64}$/
const MAX_CA_BYTES = 1 << 20
const CA_FETCH_TIMEOUT_MS = 15_000

/** Validates the configuration against the edge URL (ws/wss/http/https); throws EdgeTrustError with what to set. */
export function edgeTrustSettings(edge: URL, cfg: EdgeTrustConfig): EdgeTrustSettings {
  // Only the hex digits' case is normalised; it is the checksum's spelling, not the hashed bytes.
  const caChecksum = cfg.caChecksum?.trim().toLowerCase() || undefined
  if (caChecksum !== undefined && !CHECKSUM.test(caChecksum)) {
    throw new EdgeTrustError('the CA checksum (--ca-checksum / DROVER_CA_CHECKSUM) must be the SHA-256 of the edge CA in 64 hex digits')
  }
  const mode = cfg.tlsMode?.trim() || (caChecksum ? 'strict' : 'system-store')
  if (!isAgentTlsMode(mode)) {
    throw new EdgeTrustError(`the TLS mode (--tls-mode / DROVER_AGENT_TLS_MODE) must be one of ${AGENT_TLS_MODES.join(', ')}, not "${mode}"`)
  }
  if (mode === 'strict' && !caChecksum) {
    throw new EdgeTrustError(
      'strict TLS mode trusts only the edge CA pinned by its checksum, and none is given: set --ca-checksum / DROVER_CA_CHECKSUM ' +
        "to the SHA-256 of the edge's cacerts setting (the import manifest carries it when that setting is set), " +
        'or --tls-mode system-store / DROVER_AGENT_TLS_MODE=system-store to trust the system store',
    )
  }
  if (caChecksum && edge.protocol !== 'https:' && edge.protocol !== 'wss:') {
    throw new EdgeTrustError(`a CA checksum pins the edge's TLS certificate; the edge URL must be https://, not ${edge.protocol}//`)
  }
  return { mode, ...(caChecksum ? { caChecksum } : {}) }
}

/**
 * The TLS options for every connection to the edge. With a checksum, the CA is fetched and verified
 * once: only one PEM text has that checksum, so a verified CA never needs fetching again.
 */
export class EdgeTrust {
  private anchor?: string

  constructor(
    readonly settings: EdgeTrustSettings,
    /** `https://<edge>/cacerts`. */
    private readonly cacertsUrl: URL,
  ) {}

  /** Strict mode: a certificate failure means the edge is not the one pinned. */
  get pinned(): boolean {
    return this.settings.mode === 'strict'
  }

  /** `{}` (Node's default store) or `{ ca }`; rejects with CaMismatchError or CaUnavailableError. */
  async tlsOptions(signal?: AbortSignal): Promise<{ ca?: string[] }> {
    const { caChecksum, mode } = this.settings
    if (!caChecksum) return {}
    this.anchor ??= await fetchVerifiedCa(this.cacertsUrl, caChecksum, signal)
    return { ca: mode === 'strict' ? [this.anchor] : [...systemStore(), this.anchor] }
  }
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex')
}

/** The body of `GET url`, verified against `checksum` before anything is trusted from it. */
export async function fetchVerifiedCa(url: URL, checksum: string, signal?: AbortSignal): Promise<string> {
  const body = await fetchCa(url, signal)
  const received = sha256Hex(body)
  if (received !== checksum) throw new CaMismatchError(checksum, received)
  const pem = body.toString('utf8')
  try {
    new X509Certificate(pem)
  } catch {
    throw new CaUnavailableError(`${url.pathname} matches the CA checksum but holds no PEM certificate`)
  }
  return pem
}

/**
 * The first fetch cannot be verified by a CA: the CA is what it fetches. It is made with certificate
 * verification off, as Rancher's agent does, and then nothing from it is trusted unless its SHA-256
 * equals the checksum — a man in the middle can answer, but only with the pinned CA or a refusal. The
 * system store is not used instead: strict mode must not depend on it at all, and a private CA (the
 * usual reason for a checksum) would not verify against it anyway. Nothing secret is sent: no token,
 * no cookie; the CA itself is public.
 */
function fetchCa(url: URL, signal?: AbortSignal): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const fail = (e: unknown) =>
      reject(e instanceof CaUnavailableError ? e : new CaUnavailableError(`cannot fetch ${url.href}: ${e instanceof Error ? e.message : String(e)}`))
    const proxy = proxyAgentFor(url)
    const req = httpsRequest(
      url,
      {
        method: 'GET',
        headers: { accept: 'text/plain, application/x-pem-file' },
        rejectUnauthorized: false,
        // A fresh connection, never one pooled with verified requests.
        agent: proxy ?? false,
        timeout: CA_FETCH_TIMEOUT_MS,
        ...(signal ? { signal } : {}),
      },
      (res) => {
        if (res.statusCode !== 200) {
          res.resume()
          fail(new CaUnavailableError(`${url.href} answered HTTP ${res.statusCode}`))
          return
        }
        const chunks: Buffer[] = []
        let size = 0
        res.on('data', (chunk: Buffer) => {
          size += chunk.length
          if (size > MAX_CA_BYTES) req.destroy(new CaUnavailableError(`${url.href} answered more than ${MAX_CA_BYTES} bytes`))
          else chunks.push(chunk)
        })
        res.on('end', () => resolve(Buffer.concat(chunks)))
        res.on('error', fail)
      },
    )
    req.on('timeout', () => req.destroy(new CaUnavailableError(`${url.href} did not answer within ${CA_FETCH_TIMEOUT_MS} ms`)))
    req.on('error', fail)
    req.end()
  })
}

let extraCas: string[] | undefined

/**
 * Node's default store as an explicit list, since a `ca` option replaces it: the bundled roots and the
 * certificates of NODE_EXTRA_CA_CERTS (which Node reads only into the default store).
 */
function systemStore(): string[] {
  if (!extraCas) {
    extraCas = []
    const file = process.env.NODE_EXTRA_CA_CERTS
    if (file) {
      try {
        extraCas = [readFileSync(file, 'utf8')]
      } catch {
        // Node itself warns at startup when the file cannot be read.
      }
    }
  }
  return [...rootCertificates, ...extraCas]
}
