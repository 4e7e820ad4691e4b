// Generic OIDC login end to end: a real OpenID provider (oidc-provider, in-process on loopback, its
// development login and consent pages driven with plain HTTP), a real management cluster, the edge in
// workerd and the local agent.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mgmtStack, type MgmtStack } from './support/mgmt-stack.ts'

const ADMIN_PASSWORD = 'correct-horse-battery'
const CLIENT_ID = 'drover-edge'
const CLIENT_SECRET = 'oidc-client-secret-Zq8vN2xL'
const CALLBACK = '/v3-public/genericOIDCProviders/genericoidc/callback'
const ACCOUNTS: Record<string, { name: string; groups: string[] }> = {
  alice: { name: 'Alice Liddell', groups: ['devs', 'readers'] },
}

// oidc-provider ships no types (and @types/oidc-provider is not installed): the little used here.
interface OidcProvider {
  callback(): (req: IncomingMessage, res: ServerResponse) => void
}
type ProviderClass = new (issuer: string, config: Record<string, unknown>) => OidcProvider
const OIDC_PROVIDER = 'oidc-provider'

let stack: MgmtStack
let adminToken: string
let issuer: string
let server: Server

async function startProvider(redirectUri: string): Promise<void> {
  server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const { default: Provider } = (await import(OIDC_PROVIDER)) as { default: ProviderClass }
  const provider = new Provider(issuer, {
    clients: [{ client_id: CLIENT_ID, client_secret: CLIENT_SECRET, redirect_uris: [redirectUri], grant_types: ['authorization_code'], response_types: ['code'], token_endpoint_auth_method: 'client_secret_basic' }],
    pkce: { required: () => true },
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name', 'preferred_username', 'groups'] },
    cookies: { keys: ['oidc-test-cookie-key'] },
    ttl: { Interaction: 600, Session: 3600, Grant: 3600, AccessToken: 600, IdToken: 600, AuthorizationCode: 60 },
    findAccount: (_ctx: unknown, id: string) => {
      const account = ACCOUNTS[id]
      if (!account) return undefined
      return { accountId: id, claims: () => ({ sub: id, email: `${id}@example.test`, email_verified: true, name: account.name, preferred_username: id, groups: account.groups }) }
    },
  })
  server.on('request', provider.callback())
}

/** A browser, as far as login needs one: cookies per host, redirects followed by hand. */
class Browser {
  private jar = new Map<string, Map<string, string>>()

  private remember(url: URL, res: Response): void {
    const cookies = this.jar.get(url.host) ?? new Map<string, string>()
    this.jar.set(url.host, cookies)
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';')
      const eq = pair!.indexOf('=')
      const name = pair!.slice(0, eq).trim()
      const value = pair!.slice(eq + 1).trim()
      const expired = attrs.some((a) => /^\s*max-age=0\s*$/i.test(a) || (/^\s*expires=/i.test(a) && Date.parse(a.split('=')[1]!) < Date.now()))
      if (expired || !value) cookies.delete(name)
      else cookies.set(name, value)
    }
  }

  cookie(host: string, name: string): string | undefined {
    return this.jar.get(host)?.get(name)
  }

  async request(url: URL, init: { method?: string; body?: string; contentType?: string } = {}): Promise<Response> {
    const cookies = [...(this.jar.get(url.host) ?? new Map<string, string>())].map(([k, v]) => `${k}=${v}`).join('; ')
    const headers: Record<string, string> = { accept: 'text/html,application/json', ...(cookies ? { cookie: cookies } : {}), ...(init.contentType ? { 'content-type': init.contentType } : {}) }
    const edgeHost = stack.edge.url.host
    const res = url.host === edgeHost
      ? ((await stack.edge.fetch(url.pathname + url.search, { method: init.method ?? 'GET', headers, redirect: 'manual', ...(init.body ? { body: init.body } : {}) })) as unknown as Response)
      : await fetch(url, { method: init.method ?? 'GET', headers, redirect: 'manual', ...(init.body ? { body: init.body } : {}) })
    this.remember(url, res)
    return res
  }

  /**
   * Starts a login at the edge and follows the provider's pages (login form, consent) until the
   * provider sends the browser back to the edge; returns that callback URL, not yet visited.
   */
  async toCallback(username: string, redirect = '/dashboard/home'): Promise<URL> {
    let url = new URL(`/v3-public/genericOIDCProviders/genericoidc/login?redirect=${encodeURIComponent(redirect)}`, stack.edge.url)
    let res = await this.request(url)
    expect(res.status, await res.clone().text()).toBe(302)
    for (let hops = 0; hops < 20; hops++) {
      if (res.status >= 300 && res.status < 400) {
        url = new URL(res.headers.get('location')!, url)
        if (url.host === stack.edge.url.host) return url
        res = await this.request(url)
        continue
      }
      const html = await res.text()
      expect(res.status, html).toBe(200)
      const prompt = /name="prompt" value="(\w+)"/.exec(html)?.[1]
      const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1]
      if (!prompt || !action) throw new Error(`unexpected provider page: ${html.slice(0, 500)}`)
      const form = prompt === 'login' ? new URLSearchParams({ prompt, login: username, password: 'any' }) : new URLSearchParams({ prompt })
      url = new URL(action.replace(/&amp;/g, '&'), url)
      res = await this.request(url, { method: 'POST', body: form.toString(), contentType: 'application/x-www-form-urlencoded' })
    }
    throw new Error('too many redirects')
  }

  /** A full login; returns the R_SESS token. */
  async login(username: string): Promise<string> {
    const callback = await this.toCallback(username)
    const res = await this.request(callback)
    expect(res.status, await res.clone().text()).toBe(302)
    expect(res.headers.get('location')).toBe('/dashboard/home')
    const token = this.cookie(stack.edge.url.host, 'R_SESS')
    expect(token).toMatch(/^token-[a-z0-9]{5}(:|%3A)/)
    return decodeURIComponent(token!)
  }
}

