// HTTP to one edge with the TLS settings stored for it; Rancher error bodies turned into messages.
import { Agent, fetch } from 'undici'
import { StartError } from '../usage.ts'
import type { ServerEntry } from './config.ts'

/** No request of the command line may hang: the edge answers logins and lists well within this. */
const REQUEST_TIMEOUT_MS = 30_000
/** Bodies the command line reads are small (a cluster list, a token). */
const MAX_BODY_BYTES = 8 * 1024 * 1024

export interface EdgeResponse {
  status: number
  body: unknown
}

/** The message of a Rancher error body (`{type:"error", message}`), or the status line. */
export function errorMessage(res: EdgeResponse): string {
  const b = res.body as { message?: unknown } | undefined
  return typeof b?.message === 'string' && b.message ? b.message : `HTTP ${res.status}`
}

export class EdgeClient implements AsyncDisposable {
  readonly #agent: Agent

  constructor(
    readonly server: string,
    tls: Pick<ServerEntry, 'cacert' | 'insecureSkipTlsVerify'>,
  ) {
    this.#agent = new Agent({
      connect: { ...(tls.cacert ? { ca: tls.cacert } : {}), rejectUnauthorized: !tls.insecureSkipTlsVerify },
      headersTimeout: REQUEST_TIMEOUT_MS,
      bodyTimeout: REQUEST_TIMEOUT_MS,
    })
  }

  /** `path` is relative to the server (`/v3/clusters`); a network or TLS failure is a StartError naming the server. */
  async request(method: string, path: string, opts: { token?: string; body?: unknown } = {}): Promise<EdgeResponse> {
    const headers: Record<string, string> = { accept: 'application/json' }
    if (opts.token) headers.authorization = `Bearer ${opts.token}`
    if (opts.body !== undefined) headers['content-type'] = 'application/json'
    let res: Awaited<ReturnType<typeof fetch>>
    try {
      res = await fetch(`${this.server}${path}`, {
        method,
        headers,
        ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
        dispatcher: this.#agent,
        redirect: 'manual',
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      })
    } catch (e) {
      throw new StartError(`cannot reach ${this.server}: ${describeFetchError(e)}`)
    }
    const length = Number(res.headers.get('content-length') ?? 0)
    if (length > MAX_BODY_BYTES) {
      await res.body?.cancel()
      throw new StartError(`${this.server} answered ${method} ${path} with ${length} bytes, more than the command line reads`)
    }
    const text = await res.text()
    let body: unknown = text
    try {
      body = text ? JSON.parse(text) : {}
    } catch {
      /* not JSON: keep the text for the message */
    }
    return { status: res.status, body }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.#agent.close()
  }
}

/** undici hides the useful part (a TLS or DNS failure) in `cause`. */
function describeFetchError(e: unknown): string {
  const cause = (e as { cause?: { code?: string; message?: string } }).cause
  const code = cause?.code ?? ''
  if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER/.test(code)) {
    return `its TLS certificate is not trusted (${code}); pass --cacert <file> with the CA that signed it, or --insecure-skip-tls-verify`
  }
  if (e instanceof Error && e.name === 'TimeoutError') return `no answer within ${REQUEST_TIMEOUT_MS / 1000} s`
  return cause?.message ?? (e as Error).message
}
