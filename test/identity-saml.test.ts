// SAML (Rancher's `shibboleth` provider) end to end: a real IdP (Debian's simplesamlphp), a real management
// cluster with drover's extension API server behind APIService v1.ext.cattle.io, the edge in workerd and
// the local agent. The edge never checks an XML signature: every response goes edge → local tunnel →
// kube-apiserver → aggregator → extension server. The IdP's pages are driven with plain HTTP requests.
import { deflateRawSync, inflateRawSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { extResources } from '../ext-apiserver/resources.ts'
import { startTestExtApiServer, type TestExtApiServer } from './support/ext-apiserver.ts'
import { adminToken, mgmtStack, type MgmtStack } from './support/mgmt-stack.ts'
import { SAML_USERS, startSimpleSamlPhp, type SimpleSamlPhp } from './support/simplesamlphp.ts'

const ADMIN_PASSWORD = 'saml-admin-password-1'
const LOGIN = '/v3-public/shibbolethProviders/shibboleth/login'
const OTHER_SP = 'https://other-sp.example/metadata'

let stack: MgmtStack
let ext: TestExtApiServer
let idp: SimpleSamlPhp
let admin: string
let acsUrl: string
let entityId: string

const decode = (s: string) => s.replace(/&quot;/g, '"').replace(/&#0?39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&')

/** A browser: a cookie jar per host, no redirects followed by itself. */
class Browser {
  private jar = new Map<string, Map<string, string>>()

  cookie(host: string, name: string): string | undefined {
    return this.jar.get(host)?.get(name)
  }

  setCookie(host: string, name: string, value: string | undefined): void {
    const cookies = this.jar.get(host) ?? new Map<string, string>()
    this.jar.set(host, cookies)
    if (value === undefined) cookies.delete(name)
    else cookies.set(name, value)
  }

  async request(url: URL, init: { method?: string; body?: string; contentType?: string } = {}): Promise<Response> {
    const cookies = [...(this.jar.get(url.host) ?? new Map<string, string>())].map(([k, v]) => `${k}=${v}`).join('; ')
    const headers: Record<string, string> = { accept: 'text/html', ...(cookies ? { cookie: cookies } : {}), ...(init.contentType ? { 'content-type': init.contentType } : {}) }
    const req = { method: init.method ?? 'GET', headers, redirect: 'manual' as const, ...(init.body ? { body: init.body } : {}) }
    const res = url.host === stack.edge.url.host ? ((await stack.edge.fetch(url.pathname + url.search, req)) as unknown as Response) : await fetch(url, req)
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';')
      const eq = pair!.indexOf('=')
      const expired = attrs.some((a) => /^\s*max-age=0\s*$/i.test(a) || (/^\s*expires=/i.test(a) && Date.parse(a.split('=')[1]!) < Date.now()))
      const value = pair!.slice(eq + 1).trim()
      this.setCookie(url.host, pair!.slice(0, eq).trim(), expired || !value ? undefined : value)
    }
    return res
  }

  /** Starts a login at the edge; returns the IdP URL it redirects to (the flow cookie is now in the jar). */
  async start(redirect = '/dashboard/home'): Promise<URL> {
    const res = await this.request(new URL(`${LOGIN}?redirect=${encodeURIComponent(redirect)}`, stack.edge.url))
    expect(res.status, await res.clone().text()).toBe(302)
    return new URL(res.headers.get('location')!)
  }

  /** Follows the IdP's pages (login form) from `url` until it answers the auto-post form for the ACS. */
  async atIdp(url: URL, user: keyof typeof SAML_USERS): Promise<{ action: string; SAMLResponse: string; RelayState: string }> {
    let res = await this.request(url)
    for (let hops = 0; hops < 10; hops++) {
      if (res.status >= 300 && res.status < 400) {
        url = new URL(res.headers.get('location')!, url)
        res = await this.request(url)
        continue
      }
      const html = await res.text()
      expect(res.status, html.slice(0, 2000)).toBe(200)
      const hidden = Object.fromEntries([...html.matchAll(/<input[^>]*type="hidden"[^>]*name="([^"]+)"[^>]*value="([^"]*)"/g)].map((m) => [m[1]!, decode(m[2]!)]))
      if (hidden.SAMLResponse) {
        const action = decode(/<form[^>]*action="([^"]+)"/.exec(html)![1]!)
        return { action, SAMLResponse: hidden.SAMLResponse, RelayState: hidden.RelayState ?? '' }
      }
      if (!/name="password"/.test(html)) throw new Error(`unexpected IdP page: ${html.slice(0, 800)}`)
      const form = new URLSearchParams({ ...hidden, username: user, password: SAML_USERS[user].password })
      url = new URL('?', url)
      res = await this.request(url, { method: 'POST', body: form.toString(), contentType: 'application/x-www-form-urlencoded' })
    }
    throw new Error('too many IdP pages')
  }

  /** Posts a response to the ACS as the IdP's auto-post form would (with this browser's cookies). */
  async post(fields: { SAMLResponse: string; RelayState: string }): Promise<Response> {
    return this.request(new URL(acsUrl), { method: 'POST', body: new URLSearchParams(fields).toString(), contentType: 'application/x-www-form-urlencoded' })
  }

  flowCookie(): string | undefined {
    return this.cookie(stack.edge.url.host, 'R_SAML_FLOW')
  }

  /** The R_SESS token (the cookie value is URL-encoded). */
  session(): string | undefined {
    const value = this.cookie(stack.edge.url.host, 'R_SESS')
    return value === undefined ? undefined : decodeURIComponent(value)
  }
}

