import { SELF } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { crossOriginReason } from './origin-check.ts'

// Issue 10, findings 4 and 5: a request the R_SESS cookie authenticates must come from the edge's own pages.
const ORIGIN = 'https://edge.test'
const edge = (path: string, init?: RequestInit) => SELF.fetch(`${ORIGIN}${path}`, init)
const cookie = { cookie: 'R_SESS=token-all%3Asecret' }
const bearer = { authorization: 'Bearer token-all:secret' }
const ws = { upgrade: 'websocket', connection: 'Upgrade', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==', 'sec-websocket-protocol': 'v5.channel.k8s.io' }
const EXEC = '/k8s/clusters/c-one/api/v1/namespaces/default/pods/p/exec?command=sh&stdin=true&stdout=true'
/** Logs out a session: state-changing, and it needs nothing from the management cluster for a dev token. */
const LOGOUT = '/v3/tokens?action=logout'

const crossSite: Record<string, string>[] = [
  { origin: 'https://evil.example' },
  { origin: 'https://sibling.edge.test' },
  { origin: 'null' },
  { 'sec-fetch-site': 'cross-site', origin: 'https://evil.example' },
  // A sibling origin of the same site: SameSite=Lax lets the cookie through, so this check must not.
  { 'sec-fetch-site': 'same-site' },
  // Sec-Fetch-Site wins over an Origin that looks right.
  { 'sec-fetch-site': 'cross-site', origin: ORIGIN },
  {}, // neither header: browsers always send Origin on these requests, so this is not one of our pages
]
const sameOrigin: Record<string, string>[] = [{ origin: ORIGIN }, { 'sec-fetch-site': 'same-origin' }, { 'sec-fetch-site': 'same-origin', origin: ORIGIN }]

async function expectRefused(res: Response): Promise<void> {
  expect(res.status).toBe(403)
  expect(await res.json()).toMatchObject({ type: 'error', status: 403, code: 'PermissionDenied', message: expect.stringMatching(/^cross-origin request refused: /) })
}

describe('cookie-authenticated WebSocket upgrades on /k8s/clusters (cross-site WebSocket hijacking)', () => {
  it('refuses an upgrade from another origin, or with no proof of origin', async () => {
    for (const headers of crossSite) await expectRefused(await edge(EXEC, { headers: { ...cookie, ...ws, ...headers } }))
  })

  it('lets a same-origin upgrade through to the tunnel', async () => {
    for (const headers of sameOrigin) {
      const res = await edge(EXEC, { headers: { ...cookie, ...ws, ...headers } })
      expect(res.status).toBe(503) // authenticated and passed on; no agent serves c-one in this test
      expect(await res.json()).toMatchObject({ code: 'ClusterUnavailable' })
    }
  })

  it('does not check Bearer-authenticated upgrades: their credential is not ambient', async () => {
    const res = await edge(EXEC, { headers: { ...bearer, ...ws, origin: 'https://evil.example' } })
    expect(res.status).toBe(503)
  })

  it('checks the credential actually used: a cookie sent beside an Authorization header is ignored by both', async () => {
    const res = await edge(EXEC, { headers: { ...cookie, ...bearer, ...ws, origin: 'https://evil.example' } })
    expect(res.status).toBe(503)
  })
})

describe('cookie-authenticated unsafe methods (CSRF)', () => {
  it('refuses a cross-origin POST to /v3 and leaves the session alone', async () => {
    for (const headers of crossSite) {
      const res = await edge(LOGOUT, { method: 'POST', headers: { ...cookie, ...headers } })
      await expectRefused(res)
      expect(res.headers.get('set-cookie')).toBeNull()
    }
  })

  it('accepts the same POST from the edge’s own pages', async () => {
    for (const headers of sameOrigin) {
      const res = await edge(LOGOUT, { method: 'POST', headers: { ...cookie, ...headers } })
      expect(res.status).toBe(200)
      expect(res.headers.get('set-cookie')).toMatch(/^R_SESS=;/)
    }
  })

  it('refuses cross-origin PUT, PATCH and DELETE on /v3 and through the proxy', async () => {
    for (const method of ['PUT', 'PATCH', 'DELETE']) {
      await expectRefused(await edge('/v3/settings/server-url', { method, headers: { ...cookie, origin: 'https://evil.example' } }))
      await expectRefused(await edge('/k8s/clusters/c-one/api/v1/namespaces/default/configmaps/x', { method, headers: { ...cookie, 'sec-fetch-site': 'cross-site' } }))
    }
    await expectRefused(await edge('/k8s/clusters/c-one/api/v1/namespaces', { method: 'POST', headers: { ...cookie, 'content-type': 'application/json' }, body: '{}' }))
  })

  it('leaves safe reads alone (the browser keeps their answers from other origins) and Bearer writes unchecked', async () => {
    expect((await edge('/k8s/clusters/c-one/version', { headers: { ...cookie, 'sec-fetch-site': 'cross-site' } })).status).toBe(503)
    const res = await edge(LOGOUT, { method: 'POST', headers: { ...bearer, origin: 'https://evil.example' } })
    expect(res.status).toBe(200)
  })
})

describe('login from another site (login CSRF)', () => {
  const LOGIN = '/v3-public/localProviders/local?action=login'
  const body = JSON.stringify({ username: 'admin' })
  const json = { 'content-type': 'application/json' }

  it('is refused when Origin or Sec-Fetch-Site says the page was on another origin', async () => {
    for (const headers of <Record<string, string>[]>[{ origin: 'https://evil.example' }, { 'sec-fetch-site': 'cross-site' }, { 'sec-fetch-site': 'same-site' }]) {
      await expectRefused(await edge(LOGIN, { method: 'POST', headers: { ...json, ...headers }, body }))
    }
  })

  it('still works for clients that send neither header (curl, the CLI) and for the edge’s own pages', async () => {
    for (const headers of <Record<string, string>[]>[{}, { origin: ORIGIN }, { 'sec-fetch-site': 'same-origin' }]) {
      const res = await edge(LOGIN, { method: 'POST', headers: { ...json, ...headers }, body })
      expect(res.status).toBe(422) // reached the login: the password is missing
      expect(await res.json()).toMatchObject({ code: 'MissingRequired' })
    }
  })
})

describe('crossOriginReason', () => {
  const req = (headers: Record<string, string>) => new Request('https://edge.test:8443/v3/x', { method: 'POST', headers })

  it('compares Origin with the request URL’s own origin, port included', () => {
    expect(crossOriginReason(req({ origin: 'https://edge.test:8443' }), true)).toBeNull()
    expect(crossOriginReason(req({ origin: 'https://edge.test' }), true)).toMatch(/Origin "https:\/\/edge.test" is not https:\/\/edge.test:8443/)
    expect(crossOriginReason(req({ origin: 'http://edge.test:8443' }), true)).not.toBeNull()
  })

  it('needs proof of origin only when asked to', () => {
    expect(crossOriginReason(req({}), true)).toMatch(/neither Origin nor Sec-Fetch-Site/)
    expect(crossOriginReason(req({}), false)).toBeNull()
    expect(crossOriginReason(req({ 'sec-fetch-site': 'none' }), false)).toMatch(/Sec-Fetch-Site is "none"/)
  })
})
