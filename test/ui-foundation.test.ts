// The web UI in real Chromium against a real stack (management dev cluster, edge in workerd serving dist/ui,
// controller runner, cluster local's agent): the admin logs in through the page with the printed
// credentials, changes the generated password as required, sees cluster `local` live, imports a second dev
// cluster and watches it turn Active without a reload once its agent runs (as the manifest's service
// account, as the README does) and sees the row follow its agent dropping, then logs out; a standard user
// gets only the menu entries their grants allow, and nothing they may not list is fetched. On every page:
// axe-core finds no serious or critical violation, and the browser reports no CSP violation. Screenshots:
// test-artifacts/ui/.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launchBrowser, type TestBrowser, type TestPage } from './support/browser.ts'
import { devCluster, type DevCluster } from './support/dev-cluster.ts'
import { adminToken, createUser, mgmtStack, type MgmtStack } from './support/mgmt-stack.ts'
import { startAgent, type AgentProcess } from './support/proxy-fixture.ts'

const NEW_PASSWORD = 'ui-foundation-new-password-1'
const WAIT = { timeout: 60_000 }

let stack: MgmtStack
let browser: TestBrowser
let second: DevCluster | undefined
let agent: AgentProcess | undefined

beforeAll(async () => {
  stack = await mgmtStack('ui-foundation', { runner: true })
  // The runner has bound the admin's global role (so /v1 lists clusters for it) before the browser arrives.
  await adminToken(stack, stack.admin.password)
  browser = await launchBrowser(stack.edge.url.origin)
}, 600_000)

afterAll(async () => {
  await browser?.[Symbol.asyncDispose]()
  await agent?.[Symbol.asyncDispose]()
  await second?.[Symbol.asyncDispose]()
  await stack?.[Symbol.asyncDispose]()
})

/** Screenshot, then axe-core and the CSP record of the page as it is now. */
async function check(p: TestPage, name: string): Promise<void> {
  await p.screenshot(name)
  expect(await p.axe(), `axe-core on ${name}`).toEqual([])
  expect(await p.cspViolations(), `CSP violations on ${name}`).toEqual([])
}