const xmlOf = (b64: string) => Buffer.from(b64, 'base64').toString('utf8')
const b64Of = (xml: string) => Buffer.from(xml, 'utf8').toString('base64')

/** A fresh browser through the IdP: the response it would post, not yet posted. */
async function responseFor(user: keyof typeof SAML_USERS): Promise<{ browser: Browser; fields: { SAMLResponse: string; RelayState: string } }> {
  const browser = new Browser()
  const form = await browser.atIdp(await browser.start(), user)
  expect(form.action).toBe(acsUrl)
  return { browser, fields: { SAMLResponse: form.SAMLResponse, RelayState: form.RelayState } }
}

async function refused(browser: Browser, fields: { SAMLResponse: string; RelayState: string }, status: number, message: RegExp): Promise<void> {
  const res = await browser.post(fields)
  const body = (await res.json()) as { message?: string }
  expect(res.status, JSON.stringify(body)).toBe(status)
  expect(body.message).toMatch(message)
  expect(browser.session()).toBeUndefined()
}

beforeAll(async () => {
  stack = await mgmtStack('saml-e2e', { adminPassword: ADMIN_PASSWORD })
  ext = await startTestExtApiServer(stack.cluster, extResources)
  admin = await adminToken(stack, ADMIN_PASSWORD)
  const origin = stack.edge.url.origin
  entityId = `${origin}/v1-saml/shibboleth/saml/metadata`
  acsUrl = `${origin}/v1-saml/shibboleth/saml/acs`
  idp = await startSimpleSamlPhp([{ entityId, acsUrl }, { entityId: OTHER_SP, acsUrl }])
}, 240_000)
afterAll(async () => {
  await Promise.resolve(idp?.[Symbol.asyncDispose]()).catch(() => {})
  await Promise.resolve(ext?.[Symbol.asyncDispose]()).catch(() => {})
  await stack?.[Symbol.asyncDispose]()
})

const config = (extra: Record<string, unknown> = {}) => ({
  enabled: true,
  idpMetadataContent: idp.metadata,
  uidField: 'uid',
  displayNameField: 'displayName',
  userNameField: 'uid',
  groupsField: 'groups',
  rancherApiHost: stack.edge.url.origin,
  ...extra,
})

