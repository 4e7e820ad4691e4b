// An LDAP provider set up through the web UI, in real Chromium, against a real slapd and drover's
// extension API server (which makes the binds): the admin fills in OpenLDAP's fields, a wrong test
// password is refused with the edge's message and saves nothing, the right one enables it; the directory
// user then logs in through the login page's provider choice, and the admin finds her by principal search
// and makes her a member of cluster local. axe and CSP on each page; screenshots in test-artifacts/ui/.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { extResources } from '../ext-apiserver/resources.ts'
import { launchBrowser, type TestBrowser, type TestPage } from './support/browser.ts'
import { startTestExtApiServer, type TestExtApiServer } from './support/ext-apiserver.ts'
import { adminToken, mgmtStack, type MgmtStack } from './support/mgmt-stack.ts'
import { GROUPS, PEOPLE, SERVICE_ACCOUNT, startSlapd, USERS, type Slapd } from './support/slapd.ts'

const ADMIN_PASSWORD = 'ui-ldap-admin-password-1'
const WAIT = { timeout: 60_000 }

let stack: MgmtStack
let slapd: Slapd
let ext: TestExtApiServer
let browser: TestBrowser
let admin: string

beforeAll(async () => {
  ;[stack, slapd] = await Promise.all([mgmtStack('ui-ldap', { runner: true }), startSlapd()])
  ext = await startTestExtApiServer(stack.cluster, extResources)
  const first = await adminToken(stack, stack.admin.password)
  expect((await stack.api(first).post('/v3/users?action=changepassword', { currentPassword: stack.admin.password, newPassword: ADMIN_PASSWORD })).status).toBe(200)
  admin = await stack.login(stack.admin.username, ADMIN_PASSWORD)
  browser = await launchBrowser(stack.edge.url.origin)
}, 600_000)

afterAll(async () => {
  await browser?.[Symbol.asyncDispose]()
  await Promise.resolve(ext?.[Symbol.asyncDispose]()).catch(() => {})
  await slapd?.stop()
  await stack?.[Symbol.asyncDispose]()
})

async function check(p: TestPage, name: string): Promise<void> {
  await p.screenshot(name)
  expect(await p.axe(), `axe-core on ${name}`).toEqual([])
  expect(await p.cspViolations(), `CSP violations on ${name}`).toEqual([])
}

async function logIn(p: TestPage, username: string, password: string, provider?: string): Promise<void> {
  await p.page.getByLabel('Username', { exact: true }).waitFor(WAIT)
  if (provider) await p.page.getByLabel('Provider').selectOption({ label: provider })
  await p.page.getByLabel('Username', { exact: true }).fill(username)
  await p.page.getByLabel('Password', { exact: true }).fill(password)
  await p.page.getByRole('button', { name: 'Log in' }).click()
}

describe('OpenLDAP configured through the web UI', () => {
  it('is enabled by a test login, then its users log in and become members', async () => {
    const p = await browser.open('/users/auth')
    const { page } = p
    await logIn(p, stack.admin.username, ADMIN_PASSWORD)
    await page.getByText('Configure openldap').click()
    const field = (k: string) => page.locator(`#ac-openldap-${k}`)
    await field('servers').fill('127.0.0.1')
    await field('port').fill(String(slapd.port))
    await field('serviceAccountDistinguishedName').fill(SERVICE_ACCOUNT.dn)
    await field('serviceAccountPassword').fill(SERVICE_ACCOUNT.password)
    await field('userSearchBase').fill(PEOPLE)
    await field('groupSearchBase').fill(GROUPS)
    await field('test-user').fill('alice')
    await field('test-password').fill('not-her-password')
    const card = page.locator('.provider-list > li').filter({ hasText: 'Configure openldap' })
    await card.getByRole('button', { name: 'Test and enable' }).click()
    await card.getByRole('alert').filter({ hasText: /test login failed/ }).waitFor(WAIT)
    expect((await stack.api(admin).get('/v3/authconfigs/openldap')).status).toBe(404) // nothing saved
    await check(p, 'access-ldap-01-test-refused')

    await field('test-password').fill(USERS.alice.password)
    await card.getByRole('button', { name: 'Test and enable' }).click()
    await card.getByText('Enabled', { exact: true }).waitFor(WAIT)
    const saved = await stack.api(admin).get<Record<string, unknown>>('/v3/authconfigs/openldap')
    expect(saved.body).toMatchObject({ enabled: true, servers: ['127.0.0.1'], port: slapd.port, userSearchBase: PEOPLE })
    expect(JSON.stringify(saved.body)).not.toContain(SERVICE_ACCOUNT.password)
    await check(p, 'access-ldap-02-enabled')

    // The directory user logs in through the login page's provider choice.
    const q = await browser.open('/')
    await logIn(q, 'bob', USERS.bob.password, 'OpenLDAP')
    await q.page.getByRole('button', { name: /bob|Bob/ }).waitFor(WAIT)
    await q.page.close()

    // The admin finds alice (never logged in) in the directory and makes her a member of local.
    await page.goto('/access/clusters/local')
    await page.locator('#crtb-search').fill('alice')
    const option = page.locator('#crtb-principal option', { hasText: 'openldap' }).first()
    await option.waitFor({ state: 'attached', ...WAIT })
    const principal = (await option.getAttribute('value')) ?? ''
    expect(principal).toMatch(/^openldap_user:\/\//)
    await page.locator('#crtb-principal').selectOption(principal)
    await page.locator('#crtb-role').selectOption('cluster-member')
    await page.getByRole('button', { name: 'Add member' }).click()
    await page.getByRole('row').filter({ hasText: 'Cluster Member' }).filter({ hasText: principal }).waitFor(WAIT)
    await check(p, 'access-ldap-03-directory-member')
    // Disabled again from the page: its logins stop.
    await page.goto('/users/auth')
    await page.getByText('Configure openldap').click()
    await card.getByRole('button', { name: 'Disable' }).click()
    await card.getByText('Disabled', { exact: true }).waitFor(WAIT)
    const after = await stack.api().post('/v3-public/openLdapProviders/openldap?action=login', { username: 'bob', password: USERS.bob.password, responseType: 'json' })
    expect(after.status).not.toBe(200)
  }, 600_000)
})
