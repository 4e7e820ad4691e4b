// Users and access, settings and API keys in real Chromium against a real stack (management dev cluster,
// edge in workerd serving dist/ui, controller runner, cluster local's agent). The admin creates a user,
// disables and re-enables them and sets their password, makes them a member of cluster local, creates a
// project and adds them to it, meets an edge refusal on the auth providers page, creates an API key whose
// value is shown once (then only its name), and edits a setting and resets it. The new user logs in and
// sees only what they may: no Users & access, their cluster, their project and its namespace. A project
// member who is no cluster member finds their project through /v3 (the runner's PRTB grant). axe-core and
// the CSP record on every page; screenshots in test-artifacts/ui/.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launchBrowser, type TestBrowser, type TestPage } from './support/browser.ts'
import { adminToken, createUser, eventually, mgmtStack, type MgmtStack } from './support/mgmt-stack.ts'

const ADMIN_PASSWORD = 'ui-access-admin-password-1'
const ALICE_PASSWORD = 'ui-alice-password-5678'
const WAIT = { timeout: 60_000 }

let stack: MgmtStack
let browser: TestBrowser
let admin: string

beforeAll(async () => {
  stack = await mgmtStack('ui-access', { runner: true })
  const first = await adminToken(stack, stack.admin.password)
  const changed = await stack.api(first).post('/v3/users?action=changepassword', { currentPassword: stack.admin.password, newPassword: ADMIN_PASSWORD })
  expect(changed.status, JSON.stringify(changed.body)).toBe(200)
  admin = await stack.login(stack.admin.username, ADMIN_PASSWORD)
  browser = await launchBrowser(stack.edge.url.origin)
}, 600_000)

afterAll(async () => {
  await browser?.[Symbol.asyncDispose]()
  await stack?.[Symbol.asyncDispose]()
})

async function check(p: TestPage, name: string): Promise<void> {
  await p.screenshot(name)
  expect(await p.axe(), `axe-core on ${name}`).toEqual([])
  expect(await p.cspViolations(), `CSP violations on ${name}`).toEqual([])
}

async function logIn(p: TestPage, username: string, password: string): Promise<void> {
  await p.page.getByLabel('Username', { exact: true }).waitFor(WAIT)
  await p.page.getByLabel('Username', { exact: true }).fill(username)
  await p.page.getByLabel('Password', { exact: true }).fill(password)
  await p.page.getByRole('button', { name: 'Log in' }).click()
}

const nav = (p: TestPage) => p.page.getByRole('navigation', { name: 'Main' })

let aliceId = ''
let projectId = ''