describe('SAML (shibboleth) through the extension API server', () => {
  it('refuses logins until enabled, and an enabled save with unusable IdP metadata', async () => {
    expect((await stack.edge.fetch(`${LOGIN}?redirect=/`, { redirect: 'manual' })).status).toBe(404)
    const bad = await stack.api(admin).put('/v3/authconfigs/shibboleth', config({ idpMetadataContent: '<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="x"/>' }))
    expect(bad.status, JSON.stringify(bad.body)).toBe(422)
    expect(bad.body.message).toMatch(/idpMetadataContent: no EntityDescriptor with an IDPSSODescriptor/)
    expect((await stack.api(admin).get('/v3/authconfigs/shibboleth')).status).toBe(404)
  })

  it('is enabled by a save whose metadata the extension server accepts', async () => {
    const res = await stack.api(admin).put('/v3/authconfigs/shibboleth', config())
    expect(res.status, JSON.stringify(res.body)).toBe(201)
    expect(res.body).toMatchObject({ id: 'shibboleth', type: 'shibbolethConfig', enabled: true, uidField: 'uid', groupsField: 'groups' })
    const sp = await stack.edge.fetch('/v1-saml/shibboleth/saml/metadata')
    const xml = await sp.text()
    expect(xml).toContain(`entityID="${entityId}"`)
    expect(xml).toContain(`Location="${acsUrl}"`)
  })

  it('logs a user in through the IdP: a cookie session, the flow path, groups as principals', async () => {
    const browser = new Browser()
    const idpUrl = await browser.start('/dashboard/c/local')
    expect(idpUrl.origin).toBe(idp.url)
    expect(idpUrl.searchParams.get('SAMLRequest')).toBeTruthy()
    const form = await browser.atIdp(idpUrl, 'alice')
    expect(form.RelayState).toBe(idpUrl.searchParams.get('RelayState'))
    const res = await browser.post(form)
    expect(res.status, await res.clone().text()).toBe(303)
    expect(res.headers.get('location')).toBe('/dashboard/c/local')
    expect(browser.flowCookie()).toBeUndefined()
    const token = browser.session()!
    expect(token).toBeTruthy()
    const principals = await stack.api(token).get<{ data: { id: string }[] }>('/v3/principals')
    expect(principals.status).toBe(200)
    expect(principals.body.data.map((p) => p.id).sort()).toEqual(['shibboleth_group://developers', 'shibboleth_group://ops', 'shibboleth_user://alice'])
    const me = await stack.api(token).get<{ data: { displayName: string; principalIds: string[] }[] }>('/v3/users?me=true')
    expect(me.body.data[0]).toMatchObject({ displayName: 'Alice Example', principalIds: expect.arrayContaining(['shibboleth_user://alice']) })
    // No directory behind the IdP: a search names the principal asked for, so roles can be bound to it.
    const found = await stack.api(token).post<{ data: { id: string }[] }>('/v3/principals?action=search', { name: 'ops', principalType: 'group' })
    expect(found.body.data.map((p) => p.id)).toContain('shibboleth_group://ops')
  })

  it('refuses a response whose signed assertion was changed (a group, or the uid)', async () => {
    const { browser, fields } = await responseFor('bob')
    const xml = xmlOf(fields.SAMLResponse)
    expect(xml).toContain('>everyone<')
    const flow = browser.flowCookie()
    await refused(browser, { ...fields, SAMLResponse: b64Of(xml.replace('>everyone<', '>admins<')) }, 401, /signature/i)
    browser.setCookie(stack.edge.url.host, 'R_SAML_FLOW', flow)
    await refused(browser, { ...fields, SAMLResponse: b64Of(xml.replace(/>bob</g, '>alice<')) }, 401, /signature/i)
  })

  it('refuses an unsigned response', async () => {
    const { browser, fields } = await responseFor('bob')
    const unsigned = xmlOf(fields.SAMLResponse).replace(/<ds:Signature[\s\S]*?<\/ds:Signature>/g, '')
    expect(unsigned).not.toContain('Signature')
    await refused(browser, { ...fields, SAMLResponse: b64Of(unsigned) }, 401, /signature/i)
  })

  it('refuses the same response a second time, even with its flow cookie still in hand', async () => {
    const { browser, fields } = await responseFor('bob')
    const flow = browser.flowCookie()!
    const first = await browser.post(fields)
    expect(first.status, await first.clone().text()).toBe(303)
    const attacker = new Browser()
    attacker.setCookie(stack.edge.url.host, 'R_SAML_FLOW', flow)
    await refused(attacker, fields, 401, /used before/)
    // With a fresh login's cookie and RelayState the response answers another request.
    const fresh = new Browser()
    const idpUrl = await fresh.start()
    await refused(fresh, { SAMLResponse: fields.SAMLResponse, RelayState: idpUrl.searchParams.get('RelayState')! }, 401, /InResponseTo/)
  })

  it('refuses a wrong RelayState and a post without the flow cookie with 400', async () => {
    const { browser, fields } = await responseFor('bob')
    const flow = browser.flowCookie()
    await refused(browser, { ...fields, RelayState: 'forged-relay-state' }, 400, /RelayState does not match/)
    const noCookie = new Browser()
    await refused(noCookie, fields, 400, /no login in progress/)
    // The cookie is spent by the first post, whatever its outcome: the right RelayState now finds none.
    expect(browser.flowCookie()).toBeUndefined()
    browser.setCookie(stack.edge.url.host, 'R_SAML_FLOW', flow)
    const res = await browser.post(fields)
    expect(res.status, await res.clone().text()).toBe(303)
  })

  it('refuses a response the IdP signed for another audience', async () => {
    const browser = new Browser()
    const ours = await browser.start()
    const request = inflateRawSync(Buffer.from(ours.searchParams.get('SAMLRequest')!, 'base64')).toString('utf8')
    const requestId = /\sID="([^"]+)"/.exec(request)![1]!
    // Another SP registered at the same IdP asks for this login's request ID and our ACS URL.
    const other = `<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="${requestId}" Version="2.0" IssueInstant="${new Date().toISOString()}" Destination="${ours.origin}${ours.pathname}" AssertionConsumerServiceURL="${acsUrl}" ProtocolBinding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"><saml:Issuer>${OTHER_SP}</saml:Issuer></samlp:AuthnRequest>`
    const url = new URL(`${ours.origin}${ours.pathname}`)
    url.searchParams.set('SAMLRequest', deflateRawSync(Buffer.from(other)).toString('base64'))
    url.searchParams.set('RelayState', ours.searchParams.get('RelayState')!)
    const form = await browser.atIdp(url, 'bob')
    expect(xmlOf(form.SAMLResponse)).toContain(`<saml:Audience>${OTHER_SP}</saml:Audience>`)
    await refused(browser, form, 401, /audience/i)
  })
})
