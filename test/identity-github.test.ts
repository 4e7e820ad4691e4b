// GitHub login end to end: a real management cluster, the edge in workerd and the local agent, against
// THE GITHUB STAND-IN (test/support/github-standin.ts) — the one fake allowed here, since GitHub itself
// cannot be reached: a local server speaking GitHub's OAuth app and REST shapes, laid out as GitHub
// Enterprise Server (REST under /api/v3 only).
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { githubStandin, type GithubStandin, type StandinUser } from './support/github-standin.ts'
import { mgmtStack, type MgmtStack } from './support/mgmt-stack.ts'

const ADMIN_PASSWORD = 'correct-horse-battery'
const CLIENT_ID = 'Iv1.drover0standin'
const CLIENT_SECRET = 'github-client-secret-Pq7wX3vK'
const BASE = '/v3-public/githubProviders/github'
const acme = { id: 1001, login: 'acme' }
const widgets = { id: 1002, login: 'widgets' }
const OCTOCAT: StandinUser = {
  id: 583231,
  login: 'octocat',
  name: 'The Octocat',
  orgs: [acme, widgets, { id: 1003, login: 'tools' }],
  teams: [{ id: 2001, name: 'Ops', slug: 'ops', org: acme }, { id: 2002, name: 'Devs', slug: 'devs', org: acme }, { id: 2003, name: 'Core', slug: 'core', org: widgets }],
}
const HUBOT: StandinUser = { id: 480938, login: 'hubot', name: 'Hubot', orgs: [{ id: 1004, login: 'elsewhere' }], teams: [] }

let stack: MgmtStack
let github: GithubStandin
let adminToken: string

/** A browser, as far as login needs one: cookies per host, redirects followed by hand. */
class Browser {
  private jar = new Map<string, Map<string, string>>()

  cookie(host: string, name: string): string | undefined {
    return this.jar.get(host)?.get(name)
  }

  async request(url: URL, init: { method?: string; body?: string } = {}): Promise<Response> {
    const cookies = [...(this.jar.get(url.host) ?? [])].map(([k, v]) => `${k}=${v}`).join('; ')
    const headers: Record<string, string> = { accept: 'text/html,application/json', ...(cookies ? { cookie: cookies } : {}), ...(init.body ? { 'content-type': 'application/json' } : {}) }
    const opts = { method: init.method ?? 'GET', headers, redirect: 'manual' as const, ...(init.body ? { body: init.body } : {}) }
    const res = url.host === stack.edge.url.host
      ? ((await stack.edge.fetch(url.pathname + url.search, opts)) as unknown as Response)
      : await fetch(url, opts)
    const jar = this.jar.get(url.host) ?? new Map<string, string>()
    this.jar.set(url.host, jar)
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';')
      const [name, value] = [pair!.slice(0, pair!.indexOf('=')).trim(), pair!.slice(pair!.indexOf('=') + 1).trim()]
      if (!value || attrs.some((a) => /^\s*max-age=0\s*$/i.test(a))) jar.delete(name)
      else jar.set(name, value)
    }
    return res
  }

  /** Starts a login at the edge and follows GitHub's authorize redirect; returns the callback URL, not yet visited. */
  async toCallback(redirect = '/dashboard/home'): Promise<URL> {
    const start = await this.request(new URL(`${BASE}/login?redirect=${encodeURIComponent(redirect)}`, stack.edge.url))
    expect(start.status, await start.clone().text()).toBe(302)
    const authorize = new URL(start.headers.get('location')!)
    expect(authorize.origin).toBe(`http://${github.host}`)
    expect(authorize.pathname).toBe('/login/oauth/authorize')
    expect(Object.fromEntries(authorize.searchParams)).toMatchObject({ client_id: CLIENT_ID, scope: 'read:org', redirect_uri: new URL(`${BASE}/callback`, stack.edge.url).href })
    expect(authorize.searchParams.get('state')).toMatch(/^[\w-]{40,}$/)
    const back = await this.request(authorize)
    expect(back.status).toBe(302)
    const callback = new URL(back.headers.get('location')!)
    expect(callback.host).toBe(stack.edge.url.host)
    return callback
  }

  /** A full login as the user signed in at the stand-in; returns the R_SESS token. */
  async login(): Promise<string> {
    const res = await this.request(await this.toCallback())
    expect(res.status, await res.clone().text()).toBe(302)
    expect(res.headers.get('location')).toBe('/dashboard/home')
    const token = this.cookie(stack.edge.url.host, 'R_SESS')
    expect(token).toMatch(/^token-[a-z0-9]{5}(:|%3A)/)
    return decodeURIComponent(token!)
  }
}

async function eventually(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const start = Date.now()
  while (Date.now() - start < timeoutMs) {
    if (await check()) return
    await sleep(250)
  }
  throw new Error(`${what}: not within ${timeoutMs} ms`)
}