async function kubectl(args: string[], input?: string): Promise<void> {
  const r = await stack.cluster.kubectl(args, input ? { input } : {})
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr}`)
}

async function eventually(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<number> {
  const start = Date.now()
  while (Date.now() - start < timeoutMs) {
    if (await check()) return Date.now() - start
    await sleep(250)
  }
  throw new Error(`${what}: not within ${timeoutMs} ms`)
}

beforeAll(async () => {
  stack = await mgmtStack('oidc', { adminPassword: ADMIN_PASSWORD })
  await startProvider(new URL(CALLBACK, stack.edge.url).toString())
  adminToken = await stack.login('admin', ADMIN_PASSWORD)
})
afterAll(async () => {
  await stack?.[Symbol.asyncDispose]()
  server?.closeAllConnections()
  await new Promise((r) => (server ? server.close(r) : r(undefined)))
})

describe('generic OIDC login against a real OpenID provider', () => {
  it('is configured through /v3/authconfigs by the admin; the client secret is never shown', async () => {
    const api = stack.api(adminToken)
    const before = await api.get<{ data: { id: string }[] }>('/v3/authconfigs')
    expect(before.status, JSON.stringify(before.body)).toBe(200)
    expect(before.body.data.map((d) => d.id)).toContain('local')

    const put = await api.put<Record<string, unknown>>('/v3/authconfigs/genericoidc', { enabled: true, issuer, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET })
    expect(put.status, JSON.stringify(put.body)).toBe(201)
    expect(put.body).toMatchObject({ id: 'genericoidc', type: 'genericOIDCConfig', enabled: true, issuer, clientId: CLIENT_ID, scope: 'openid profile email', groupsClaim: 'groups', accessMode: 'unrestricted' })

    const got = await api.get('/v3/authconfigs/genericoidc')
    expect(got.status).toBe(200)
    expect(JSON.stringify(got.body)).not.toContain(CLIENT_SECRET)
    expect(got.body).not.toHaveProperty('clientSecret')
    const cr = await stack.cluster.kubectl(['get', 'authconfigs.management.cattle.io', 'genericoidc', '-o', 'json'])
    expect(cr.stdout).not.toContain(CLIENT_SECRET)
    expect(JSON.parse(cr.stdout)).toMatchObject({ clientSecret: 'cattle-global-data:genericoidc-client-secret' })

    // The public list caches the config for a few seconds.
    await eventually(async () => {
      const res = await stack.api().get<{ data: { id: string; redirectUrl?: string }[] }>('/v3-public/authProviders')
      return res.status === 200 && res.body.data.some((p) => p.id === 'genericoidc' && p.redirectUrl?.endsWith('/genericOIDCProviders/genericoidc/login') === true)
    }, 10_000, 'genericoidc listed in authProviders')
  })

  it('refuses a bad issuer and a missing client secret with 422', async () => {
    const api = stack.api(adminToken)
    const bad = await api.put('/v3/authconfigs/genericoidc', { issuer: 'http://example.com' })
    expect(bad.status, JSON.stringify(bad.body)).toBe(422)
    expect(bad.body).toMatchObject({ type: 'error', code: 'InvalidBodyContent' })
  })

  it('logs a user in end to end; the session carries the groups as genericoidc_group principals', async () => {
    const browser = new Browser()
    const token = await browser.login('alice')
    const me = await stack.api(token).get<{ data: { id: string; principalIds: string[]; displayName: string }[] }>('/v3/users?me=true')
    expect(me.status, JSON.stringify(me.body)).toBe(200)
    expect(me.body.data[0]!.principalIds).toContain('genericoidc_user://alice')
    expect(me.body.data[0]!.displayName).toBe('Alice Liddell')
    const tokens = await stack.api(token).get<{ data: { authProvider: string; userPrincipal: string; current: boolean }[] }>('/v3/tokens')
    expect(tokens.body.data.find((t) => t.current)).toMatchObject({ authProvider: 'genericoidc', userPrincipal: 'genericoidc_user://alice' })

    // The groups are the impersonated Kubernetes groups: RBAC bound to one takes effect.
    const denied = await stack.api(token).get('/v3/users')
    expect(denied.status, JSON.stringify(denied.body)).toBe(403)
    await kubectl(['create', 'clusterrole', 'oidc-test-user-reader', '--verb=get,list', '--resource=users.management.cattle.io'])
    await kubectl(['create', 'clusterrolebinding', 'oidc-test-devs', '--clusterrole=oidc-test-user-reader', '--group=genericoidc_group://devs'])
    await eventually(async () => (await stack.api(token).get('/v3/users')).status === 200, 10_000, 'the devs group may list users')

    // A second login finds the same user.
    const again = await new Browser().login('alice')
    const me2 = await stack.api(again).get<{ data: { id: string }[] }>('/v3/users?me=true')
    expect(me2.body.data[0]!.id).toBe(me.body.data[0]!.id)

    // Only admins may configure providers: the apiserver's RBAC decides.
    const forbidden = await stack.api(token).put('/v3/authconfigs/genericoidc', { enabled: true, clientSecret: 'attacker' })
    expect(forbidden.status, JSON.stringify(forbidden.body)).toBe(403)
  })

  it('refuses a wrong state, a missing flow cookie, a provider error and a replayed code with 4xx error bodies', async () => {
    const browser = new Browser()
    const callback = await browser.toCallback('alice')

    const wrongState = new URL(callback)
    wrongState.searchParams.set('state', 'not-the-state')
    const r1 = await browser.request(wrongState)
    expect(r1.status).toBe(400)
    expect(await r1.json()).toMatchObject({ type: 'error', status: 400 })

    const noCookie = await new Browser().request(callback)
    expect(noCookie.status).toBe(400)
    expect(await noCookie.json()).toMatchObject({ type: 'error' })

    // The same code and flow cookie, twice: the provider redeems a code once.
    const fresh = new Browser()
    const cb = await fresh.toCallback('alice')
    const flow = fresh.cookie(stack.edge.url.host, 'R_OIDC_FLOW')!
    const first = await fresh.request(cb)
    expect(first.status).toBe(302)
    const replay = (await stack.edge.fetch(cb.pathname + cb.search, { headers: { cookie: `R_OIDC_FLOW=${flow}` }, redirect: 'manual' })) as unknown as Response
    const replayBody = await replay.json() as Record<string, unknown>
    expect(replay.status, JSON.stringify(replayBody)).toBe(401)
    expect(replayBody).toMatchObject({ type: 'error', code: 'Unauthorized' })
    expect(JSON.stringify(replayBody)).not.toContain(CLIENT_SECRET)

    const denied = new Browser()
    const cb2 = await denied.toCallback('alice')
    const errorUrl = new URL(CALLBACK, stack.edge.url)
    errorUrl.searchParams.set('error', 'access_denied')
    errorUrl.searchParams.set('state', cb2.searchParams.get('state')!)
    errorUrl.searchParams.set('iss', issuer)
    const r3 = await denied.request(errorUrl)
    expect(r3.status).toBe(401)
    expect(await r3.json()).toMatchObject({ type: 'error', message: expect.stringContaining('access_denied') })
  })

  it('refuses an open redirect', async () => {
    for (const redirect of ['//evil.example/x', 'https://evil.example/', '/\\evil.example']) {
      const res = await stack.api().get(`/v3-public/genericOIDCProviders/genericoidc/login?redirect=${encodeURIComponent(redirect)}`)
      expect(res.status, redirect).toBe(422)
    }
  })

  it('revokes every genericoidc session within seconds when the provider is disabled', async () => {
    const token = await new Browser().login('alice')
    expect((await stack.api(token).get('/v3/users?me=true')).status).toBe(200)
    const off = await stack.api(adminToken).put<Record<string, unknown>>('/v3/authconfigs/genericoidc', { enabled: false })
    expect(off.status, JSON.stringify(off.body)).toBe(200)
    expect(off.body.enabled).toBe(false)
    // The 10 s deadline of the poll is the bound (it throws past it).
    await eventually(async () => (await stack.api(token).get('/v3/users?me=true')).status === 401, 10_000, 'the OIDC session stops working')
    // The admin's local session is untouched, and new logins are refused.
    expect((await stack.api(adminToken).get('/v3/users?me=true')).status).toBe(200)
    const login = await stack.api().get('/v3-public/genericOIDCProviders/genericoidc/login')
    expect(login.status).toBe(404)
  })
})
