// A real OpenID provider (oidc-provider, in-process on loopback) for fault tests, with the test's hands on
// its wire: it counts requests for its keys (JWKS), can announce its JWKS at another address (a Toxiproxy
// proxy in front of it, to take the keys "down" alone), can fail the JWKS with a status, and can re-sign
// the ID tokens its token endpoint issues with a key it never published (an unknown `kid`). Plus a login
// driver that walks the provider's development login and consent pages with plain HTTP.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { decodeJwt, decodeProtectedHeader, generateKeyPair, SignJWT } from 'jose'
import type { TestEdge } from './proxy-fixture.ts'

// oidc-provider ships no types: the little used here.
interface OidcProvider {
  callback(): (req: IncomingMessage, res: ServerResponse) => void
}
type ProviderClass = new (issuer: string, config: Record<string, unknown>) => OidcProvider
const OIDC_PROVIDER = 'oidc-provider'

export interface IdpOptions {
  redirectUri: string
  clientId: string
  clientSecret: string
  accounts: Record<string, { name: string; groups: string[] }>
}

export class TestIdp implements AsyncDisposable {
  /** Requests that reached the JWKS endpoint. */
  jwksHits = 0
  /** When the JWKS endpoint last served the keys (ms since the epoch; 0: never). */
  jwksServedAt = 0
  /** Where discovery says the keys are; default the provider's own `/jwks`. */
  jwksUri: string | undefined
  /** When set, the JWKS endpoint answers this status instead of the keys. */
  jwksFailure: number | undefined
  /** When true, every ID token is re-signed with a fresh key under a `kid` the JWKS never listed. */
  forgeIdTokens = false
  forged = 0

  private constructor(
    private readonly server: Server,
    readonly issuer: string,
  ) {}

  static async start(o: IdpOptions): Promise<TestIdp> {
    const server = createServer()
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    const { default: Provider } = (await import(OIDC_PROVIDER)) as { default: ProviderClass }
    const provider = new Provider(issuer, {
      clients: [{ client_id: o.clientId, client_secret: o.clientSecret, redirect_uris: [o.redirectUri], grant_types: ['authorization_code'], response_types: ['code'], token_endpoint_auth_method: 'client_secret_basic' }],
      pkce: { required: () => true },
      claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name', 'preferred_username', 'groups'] },
      cookies: { keys: ['oidc-test-cookie-key'] },
      ttl: { Interaction: 600, Session: 3600, Grant: 3600, AccessToken: 600, IdToken: 600, AuthorizationCode: 60 },
      findAccount: (_ctx: unknown, id: string) => {
        const account = o.accounts[id]
        if (!account) return undefined
        return { accountId: id, claims: () => ({ sub: id, email: `${id}@example.test`, email_verified: true, name: account.name, preferred_username: id, groups: account.groups }) }
      },
    })
    const idp = new TestIdp(server, issuer)
    const handle = provider.callback()
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      const path = new URL(req.url ?? '/', issuer).pathname
      if (path === '/jwks') {
        idp.jwksHits++
        if (idp.jwksFailure) {
          res.writeHead(idp.jwksFailure, { 'content-type': 'text/plain' }).end('keys unavailable')
          return
        }
        idp.jwksServedAt = Date.now()
      }
      if (path === '/.well-known/openid-configuration' && idp.jwksUri) {
        const uri = idp.jwksUri
        rewriteJson(res, (doc) => ({ ...doc, jwks_uri: uri }))
      }
      if (path === '/token' && idp.forgeIdTokens) rewriteJson(res, async (body) => ({ ...body, id_token: await idp.forge(body.id_token as string) }))
      handle(req, res)
    })
    return idp
  }

  /** The same claims under a key nobody published. */
  private async forge(idToken: string): Promise<string> {
    const alg = decodeProtectedHeader(idToken).alg!
    const { privateKey } = await generateKeyPair(alg)
    return new SignJWT(decodeJwt(idToken)).setProtectedHeader({ alg, typ: 'JWT', kid: `rogue-${++this.forged}` }).sign(privateKey)
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.server.closeAllConnections()
    await new Promise((r) => this.server.close(r))
  }
}

/** Lets oidc-provider (koa) answer, then edits its JSON body before it leaves. */
function rewriteJson(res: ServerResponse, edit: (body: Record<string, unknown>) => Record<string, unknown> | Promise<Record<string, unknown>>): void {
  const end = res.end.bind(res) as (chunk?: unknown) => ServerResponse
  res.end = ((chunk?: unknown) => {
    if (res.statusCode !== 200 || (typeof chunk !== 'string' && !Buffer.isBuffer(chunk))) return end(chunk)
    void Promise.resolve(edit(JSON.parse(chunk.toString()) as Record<string, unknown>)).then((body) => {
      const text = JSON.stringify(body)
      if (!res.headersSent) res.setHeader('content-length', Buffer.byteLength(text))
      end(text)
    })
    return res
  }) as typeof res.end
}

/** What a login ended with at the edge's callback. */
export interface LoginOutcome {
  status: number
  location: string | null
  body: string
}

/**
 * A browser, as far as an OIDC login needs one: starts at the edge, fills the provider's login and
 * consent pages, follows redirects by hand (cookies per host) and returns the edge's answer to the callback.
 */
export async function oidcLogin(edge: TestEdge, loginPath: string, username: string): Promise<LoginOutcome> {
  const jar = new Map<string, Map<string, string>>()
  const request = async (url: URL, init: { method?: string; body?: string } = {}) => {
    const cookies = [...(jar.get(url.host) ?? new Map<string, string>())].map(([k, v]) => `${k}=${v}`).join('; ')
    const headers: Record<string, string> = { accept: 'text/html,application/json', ...(cookies ? { cookie: cookies } : {}), ...(init.body ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) }
    const opts = { method: init.method ?? 'GET', headers, redirect: 'manual' as const, ...(init.body ? { body: init.body } : {}) }
    const res = url.host === edge.url.host ? ((await edge.fetch(url.pathname + url.search, opts)) as unknown as Response) : await fetch(url, opts)
    const kept = jar.get(url.host) ?? new Map<string, string>()
    jar.set(url.host, kept)
    for (const line of res.headers.getSetCookie()) {
      const pair = line.split(';')[0]!
      const eq = pair.indexOf('=')
      kept.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim())
    }
    return res
  }
  let url = new URL(loginPath, edge.url)
  let res = await request(url)
  for (let hops = 0; hops < 20; hops++) {
    if (res.status >= 300 && res.status < 400) {
      const next = new URL(res.headers.get('location')!, url)
      if (url.host === edge.url.host && next.host === edge.url.host) break
      url = next
      res = await request(url)
      continue
    }
    if (url.host === edge.url.host) break
    const html = await res.text()
    const prompt = /name="prompt" value="(\w+)"/.exec(html)?.[1]
    const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1]
    if (res.status !== 200 || !prompt || !action) throw new Error(`unexpected provider page (${res.status}): ${html.slice(0, 500)}`)
    const form = prompt === 'login' ? new URLSearchParams({ prompt, login: username, password: 'any' }) : new URLSearchParams({ prompt })
    url = new URL(action.replace(/&amp;/g, '&'), url)
    res = await request(url, { method: 'POST', body: form.toString() })
  }
  return { status: res.status, location: res.headers.get('location'), body: await res.text() }
}