async function githubTokenCount(): Promise<number> {
  const r = await stack.cluster.kubectl(['get', 'tokens.management.cattle.io', '-l', 'drover.io/auth-provider=github', '-o', 'name'])
  expect(r.code, r.stderr).toBe(0)
  return r.stdout.split('\n').filter(Boolean).length
}

beforeAll(async () => {
  github = await githubStandin({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, users: [OCTOCAT, HUBOT] })
  stack = await mgmtStack('github', { adminPassword: ADMIN_PASSWORD })
  adminToken = await stack.login('admin', ADMIN_PASSWORD)
})
afterAll(async () => {
  await stack?.[Symbol.asyncDispose]()
  await github?.[Symbol.asyncDispose]()
})

describe('GitHub login against the GitHub stand-in', () => {
  it('refuses a hostname with a scheme and plain HTTP to a non-loopback host with 422', async () => {
    const api = stack.api(adminToken)
    for (const body of [{ hostname: 'https://github.example.com' }, { hostname: 'github.example.com', tls: false }, { hostname: 'user@ghe.example.com' }]) {
      const res = await api.put('/v3/authconfigs/github', body)
      expect(res.status, JSON.stringify(res.body)).toBe(422)
      expect(res.body).toMatchObject({ type: 'error', code: 'InvalidBodyContent' })
    }
  })

  it('is configured with testAndApply: a bad code saves nothing, a good one enables it; the secret is never shown', async () => {
    const api = stack.api(adminToken)
    const githubConfig = { hostname: github.host, tls: false, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, accessMode: 'unrestricted' }
    const refused = await api.post('/v3/authconfigs/github?action=testAndApply', { githubConfig, code: 'not-a-code' })
    expect(refused.status, JSON.stringify(refused.body)).toBe(401)
    expect(JSON.stringify(refused.body)).not.toContain(CLIENT_SECRET)
    expect((await api.get('/v3/authconfigs/github')).status).toBe(404)

    const applied = await api.post<Record<string, unknown>>('/v3/authconfigs/github?action=testAndApply', { githubConfig, code: github.issueCode('octocat') })
    expect(applied.status, JSON.stringify(applied.body)).toBe(200)
    expect(applied.body).toMatchObject({ id: 'github', type: 'githubConfig', enabled: true, hostname: github.host, tls: false, clientId: CLIENT_ID, accessMode: 'unrestricted' })
    expect(applied.body).not.toHaveProperty('clientSecret')
    const cr = await stack.cluster.kubectl(['get', 'authconfigs.management.cattle.io', 'github', '-o', 'json'])
    expect(cr.stdout).not.toContain(CLIENT_SECRET)
    expect(JSON.parse(cr.stdout)).toMatchObject({ clientSecret: 'cattle-global-data:github-client-secret', hostname: github.host, tls: false })

    await eventually(async () => {
      const res = await stack.api().get<{ data: { id: string; redirectUrl?: string }[] }>('/v3-public/authProviders')
      return res.body.data?.some((p) => p.id === 'github' && p.redirectUrl === `http://${github.host}/login/oauth/authorize?client_id=${CLIENT_ID}`) === true
    }, 10_000, 'github listed in authProviders with the authorize URL')
  })

  it('logs a user in end to end through /api/v3; orgs and teams become group principals', async () => {
    github.signedInAs = 'octocat'
    github.requests.length = 0
    const token = await new Browser().login()
    const me = await stack.api(token).get<{ data: { id: string; principalIds: string[]; displayName: string }[] }>('/v3/users?me=true')
    expect(me.status, JSON.stringify(me.body)).toBe(200)
    expect(me.body.data[0]!.principalIds).toContain('github_user://583231')
    expect(me.body.data[0]!.displayName).toBe('The Octocat')

    const mine = await stack.api(token).get<{ data: { id: string; principalType: string; provider: string }[] }>('/v3/principals')
    expect(mine.status, JSON.stringify(mine.body)).toBe(200)
    expect(mine.body.data.map((p) => [p.id, p.principalType, p.provider]).sort()).toEqual([
      ['github_org://1001', 'group', 'github'], ['github_org://1002', 'group', 'github'], ['github_org://1003', 'group', 'github'],
      ['github_team://2001', 'group', 'github'], ['github_team://2002', 'group', 'github'], ['github_team://2003', 'group', 'github'],
      ['github_user://583231', 'user', 'github'],
    ])
    // The REST calls went to the Enterprise base, asked for 100 a page, and followed the Link pages.
    const api = github.requests.filter((r) => r.includes('/api/') || r.includes('/user'))
    expect(api).toEqual(expect.arrayContaining(['GET /api/v3/user', 'GET /api/v3/user/orgs?per_page=100', 'GET /api/v3/user/orgs?per_page=100&page=2', 'GET /api/v3/user/teams?per_page=100&page=2']))
    expect(api.every((r) => r.startsWith('GET /api/v3/'))).toBe(true)

    // A second login finds the same user.
    const again = await new Browser().login()
    expect((await stack.api(again).get<{ data: { id: string }[] }>('/v3/users?me=true')).body.data[0]!.id).toBe(me.body.data[0]!.id)
  })

  it('refuses a wrong or missing state and a missing flow cookie with 400, issuing no token', async () => {
    const before = await githubTokenCount()
    const browser = new Browser()
    const callback = await browser.toCallback()
    const flow = browser.cookie(stack.edge.url.host, 'R_GITHUB_FLOW')!
    const withFlow = (url: URL) => stack.edge.fetch(url.pathname + url.search, { headers: { cookie: `R_GITHUB_FLOW=${flow}` }, redirect: 'manual' })

    const wrong = new URL(callback)
    wrong.searchParams.set('state', 'not-the-state')
    const missing = new URL(callback)
    missing.searchParams.delete('state')
    for (const url of [wrong, missing]) {
      const res = await withFlow(url)
      expect(res.status, url.search).toBe(400)
      expect(await res.json()).toMatchObject({ type: 'error', status: 400 })
      expect(res.headers.getSetCookie().some((c) => c.startsWith('R_SESS='))).toBe(false)
    }
    const noCookie = await new Browser().request(callback)
    expect(noCookie.status).toBe(400)
    expect(await githubTokenCount()).toBe(before)
    // The code itself was good: with its state and cookie it logs in.
    expect((await withFlow(callback)).status).toBe(302)
  })

  it('answers a code GitHub refuses with 401', async () => {
    const browser = new Browser()
    const callback = await browser.toCallback()
    callback.searchParams.set('code', 'a-code-github-never-issued')
    const res = await browser.request(callback)
    const body = (await res.json()) as Record<string, unknown>
    expect(res.status, JSON.stringify(body)).toBe(401)
    expect(body).toMatchObject({ type: 'error', code: 'Unauthorized', message: expect.stringContaining('bad_verification_code') })
    expect(browser.cookie(stack.edge.url.host, 'R_SESS')).toBeUndefined()
  })

  it("logs in with Rancher's POST ?action=login {code}, only with the flow cookie", async () => {
    const browser = new Browser()
    const callback = await browser.toCallback()
    const body = JSON.stringify({ code: callback.searchParams.get('code'), responseType: 'json' })
    const without = await new Browser().request(new URL(`${BASE}?action=login`, stack.edge.url), { method: 'POST', body })
    expect(without.status).toBe(400)
    const res = await browser.request(new URL(`${BASE}?action=login`, stack.edge.url), { method: 'POST', body })
    const token = (await res.json()) as { token?: string; authProvider?: string }
    expect(res.status, JSON.stringify(token)).toBe(201)
    expect(token.authProvider).toBe('github')
    expect((await stack.api(token.token).get('/v3/users?me=true')).status).toBe(200)
  })

  it('in restricted mode lets a member of an allowed org in and refuses anyone else with 403', async () => {
    const api = stack.api(adminToken)
    const put = await api.put('/v3/authconfigs/github', { accessMode: 'restricted', allowedPrincipalIds: ['github_org://1001'] })
    expect(put.status, JSON.stringify(put.body)).toBe(200)
    github.signedInAs = 'octocat'
    await new Browser().login()

    github.signedInAs = 'hubot'
    const browser = new Browser()
    const res = await browser.request(await browser.toCallback())
    const body = (await res.json()) as Record<string, unknown>
    expect(res.status, JSON.stringify(body)).toBe(403)
    expect(body).toMatchObject({ type: 'error', code: 'PermissionDenied' })
    const users = await api.get<{ data: { principalIds: string[] }[] }>('/v3/users')
    expect(users.body.data.some((u) => u.principalIds.includes('github_user://480938'))).toBe(false)

    // Unrestricted again: hubot gets in.
    expect((await api.put('/v3/authconfigs/github', { accessMode: 'unrestricted' })).status).toBe(200)
    await new Browser().login()
    github.signedInAs = 'octocat'
  })

  it('revokes every github session within seconds when the provider is disabled', async () => {
    const token = await new Browser().login()
    expect((await stack.api(token).get('/v3/users?me=true')).status).toBe(200)
    const off = await stack.api(adminToken).post<Record<string, unknown>>('/v3/authconfigs/github?action=disable', {})
    expect(off.status, JSON.stringify(off.body)).toBe(200)
    expect(off.body.enabled).toBe(false)
    await eventually(async () => (await stack.api(token).get('/v3/users?me=true')).status === 401, 10_000, 'the github session stops working')
    expect(await githubTokenCount()).toBe(0)
    expect((await stack.api(adminToken).get('/v3/users?me=true')).status).toBe(200)
    expect((await stack.api().get(`${BASE}/login`)).status).toBe(404)
  })
})