describe('the web UI, served by the edge', () => {
  it('serves the app under a strict CSP, hashed assets immutable, and keeps the API to the worker', async () => {
    const page = await stack.edge.fetch('/clusters/import', { headers: { accept: 'text/html', 'sec-fetch-mode': 'navigate' } })
    expect(page.status).toBe(200)
    const csp = page.headers.get('content-security-policy') ?? ''
    for (const directive of ["default-src 'self'", "script-src 'self'", "connect-src 'self'", "object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'"]) expect(csp).toContain(directive)
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval/)
    expect(page.headers.get('x-content-type-options')).toBe('nosniff')
    expect(page.headers.get('referrer-policy')).toBe('no-referrer')
    expect(page.headers.get('cache-control')).toBe('no-cache')
    const html = await page.text()
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/) // no inline script
    const script = /<script[^>]+src="([^"]+)"/.exec(html)?.[1]
    expect(script).toMatch(/^\/assets\/index-[\w-]+\.js$/)
    const js = await stack.edge.fetch(script!)
    expect(js.status).toBe(200)
    expect(js.headers.get('content-type')).toMatch(/javascript/)
    expect(js.headers.get('cache-control')).toBe('public, max-age=31536000, immutable')
    // API paths are the worker's, never the SPA fallback's.
    const api = await stack.edge.fetch('/v3/clusters', { headers: { accept: 'text/html', 'sec-fetch-mode': 'navigate' } })
    expect(api.status).toBe(401)
    expect(api.headers.get('content-type')).toMatch(/application\/json/)
  })

  it('its checks can fail: axe-core sees an unlabelled field, and an inline script is a CSP violation', async () => {
    const p = await browser.open('/login')
    await p.page.getByLabel('Username', { exact: true }).waitFor(WAIT)
    await p.page.evaluate("document.querySelector('form').append(Object.assign(document.createElement('input'), { id: 'unlabelled' }))")
    expect((await p.axe()).map((v) => v.id)).toContain('label')
    await p.page.evaluate("document.body.append(Object.assign(document.createElement('script'), { textContent: 'window.ran = true' }))")
    await expect.poll(() => p.cspViolations(), WAIT).not.toEqual([])
    expect(await p.page.evaluate('window.ran === true')).toBe(false)
    await p.page.close()
  })

  it('walks the admin through log in, password change, clusters, import and log out', async () => {
    const p = await browser.open('/')
    const { page } = p

    // Log in with the printed credentials; the generated password must be changed first.
    await page.getByLabel('Username', { exact: true }).waitFor(WAIT)
    await check(p, '01-login')
    await page.getByLabel('Username', { exact: true }).fill(stack.admin.username)
    await page.getByLabel('Password', { exact: true }).fill(stack.admin.password)
    await page.getByRole('button', { name: 'Log in' }).click()
    await page.getByRole('heading', { name: 'Change your password' }).waitFor(WAIT)
    await check(p, '02-change-password')
    // Nothing of the session is in script's reach: no storage, and R_SESS is HttpOnly.
    expect(await page.evaluate('[localStorage.length, sessionStorage.length, document.cookie]')).toEqual([0, 0, ''])
    const cookie = (await page.context().cookies()).find((c) => c.name === 'R_SESS')
    expect(cookie).toMatchObject({ httpOnly: true, secure: true, sameSite: 'Lax' })
    await page.getByLabel('Current password').fill(stack.admin.password)
    await page.getByLabel('New password', { exact: true }).fill(NEW_PASSWORD)
    await page.getByLabel('New password again').fill(NEW_PASSWORD)
    await page.getByRole('button', { name: 'Change password' }).click()

    // Clusters: local, live and Active, with its facts.
    await page.getByRole('heading', { name: 'Clusters' }).waitFor(WAIT)
    const local = page.getByRole('row').filter({ has: page.getByRole('link', { name: 'local', exact: true }) })
    await local.locator('[data-col="state"]', { hasText: 'active' }).waitFor(WAIT)
    await expect.poll(() => local.locator('[data-col="connected"]').textContent(), WAIT).toBe('Yes')
    expect(await local.locator('[data-col="version"]').textContent()).toMatch(/^v1\.\d+/)
    await page.getByRole('status').filter({ hasText: 'Live' }).waitFor(WAIT)
    expect(await page.getByRole('navigation', { name: 'Main' }).getByRole('link').allTextContents()).toEqual(['Clusters', 'Import cluster', 'Kubeconfig', 'Projects & members', 'Users & access', 'API keys', 'Settings'])
    await check(p, '03-clusters')
    // Search goes to the server: no row matches a name that no cluster has.
    await page.getByLabel('Search').fill('no-such-cluster')
    await page.getByText('No cluster matches "no-such-cluster".').waitFor(WAIT)
    await page.getByLabel('Search').fill('')
    await local.waitFor(WAIT)
    // The password is changed: the old one no longer logs in, the new one does.
    await expect(stack.login(stack.admin.username, stack.admin.password)).rejects.toThrow(/401/)
    await stack.login(stack.admin.username, NEW_PASSWORD)

    // Import a second cluster by name: the apply command and its insecure variant, with copy buttons.
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Import cluster' }).click()
    await page.getByLabel('Cluster name').fill('ui-second')
    await page.getByRole('button', { name: 'Create' }).click()
    await page.locator('#cmd-secure ~ pre').waitFor(WAIT)
    const apply = (await page.locator('#cmd-secure ~ pre').textContent()) ?? ''
    const insecure = (await page.locator('#cmd-insecure ~ pre').textContent()) ?? ''
    expect(apply).toMatch(new RegExp(`^kubectl apply -f ${stack.edge.url.origin}/v3/import/\\S+\\.yaml$`))
    expect(insecure).toContain('--insecure')
    expect(insecure).toContain(apply.replace('kubectl apply -f ', ''))
    await page.getByRole('button', { name: 'Copy: kubectl apply' }).click()
    await page.getByText('Copied').waitFor(WAIT)
    expect(await page.evaluate('navigator.clipboard.readText()')).toBe(apply)
    expect(await page.locator('[data-state]').textContent()).toBe('pending')
    await check(p, '04-import')

    // Its agent, as the manifest's service account: the page turns Active by itself, without a reload.
    second = await devCluster('ui-second', { mode: 'lite' })
    const manifestUrl = apply.replace('kubectl apply -f ', '')
    const manifest = await (await stack.edge.fetch(new URL(manifestUrl).pathname)).text()
    const applied = await second.kubectl(['apply', '-f', '-'], { input: manifest })
    expect(applied.code, applied.stderr).toBe(0)
    const agentToken = Buffer.from((await second.kubectl(['-n', 'cattle-system', 'get', 'secret', 'drover-agent-credentials', '-o', 'jsonpath={.data.token}'])).stdout, 'base64').toString()
    const navigations: string[] = []
    page.on('framenavigated', (f) => f === page.mainFrame() && navigations.push(f.url()))
    await page.evaluate('window.sameDocument = true')
    agent = startAgent(stack.edge, agentToken, second.kubeconfigPath, ['--service-account', 'cattle-system/drover-agent'])
    await page.locator('[data-state="active"]').waitFor({ timeout: 90_000 })
    expect(navigations).toEqual([])
    await check(p, '05-import-active')

    // The list shows it Active too, next to local; when its agent drops, the row follows without a reload.
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Clusters' }).click()
    const row = page.getByRole('row').filter({ has: page.getByRole('link', { name: 'ui-second', exact: true }) })
    await row.locator('[data-col="state"]', { hasText: 'active' }).waitFor(WAIT)
    // Sorted by name on the server, both ways.
    const names = () => page.locator('tbody [data-col="name"]').allTextContents()
    expect(await names()).toEqual(['local', 'ui-second'])
    await page.getByRole('button', { name: 'Name' }).click()
    await expect.poll(names, WAIT).toEqual(['ui-second', 'local'])
    expect(await page.getByRole('columnheader', { name: 'Name' }).getAttribute('aria-sort')).toBe('descending')
    const listedAt = navigations.length
    await agent.kill('SIGKILL')
    await row.locator('[data-col="connected"]', { hasText: 'No' }).waitFor({ timeout: 90_000 })
    await row.locator('[data-col="state"]', { hasText: 'unavailable' }).waitFor(WAIT)
    expect(navigations.slice(listedAt)).toEqual([])
    expect(await page.evaluate('window.sameDocument')).toBe(true) // set before the agent started: no reload since
    await check(p, '06-clusters-agent-dropped')

    // Log out: the session ends at the edge, and the page is the login page again.
    await page.getByRole('button', { name: stack.admin.username }).click()
    await check(p, '07-user-menu')
    await page.getByRole('button', { name: 'Log out' }).click()
    await page.getByLabel('Username', { exact: true }).waitFor(WAIT)
    expect(new URL(page.url()).pathname).toBe('/login')
    expect((await page.context().cookies()).find((c) => c.name === 'R_SESS')).toBeUndefined()
    const after = await page.evaluate("fetch('/v3/users?me=true', { credentials: 'same-origin' }).then((r) => r.status)")
    expect(after).toBe(401)
    expect(p.consoleErrors.filter((e) => !/401/.test(e))).toEqual([])
    expect(await p.cspViolations()).toEqual([])
  }, 600_000)

  it('shows a standard user only what they may use, and fetches nothing else', async () => {
    const admin = await stack.login(stack.admin.username, NEW_PASSWORD)
    const user = await createUser(stack, admin, 'ui-standard')
    const p = await browser.open('/clusters')
    const { page } = p
    const requests: string[] = []
    page.on('request', (r) => requests.push(new URL(r.url()).pathname))
    await page.getByLabel('Username', { exact: true }).fill('ui-standard')
    await page.getByLabel('Password', { exact: true }).fill(user.password)
    await page.getByRole('button', { name: 'Log in' }).click()
    await page.getByRole('heading', { name: 'Clusters' }).waitFor(WAIT)
    await page.getByText('You may not list clusters.').waitFor(WAIT)
    // Rancher's built-in `user` role may create clusters and read settings, not list clusters or users;
    // everyone has their own API keys.
    const nav = await page.getByRole('navigation', { name: 'Main' }).getByRole('link').allTextContents()
    expect(nav).toEqual(['Import cluster', 'Kubeconfig', 'API keys', 'Settings'])
    expect(requests.filter((r) => r.startsWith('/v1/management.cattle.io') || r === '/v3/clusters')).toEqual([])
    await check(p, '08-standard-user')
  })
})
