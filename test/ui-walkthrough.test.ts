// A new user's day in the web UI, in real Chromium against one real stack (management dev cluster, edge in
// workerd serving dist/ui, controller runner, cluster local's agent) and a second, full dev cluster (kwok
// runs its pods, answers their logs and runs exec commands). The admin logs in with the printed
// credentials and changes the password as required; imports the second cluster by name through the page,
// whose agent runs as the manifest's service account, and watches it turn Active without a reload; opens
// its pods in the explorer, follows a pod's log and sees a new line, runs a command in the pod's shell and
// reads its output; downloads a kubeconfig and uses it with kubectl; creates a user and makes them a
// member of the second cluster; logs out. The user logs in, changes their password as required, and sees
// only that cluster, no Users & access and no Secrets. Every page: a screenshot
// (test-artifacts/ui/walkthrough-NN-<page>.png), axe-core and the CSP record. The area tests
// (ui-foundation, ui-explorer, ui-pod, ui-access) go deeper on each page; this one is the whole day.
import { mkdtempSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { parse } from 'yaml'
import { appendPodLog } from '../infra/dev-cluster/pod-log.ts'
import { launchBrowser, type TestBrowser } from './support/browser.ts'
import { devCluster, type DevCluster } from './support/dev-cluster.ts'
import { adminToken, mgmtStack, type MgmtStack } from './support/mgmt-stack.ts'
import { kubectlVia, startAgent, type AgentProcess } from './support/proxy-fixture.ts'
import { changePasswordThroughPage, checkPage, logInThroughPage, loginForm } from './support/ui-steps.ts'

const CLUSTER = 'ui-walk-ds'
const ADMIN_PASSWORD = 'ui-walkthrough-admin-password-1'
const MEMBER = 'ui-walk-member'
const MEMBER_FIRST_PASSWORD = 'ui-walk-member-first-password-1'
const MEMBER_PASSWORD = 'ui-walk-member-own-password-1'
const WAIT = { timeout: 60_000 }
const work = mkdtempSync(join(tmpdir(), 'drover-ui-walk-'))

let stack: MgmtStack
let second: DevCluster
let browser: TestBrowser
let agent: AgentProcess | undefined

beforeAll(async () => {
  // The second cluster starts while the stack does (both take a while); it runs one pod from the start.
  const started = await Promise.allSettled([mgmtStack('ui-walk', { runner: true }), devCluster(CLUSTER, { mode: 'full' })])
  if (started[0].status === 'fulfilled') stack = started[0].value
  if (started[1].status === 'fulfilled') second = started[1].value
  for (const s of started) if (s.status === 'rejected') throw s.reason
  await second.kubectl(['create', 'deployment', 'web', '--image=registry.invalid/web:1'])
  const ready = await second.kubectl(['wait', '--for=condition=Ready', 'pod', '-l', 'app=web', '--timeout=120s'])
  if (ready.code !== 0) throw new Error(ready.stderr)
  // The runner has bound the admin's global role before the browser arrives (the password stays unchanged).
  await adminToken(stack, stack.admin.password)
  browser = await launchBrowser(stack.edge.url.origin)
}, 900_000)

afterAll(async () => {
  await browser?.[Symbol.asyncDispose]()
  await agent?.[Symbol.asyncDispose]()
  await second?.[Symbol.asyncDispose]()
  await stack?.[Symbol.asyncDispose]()
})

it("walks a new user's day: log in, import, explore, logs, shell, kubeconfig, a member who sees only their cluster", async () => {
  const p = await browser.open('/')
  const { page } = p
  const nav = page.getByRole('navigation', { name: 'Main' })

  // 1. Log in with the printed credentials; the generated password must be changed first.
  await loginForm(p)
  await checkPage(p, 'walkthrough-01-login')
  await logInThroughPage(p, stack.admin.username, stack.admin.password)
  await page.getByRole('heading', { name: 'Change your password' }).waitFor(WAIT)
  await checkPage(p, 'walkthrough-02-change-password')
  await changePasswordThroughPage(p, stack.admin.password, ADMIN_PASSWORD)
  await page.getByRole('heading', { name: 'Clusters' }).waitFor(WAIT)
  const local = page.getByRole('row').filter({ has: page.getByRole('link', { name: 'local', exact: true }) })
  await local.locator('[data-col="state"]', { hasText: 'active' }).waitFor(WAIT)
  await checkPage(p, 'walkthrough-03-clusters')
  await expect(stack.login(stack.admin.username, stack.admin.password)).rejects.toThrow(/401/)
  const admin = await stack.login(stack.admin.username, ADMIN_PASSWORD)

  // 2. Import the second cluster by name; its agent runs as the manifest's service account, and the page
  // turns Active by itself.
  await nav.getByRole('link', { name: 'Import cluster' }).click()
  await page.getByLabel('Cluster name').fill(CLUSTER)
  await page.getByRole('button', { name: 'Create' }).click()
  await page.locator('#cmd-secure ~ pre').waitFor(WAIT)
  const apply = (await page.locator('#cmd-secure ~ pre').textContent()) ?? ''
  expect(apply).toMatch(new RegExp(`^kubectl apply -f ${stack.edge.url.origin}/v3/import/\\S+\\.yaml$`))
  expect(await page.locator('[data-state]').textContent()).toBe('pending')
  await checkPage(p, 'walkthrough-04-import')
  const manifest = await (await stack.edge.fetch(new URL(apply.replace('kubectl apply -f ', '')).pathname)).text()
  const applied = await second.kubectl(['apply', '-f', '-'], { input: manifest })
  expect(applied.code, applied.stderr).toBe(0)
  const agentToken = Buffer.from((await second.kubectl(['-n', 'cattle-system', 'get', 'secret', 'drover-agent-credentials', '-o', 'jsonpath={.data.token}'])).stdout, 'base64').toString()
  const navigations: string[] = []
  page.on('framenavigated', (f) => f === page.mainFrame() && navigations.push(f.url()))
  agent = startAgent(stack.edge, agentToken, second.kubeconfigPath, ['--service-account', 'cattle-system/drover-agent'])
  await page.locator('[data-state="active"]').waitFor({ timeout: 90_000 })
  expect(navigations).toEqual([])
  await checkPage(p, 'walkthrough-05-import-active')
  const found = await stack.api(admin).get<{ data: { id: string }[] }>(`/v3/clusters?name=${CLUSTER}`)
  const clusterId = found.body.data[0]!.id
  expect(clusterId).toMatch(/^c-/)

  // 3. Its pods in the explorer: from the cluster list, the cluster page, Explore.
  await nav.getByRole('link', { name: 'Clusters' }).click()
  await page.getByRole('link', { name: CLUSTER, exact: true }).click()
  await page.getByRole('link', { name: 'Explore this cluster' }).click()
  await page.getByRole('navigation', { name: 'Resource types' }).getByRole('link', { name: 'Pods' }).click()
  await page.getByRole('heading', { name: 'Pods' }).waitFor(WAIT)
  const podLink = page.locator('tbody [data-col="name"]').filter({ hasText: /^web-/ })
  await podLink.waitFor(WAIT)
  const pod = ((await podLink.textContent()) ?? '').trim()
  await checkPage(p, 'walkthrough-06-explorer-pods')

  // 4. The pod's log, followed: a line the container prints now appears.
  await page.goto(`/c/${clusterId}/pods/default/${pod}/logs`)
  await page.locator('[data-phase="following"]').waitFor(WAIT)
  await page.locator('.log-line').filter({ hasText: 'container log' }).first().waitFor(WAIT)
  await appendPodLog(second.record.dir, 'a line printed during the walk-through')
  await page.locator('.log-line').filter({ hasText: 'a line printed during the walk-through' }).waitFor(WAIT)
  await checkPage(p, 'walkthrough-07-pod-logs')

  // 5. A shell in the pod: a command's output in the terminal.
  await page.goto(`/c/${clusterId}/pods/default/${pod}/shell`)
  await page.locator('[data-state="connected"]').waitFor(WAIT)
  await page.locator('.terminal-host').click()
  await page.keyboard.type('echo walked $((20+22))')
  await page.keyboard.press('Enter')
  const rows = () => page.locator('.xterm-rows > div').allTextContents()
  await expect.poll(async () => (await rows()).some((r) => r.trim() === 'walked 42'), WAIT).toBe(true)
  await checkPage(p, 'walkthrough-08-pod-shell')

  // 6. A kubeconfig file from the page, used with kubectl through the edge.
  await nav.getByRole('link', { name: 'Kubeconfig' }).click()
  await page.getByRole('button', { name: `Kubeconfig file for ${CLUSTER}` }).click()
  await page.getByText(`This file holds a token that acts as you on ${CLUSTER}`).waitFor(WAIT)
  await checkPage(p, 'walkthrough-09-kubeconfig')
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download' }).click()])
  const file = join(work, download.suggestedFilename())
  await download.saveAs(file)
  const config = parse(await readFile(file, 'utf8')) as { clusters: { cluster: { server: string; 'certificate-authority-data'?: string } }[] }
  expect(config.clusters[0]!.cluster.server).toBe(`${stack.edge.url.origin}/k8s/clusters/${clusterId}`)
  // The local edge's own CA is not in the file (the cacerts setting is unset here).
  const ca = config.clusters[0]!.cluster['certificate-authority-data'] ? [] : ['--certificate-authority', stack.edge.caFile]
  const pods = await kubectlVia(file, [...ca, 'get', 'pods', '-o', 'name'])
  expect(pods.code, pods.stderr).toBe(0)
  expect(pods.stdout.trim()).toBe(`pod/${pod}`)

  // 7. A new user, who must change their password at first login (the form's default).
  await nav.getByRole('link', { name: 'Users & access' }).click()
  await page.getByRole('heading', { name: 'Users & access' }).waitFor(WAIT)
  await page.locator('#new-user-username').fill(MEMBER)
  await page.locator('#new-user-password').fill(MEMBER_FIRST_PASSWORD)
  await page.getByRole('button', { name: 'Create user' }).click()
  const userRow = page.getByRole('row').filter({ hasText: MEMBER })
  await userRow.waitFor(WAIT)
  const memberId = ((await userRow.locator('code').textContent()) ?? '').trim()
  expect(memberId).toMatch(/^u-[a-z0-9]+$/)
  await checkPage(p, 'walkthrough-10-users')

  // 8. … made a member of the second cluster.
  await nav.getByRole('link', { name: 'Projects & members' }).click()
  await page.getByRole('link', { name: CLUSTER, exact: true }).click()
  await page.getByRole('heading', { name: 'Cluster members' }).waitFor(WAIT)
  await page.locator('#crtb-search').fill(MEMBER)
  await page.locator('#crtb-principal').locator(`option[value="local://${memberId}"]`).waitFor({ state: 'attached', ...WAIT })
  await page.locator('#crtb-principal').selectOption(`local://${memberId}`)
  await page.locator('#crtb-role').selectOption('cluster-member')
  await page.getByRole('button', { name: 'Add member' }).click()
  await page.getByRole('row').filter({ hasText: memberId }).filter({ hasText: 'Cluster Member' }).waitFor(WAIT)
  await checkPage(p, 'walkthrough-11-cluster-members')

  // 9. Log out.
  await page.getByRole('button', { name: stack.admin.username }).click()
  await page.getByRole('button', { name: 'Log out' }).click()
  await page.getByLabel('Username', { exact: true }).waitFor(WAIT)
  expect((await page.context().cookies()).find((c) => c.name === 'R_SESS')).toBeUndefined()
  // 401: the session probe before the login; WebSocket: the shell's socket closed as the page moved on.
  expect(p.consoleErrors.filter((e) => !/status of 401|WebSocket/.test(e))).toEqual([])

  // 10. The member logs in, changes the password as required, and sees only what they may.
  const requests: string[] = []
  page.on('request', (r) => requests.push(new URL(r.url()).pathname))
  await logInThroughPage(p, MEMBER, MEMBER_FIRST_PASSWORD)
  await changePasswordThroughPage(p, MEMBER_FIRST_PASSWORD, MEMBER_PASSWORD)
  await nav.getByRole('link').first().waitFor(WAIT)
  const links = await nav.getByRole('link').allTextContents()
  expect(links).not.toContain('Users & access')
  await page.goto('/access/clusters')
  await page.getByRole('heading', { name: 'Projects and members' }).waitFor(WAIT)
  await page.getByRole('link', { name: CLUSTER, exact: true }).waitFor({ timeout: 90_000 })
  expect(await page.locator('.link-list li').count()).toBe(1) // not local
  await checkPage(p, 'walkthrough-12-member-clusters')
  await page.goto(`/c/${clusterId}/explorer`)
  const types = page.getByRole('navigation', { name: 'Resource types' })
  await types.getByRole('link', { name: 'Pods' }).waitFor({ timeout: 90_000 })
  expect(await types.getByRole('link', { name: 'Secrets' }).count()).toBe(0)
  await types.getByRole('link', { name: 'Pods' }).click()
  await page.locator('tbody [data-col="name"]', { hasText: pod }).waitFor(WAIT)
  await checkPage(p, 'walkthrough-13-member-explorer')
  // Nothing they may not see was asked for: no users, no global roles, no Secrets, nothing of local.
  expect(requests.filter((r) => /secret/.test(r) || r === '/v3/globalroles' || r.startsWith('/k8s/clusters/local'))).toEqual([])
  await expect(stack.login(MEMBER, MEMBER_FIRST_PASSWORD)).rejects.toThrow(/401/)
}, 900_000)