describe('users and access, settings and API keys in the web UI', () => {
  it('lets the admin manage a user, members, a project, an API key and a setting', async () => {
    const p = await browser.open('/users')
    const { page } = p
    await logIn(p, stack.admin.username, ADMIN_PASSWORD)
    await page.getByRole('heading', { name: 'Users & access' }).waitFor(WAIT)
    const mine = ['Projects & members', 'Users & access', 'API keys', 'Settings']
    expect((await nav(p).getByRole('link').allTextContents()).filter((l) => mine.includes(l))).toEqual(mine)

    // A new local user, found by search.
    await page.locator('#new-user-username').fill('ui-alice')
    await page.locator('#new-user-display').fill('Alice Example')
    await page.locator('#new-user-password').fill('ui-alice-first-password-1')
    await page.getByRole('button', { name: 'Create user' }).click()
    const row = page.getByRole('row').filter({ hasText: 'ui-alice' })
    await row.waitFor(WAIT)
    aliceId = ((await row.locator('code').textContent()) ?? '').trim()
    expect(aliceId).toMatch(/^u-[a-z0-9]+$/)
    await page.getByLabel('Search users').fill('alice ex')
    await page.getByRole('status').filter({ hasText: '1 user' }).waitFor(WAIT)
    await check(p, 'access-01-users')

    // Disabled, the user cannot log in; enabled again, they can; a new password is set by the admin.
    await page.getByRole('button', { name: 'Disable ui-alice' }).click()
    await row.getByText('Disabled').waitFor(WAIT)
    await expect(stack.login('ui-alice', 'ui-alice-first-password-1')).rejects.toThrow(/40[13]/)
    await page.getByRole('button', { name: 'Enable ui-alice' }).click()
    await row.getByText('Active').waitFor(WAIT)
    await stack.login('ui-alice', 'ui-alice-first-password-1')
    await page.getByRole('button', { name: 'Set password of ui-alice' }).click()
    await page.getByLabel('New password for ui-alice').fill('short')
    await page.getByRole('button', { name: 'Save password' }).click()
    await row.getByRole('alert').waitFor(WAIT) // the edge's password rule, shown as it came
    await check(p, 'access-02-user-password-refused')
    await page.getByLabel('New password for ui-alice').fill(ALICE_PASSWORD)
    await page.getByRole('button', { name: 'Save password' }).click()
    await page.getByRole('button', { name: 'Set password of ui-alice' }).waitFor(WAIT)
    await stack.login('ui-alice', ALICE_PASSWORD)

    // Global roles and the authentication providers: an edge refusal is shown, nothing is saved.
    await page.getByRole('link', { name: 'Global roles' }).click()
    await page.getByRole('heading', { name: 'Global role bindings' }).waitFor(WAIT)
    await page.getByRole('cell', { name: 'Standard User' }).first().waitFor(WAIT)
    // A global role for a throwaway user found by principal search, then taken back, then the user deleted.
    const temp = await createUser(stack, admin, 'ui-temp')
    await page.locator('#grb-search').fill('ui-temp')
    await page.locator('#grb-principal').locator(`option[value="local://${temp.id}"]`).waitFor({ state: 'attached', ...WAIT })
    await page.locator('#grb-principal').selectOption(`local://${temp.id}`)
    await page.locator('#grb-role').selectOption('user-base')
    await page.getByRole('button', { name: 'Bind' }).click()
    const grb = page.getByRole('row').filter({ hasText: temp.id }).filter({ hasText: 'User Base' })
    await grb.waitFor(WAIT)
    await check(p, 'access-03-global-roles')
    await grb.getByRole('button', { name: /^Remove User Base/ }).click()
    await grb.getByRole('button', { name: /^Confirm: remove/ }).click()
    await grb.waitFor({ state: 'detached', ...WAIT })
    await page.getByRole('link', { name: 'Users', exact: true }).click()
    await page.getByRole('button', { name: 'Delete ui-temp' }).click()
    await page.getByRole('button', { name: 'Confirm: delete ui-temp' }).click()
    await page.getByRole('row').filter({ hasText: 'ui-temp' }).waitFor({ state: 'detached', ...WAIT })
    expect((await stack.api(admin).get(`/v3/users/${temp.id}`)).status).toBe(404)
    await expect(stack.login('ui-temp', temp.password)).rejects.toThrow(/401/)
    await page.getByRole('link', { name: 'Global roles' }).click()
    await page.getByRole('link', { name: 'Authentication' }).click()
    await page.getByText('Configure genericoidc').click()
    await page.getByRole('button', { name: 'Save and enable' }).first().click()
    await page.getByRole('alert').filter({ hasText: /issuer/ }).waitFor(WAIT)
    await page.getByText('Configure openldap').click()
    await check(p, 'access-04-auth-providers')

    // Cluster local: alice as a cluster member, a new project, alice as its member.
    await nav(p).getByRole('link', { name: 'Projects & members' }).click()
    await page.getByRole('link', { name: 'local', exact: true }).click()
    await page.getByRole('heading', { name: 'Cluster members' }).waitFor(WAIT)
    await page.locator('#crtb-search').fill('ui-alice')
    await page.locator('#crtb-principal').locator(`option[value="local://${aliceId}"]`).waitFor({ state: 'attached', ...WAIT })
    await page.locator('#crtb-principal').selectOption(`local://${aliceId}`)
    await page.locator('#crtb-role').selectOption('cluster-member')
    await page.getByRole('button', { name: 'Add member' }).click()
    await page.getByRole('row').filter({ hasText: aliceId }).filter({ hasText: 'Cluster Member' }).waitFor(WAIT)
    await page.locator('#new-project-name').fill('ui-team')
    await page.getByRole('button', { name: 'Create project' }).click()
    const card = page.locator('.project-list > li').filter({ hasText: 'ui-team' })
    await card.waitFor(WAIT)
    projectId = ((await card.locator('.project-head code').textContent()) ?? '').trim()
    expect(projectId).toMatch(/^local:p-[a-z0-9]+$/)
    await card.getByRole('button', { name: 'Members of ui-team' }).click()
    const prefix = `#prtb-${projectId.replace(/[^a-z0-9-]/g, '-')}`
    await page.locator(`${prefix}-search`).fill('ui-alice')
    await page.locator(`${prefix}-principal`).locator(`option[value="local://${aliceId}"]`).waitFor({ state: 'attached', ...WAIT })
    await page.locator(`${prefix}-principal`).selectOption(`local://${aliceId}`)
    await page.locator(`${prefix}-role`).selectOption('project-member')
    await card.getByRole('button', { name: 'Add member' }).click()
    await card.getByRole('row').filter({ hasText: aliceId }).waitFor(WAIT)
    await check(p, 'access-05-cluster-members-projects')
    // A namespace of the project in cluster local (what moving a namespace into a project does).
    const ns = await stack.cluster.kubectl(['create', 'namespace', 'ui-team-ns'])
    expect(ns.code, ns.stderr).toBe(0)
    expect((await stack.cluster.kubectl(['annotate', 'namespace', 'ui-team-ns', `field.cattle.io/projectId=${projectId}`])).code).toBe(0)

    // An API key: its value once, copyable and working; then only its name.
    await nav(p).getByRole('link', { name: 'API keys' }).click()
    await page.locator('#key-description').fill('ui access test key')
    await page.getByRole('button', { name: 'Create API key' }).click()
    await page.getByText('you will not see this value again').waitFor(WAIT)
    const value = ((await page.locator('#issued-token').textContent()) ?? '').trim()
    expect(value).toMatch(/^token-[a-z0-9]+:\S+$/)
    const keyName = value.split(':')[0]!
    await page.getByRole('button', { name: `Copy key ${keyName}` }).click()
    await page.getByText('Copied').waitFor(WAIT)
    expect(await page.evaluate('navigator.clipboard.readText()')).toBe(value)
    expect((await stack.api(value).get('/v3/users?me=true')).status).toBe(200)
    await check(p, 'access-06-api-key-once')
    await page.getByRole('button', { name: 'Done, hide it' }).click()
    await page.getByRole('row').filter({ hasText: keyName }).filter({ hasText: 'ui access test key' }).waitFor(WAIT)
    await page.reload()
    await page.getByRole('row').filter({ hasText: keyName }).waitFor(WAIT)
    expect(await page.content()).not.toContain(value.split(':')[1])
    await check(p, 'access-07-api-keys')

    // A setting edited, then reset to its default.
    await nav(p).getByRole('link', { name: 'Settings' }).click()
    await page.getByLabel('Search settings').fill('auth-user-info-max-age')
    const setting = page.getByRole('row').filter({ hasText: 'auth-user-info-max-age-seconds' })
    await setting.getByText('3600').waitFor(WAIT) // the default, shown
    await page.getByRole('button', { name: 'Edit auth-user-info-max-age-seconds' }).click()
    await page.getByLabel('Value of auth-user-info-max-age-seconds').fill('1800')
    await setting.getByRole('button', { name: 'Save' }).click()
    await setting.locator('.setting-value', { hasText: '1800' }).waitFor(WAIT)
    expect((await stack.api(admin).get<{ value: string }>('/v3/settings/auth-user-info-max-age-seconds')).body.value).toBe('1800')
    await check(p, 'access-08-settings')
    await page.getByRole('button', { name: 'Reset auth-user-info-max-age-seconds to its default' }).click()
    await setting.locator('.setting-value', { hasText: 'default' }).waitFor(WAIT)
    expect((await stack.api(admin).get<{ value: string }>('/v3/settings/auth-user-info-max-age-seconds')).body.value).toBe('')
    expect(p.consoleErrors.filter((e) => !/status of 4\d\d/.test(e))).toEqual([]) // the refusals above
  }, 600_000)

  it('shows the new user their cluster and project, and no Users & access', async () => {
    expect(projectId).not.toBe('')
    const p = await browser.open('/access/clusters')
    const { page } = p
    const requests: string[] = []
    page.on('request', (r) => requests.push(new URL(r.url()).pathname))
    await logIn(p, 'ui-alice', ALICE_PASSWORD)
    await page.getByRole('heading', { name: 'Projects and members' }).waitFor(WAIT)
    const links = await nav(p).getByRole('link').allTextContents()
    expect(links).toContain('Projects & members')
    expect(links).not.toContain('Users & access')
    await page.getByRole('link', { name: 'local', exact: true }).waitFor(WAIT)
    expect(await page.locator('.link-list li').count()).toBe(1)
    await check(p, 'access-09-member-clusters')
    await page.getByRole('link', { name: 'local', exact: true }).click()
    const card = page.locator('.project-list > li').filter({ hasText: 'ui-team' })
    await card.waitFor(WAIT)
    await card.getByText('ui-team-ns').waitFor(WAIT)
    // A member may not remove projects or members; the page does not offer it.
    expect(await page.getByRole('button', { name: /^Delete project/ }).count()).toBe(0)
    await check(p, 'access-10-member-project')
    expect(requests.filter((r) => r.startsWith('/v3/users') && r !== '/v3/users')).toEqual([])
    expect(requests).not.toContain('/v3/globalroles')
  }, 300_000)

  it('a project member who is no cluster member finds their project (and its cluster) through /v3', async () => {
    const bob = await createUser(stack, admin, 'ui-bob')
    const asBob = stack.api(bob.token)
    const created = await stack.api(admin).post<{ id: string }>('/v3/projects', { name: 'bob-only', clusterId: 'local' })
    expect(created.status, JSON.stringify(created.body)).toBe(201)
    const projectId = created.body.id
    expect((await asBob.get<{ data: unknown[] }>('/v3/projects?clusterId=local')).body.data ?? []).toEqual([])
    const prtb = await eventually('the project namespace', async () => {
      const r = await stack.api(admin).post('/v3/projectroletemplatebindings', { projectId, roleTemplateId: 'project-member', userId: bob.id })
      return r.status === 201 ? r : undefined
    })
    expect(prtb.status, JSON.stringify(prtb.body)).toBe(201)
    const ids = (r: { body: { data?: { id: string }[] } }) => (r.body.data ?? []).map((x) => x.id)
    await eventually('bob to see his project', async () => (ids(await asBob.get('/v3/projects?clusterId=local')).includes(projectId) ? true : undefined), 60_000)
    expect(ids(await asBob.get('/v3/projects?clusterId=local'))).toEqual([projectId])
    expect(ids(await asBob.get('/v3/projects'))).toEqual([projectId])
    expect(ids(await asBob.get('/v3/clusters'))).toEqual(['local'])
    // Removing the binding takes it away again.
    expect((await stack.api(admin).del(`/v3/projectroletemplatebindings/${(prtb.body as { id: string }).id}`)).status).toBe(200)
    await eventually('bob to lose his project', async () => (ids(await asBob.get('/v3/projects?clusterId=local')).length === 0 ? true : undefined), 60_000)
  }, 300_000)
})
