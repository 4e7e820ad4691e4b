// The pod pages and kubeconfig files in real Chromium against a real stack: a management stack with the
// runner, and a second, full dev cluster (kwok answers logs from its pod log file and runs exec commands
// on this host with a real PTY) imported through /v3 with its agent running as the manifest's service
// account. The admin follows a pod's log and sees a line appended to the pod log appear, shows
// timestamps, pauses and resumes without repeating lines, downloads the log and reads the file; opens a
// shell, runs a command and reads its output in the terminal, sees `stty size` change when the window
// does, sees "Disconnected — reconnecting" when the agent dies and the shell come back when it returns;
// downloads a kubeconfig and uses it with kubectl. A user without the cluster, and a pod that is not
// there, get the apiserver's refusal in words. axe-core and the CSP record on every page; screenshots in
// test-artifacts/ui/.
import { readFile, writeFile } from 'node:fs/promises'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { appendPodLog } from '../infra/dev-cluster/pod-log.ts'
import { launchBrowser, type TestBrowser, type TestPage } from './support/browser.ts'
import { devCluster, type DevCluster } from './support/dev-cluster.ts'
import { adminToken, createUser, eventually, mgmtStack, type MgmtStack } from './support/mgmt-stack.ts'
import { kubectlVia, startAgent, type AgentProcess } from './support/proxy-fixture.ts'

const WAIT = { timeout: 60_000 }
const PASSWORD = 'ui-pod-admin-password-1'
const work = mkdtempSync(join(tmpdir(), 'drover-ui-pod-'))

let stack: MgmtStack
let browser: TestBrowser
let second: DevCluster
let agent: AgentProcess
let agentToken = ''
let clusterId = ''
let pod = ''
let admin = ''

beforeAll(async () => {
  stack = await mgmtStack('ui-pod', { runner: true })
  const first = await adminToken(stack, stack.admin.password)
  const changed = await stack.api(first).post('/v3/users?action=changepassword', { currentPassword: stack.admin.password, newPassword: PASSWORD })
  if (changed.status >= 300) throw new Error(`password change: ${changed.status} ${JSON.stringify(changed.body)}`)
  admin = await stack.login(stack.admin.username, PASSWORD)

  // A second cluster, full (kwok runs its pods), imported the way the README says.
  second = await devCluster('ui-pod-ds', { mode: 'full' })
  const created = await stack.api(admin).post<{ id: string }>('/v3/clusters', { name: 'ui-pod-ds' })
  if (created.status !== 201) throw new Error(`cluster create: ${created.status} ${JSON.stringify(created.body)}`)
  clusterId = created.body.id
  const manifestUrl = await eventually('a registration manifest', async () => {
    const r = await stack.api(admin).get<{ data: { manifestUrl?: string }[] }>(`/v3/clusterregistrationtokens?clusterId=${clusterId}`)
    return r.body.data?.[0]?.manifestUrl
  })
  const manifest = await (await stack.edge.fetch(new URL(manifestUrl).pathname)).text()
  const applied = await second.kubectl(['apply', '-f', '-'], { input: manifest })
  if (applied.code !== 0) throw new Error(applied.stderr)
  agentToken = Buffer.from((await second.kubectl(['-n', 'cattle-system', 'get', 'secret', 'drover-agent-credentials', '-o', 'jsonpath={.data.token}'])).stdout, 'base64').toString()
  agent = startAgent(stack.edge, agentToken, second.kubeconfigPath, ['--service-account', 'cattle-system/drover-agent'])
  await second.kubectl(['create', 'deployment', 'web', '--image=registry.invalid/web:1'])
  const ready = await second.kubectl(['wait', '--for=condition=Ready', 'pod', '-l', 'app=web', '--timeout=120s'])
  if (ready.code !== 0) throw new Error(ready.stderr)
  pod = (await second.kubectl(['get', 'pod', '-l', 'app=web', '-o', 'jsonpath={.items[0].metadata.name}'])).stdout
  // The admin reaches the pod through the edge (the runner has bound them downstream).
  await eventually('the pod through the edge', async () => ((await stack.api(admin).get(`/k8s/clusters/${clusterId}/api/v1/namespaces/default/pods/${pod}`)).status === 200 ? true : undefined), 90_000)
  browser = await launchBrowser(stack.edge.url.origin)
}, 900_000)

afterAll(async () => {
  await browser?.[Symbol.asyncDispose]()
  await agent?.[Symbol.asyncDispose]()
  await second?.[Symbol.asyncDispose]()
  await stack?.[Symbol.asyncDispose]()
})

async function check(p: TestPage, name: string): Promise<void> {
  await p.screenshot(name)
  expect(await p.axe(), `axe-core on ${name}`).toEqual([])
  expect(await p.cspViolations(), `CSP violations on ${name}`).toEqual([])
}

async function signIn(url: string, username = stack.admin.username, password = PASSWORD): Promise<TestPage> {
  const p = await browser.open(url)
  await p.page.getByLabel('Username', { exact: true }).waitFor(WAIT).catch(async (e: unknown) => {
    throw new Error(`no login page at ${url}: ${String(e)}; console: ${p.consoleErrors.join(' | ')}; body: ${(await p.page.content()).slice(0, 2000)}`)
  })
  await p.page.getByLabel('Username', { exact: true }).fill(username)
  await p.page.getByLabel('Password', { exact: true }).fill(password)
  await p.page.getByRole('button', { name: 'Log in' }).click()
  return p
}

const logsPath = (name = pod) => `/c/${clusterId}/pods/default/${name}/logs`
const shellPath = () => `/c/${clusterId}/pods/default/${pod}/shell`

describe('pod logs', () => {
  it('follows the log, shows timestamps, pauses and resumes without repeats, and downloads the lines', async () => {
    const p = await signIn(logsPath())
    const { page } = p
    const lines = page.locator('.log-line')
    await page.getByRole('heading', { name: `Logs: default/${pod}` }).waitFor(WAIT)
    await lines.filter({ hasText: 'container log' }).first().waitFor(WAIT)
    expect(await page.getByRole('combobox', { name: /^Container/ }).inputValue()).toBe('web')
    await page.locator('[data-phase="following"]').waitFor(WAIT)

    // The existing log came first, so this line can only arrive by following.
    await appendPodLog(second.record.dir, 'followed in the browser')
    await lines.filter({ hasText: 'followed in the browser' }).waitFor(WAIT)
    expect(await lines.filter({ hasText: /^\d{4}-/ }).count()).toBe(0)
    await check(p, 'pod-01-logs')

    await page.getByLabel('Timestamps').check()
    const stamped = lines.filter({ hasText: 'followed in the browser' })
    await expect.poll(() => stamped.textContent(), WAIT).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z followed in the browser$/)

    // Paused, nothing arrives; following again reads from the last line's time, and nothing repeats.
    await page.getByRole('button', { name: 'Pause' }).click()
    await page.locator('[data-phase="paused"]').waitFor(WAIT)
    await appendPodLog(second.record.dir, 'printed while paused')
    expect(await lines.filter({ hasText: 'printed while paused' }).count()).toBe(0)
    await page.getByRole('button', { name: 'Follow' }).click()
    await lines.filter({ hasText: 'printed while paused' }).waitFor(WAIT)
    expect(await lines.filter({ hasText: 'followed in the browser' }).count()).toBe(1)
    expect(await lines.filter({ hasText: 'container log' }).count()).toBe(1)

    // The download is the lines held, as shown (with timestamps).
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download' }).click()])
    expect(download.suggestedFilename()).toBe(`${pod}_web.log`)
    const file = join(work, 'pod.log')
    await download.saveAs(file)
    const content = (await readFile(file, 'utf8')).trimEnd().split('\n')
    expect(content).toHaveLength(3)
    expect(content[0]).toMatch(/^\S+Z drover dev cluster ui-pod-ds: container log$/)
    expect(content[1]).toMatch(/^\S+Z followed in the browser$/)
    expect(content[2]).toMatch(/^\S+Z printed while paused$/)
    await check(p, 'pod-02-logs-timestamps')
    expect(p.consoleErrors.filter((e) => !/status of 401/.test(e))).toEqual([])
    await page.close()
  }, 300_000)

  it('says when the pod is not there, and when the caller may not reach the cluster', async () => {
    const p = await signIn(logsPath('no-such-pod'))
    await p.page.getByRole('alert').filter({ hasText: 'Pod no-such-pod is gone' }).waitFor(WAIT)
    expect(await p.page.getByRole('alert').textContent()).toContain('pods "no-such-pod" not found')
    await check(p, 'pod-03-logs-gone')
    await p.page.close()

    const user = await createUser(stack, admin, 'ui-pod-outsider')
    const q = await signIn(logsPath(), 'ui-pod-outsider', user.password)
    await q.page.getByRole('alert').filter({ hasText: 'Not allowed' }).waitFor(WAIT)
    await check(q, 'pod-04-logs-forbidden')
    await q.page.close()
  }, 120_000)
})

describe('pod shell', () => {
  /** The terminal's rows as text, one string per row. */
  const rows = (p: TestPage) => p.page.locator('.xterm-rows > div').allTextContents()
  const sizes = async (p: TestPage) => (await rows(p)).map((r) => /^(\d+) (\d+)\s*$/.exec(r)).filter((m) => m !== null).map((m) => `${m[1]} ${m[2]}`)
  const run = async (p: TestPage, command: string) => {
    await p.page.locator('.terminal-host').click()
    await p.page.keyboard.type(command)
    await p.page.keyboard.press('Enter')
  }

  it('runs commands, follows the window size, and reconnects after the agent drops', async () => {
    const p = await signIn(shellPath())
    const { page } = p
    await page.locator('[data-state="connected"]').waitFor(WAIT)
    await run(p, 'echo from-ui $((6*7))')
    await expect.poll(async () => (await rows(p)).some((r) => r.trim() === 'from-ui 42'), WAIT).toBe(true)
    await check(p, 'pod-05-shell')
    // No inline style reached the DOM: xterm's rules went to constructed stylesheets.
    expect(await page.evaluate("document.querySelectorAll('style').length")).toBe(0)
    expect(await page.evaluate('document.adoptedStyleSheets.length')).toBeGreaterThan(0)

    // The size the shell sees follows the window's.
    await run(p, 'stty size')
    await expect.poll(async () => (await sizes(p)).length, WAIT).toBe(1)
    const before = (await sizes(p))[0]!
    await page.setViewportSize({ width: 900, height: 560 })
    await run(p, 'clear; stty size')
    await expect.poll(async () => (await sizes(p)).at(-1), WAIT).not.toBe(before)
    const after = (await sizes(p)).at(-1)!
    const [r0, c0] = before.split(' ').map(Number)
    const [r1, c1] = after.split(' ').map(Number)
    expect(r1!).toBeLessThan(r0!)
    expect(c1!).toBeLessThan(c0!)
    await page.setViewportSize({ width: 1280, height: 800 })

    // The agent dies: the page says so and tries again; when the agent is back, a new shell opens.
    await agent.kill('SIGKILL')
    const state = page.locator('.shell-state')
    await page.locator('[data-state="reconnecting"]').waitFor(WAIT)
    expect(await state.textContent()).toMatch(/^Disconnected — reconnecting in \d+ s \(attempt \d+\)$/)
    await check(p, 'pod-06-shell-reconnecting')
    agent = startAgent(stack.edge, agentToken, second.kubeconfigPath, ['--service-account', 'cattle-system/drover-agent'])
    await page.locator('[data-state="connected"]').waitFor({ timeout: 120_000 })
    await run(p, 'echo back-again $((6*7+1))')
    await expect.poll(async () => (await rows(p)).some((r) => r.trim() === 'back-again 43'), WAIT).toBe(true)

    // Reconnect by hand: a new exec session (a new shell process).
    await run(p, 'echo pid-$$')
    await expect.poll(async () => (await rows(p)).some((r) => /^pid-\d+\s*$/.test(r)), WAIT).toBe(true)
    const firstPid = (await rows(p)).find((r) => /^pid-\d+\s*$/.test(r))!.trim()
    await page.getByRole('button', { name: 'Reconnect' }).click()
    await page.locator('[data-state="connected"]').waitFor(WAIT)
    await run(p, 'clear; echo pid-$$')
    await expect.poll(async () => (await rows(p)).filter((r) => /^pid-\d+\s*$/.test(r)).map((r) => r.trim()), WAIT).not.toContain(firstPid)
    // The login page's session probe (401), and the pod checks while the agent was down (503).
    expect(p.consoleErrors.filter((e) => !/WebSocket|status of (401|503)/.test(e))).toEqual([])
    await page.close()
  }, 300_000)
})

describe('kubeconfig', () => {
  it('downloads a kubeconfig from the list and the cluster page that kubectl uses through the edge', async () => {
    const p = await signIn('/kubeconfig')
    const { page } = p
    await page.getByRole('heading', { name: 'Kubeconfig files' }).waitFor(WAIT)
    await page.getByRole('button', { name: 'Kubeconfig file for ui-pod-ds' }).click()
    await page.getByText('This file holds a token that acts as you on ui-pod-ds').waitFor(WAIT)
    await check(p, 'pod-07-kubeconfig')
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download' }).click()])
    expect(download.suggestedFilename()).toBe('ui-pod-ds.yaml')
    const file = join(work, 'ui-pod-ds.yaml')
    await download.saveAs(file)
    const config = parse(await readFile(file, 'utf8')) as { clusters: { cluster: { server: string; 'certificate-authority-data'?: string } }[] }
    expect(config.clusters[0]!.cluster.server).toBe(`${stack.edge.url.origin}/k8s/clusters/${clusterId}`)
    // The stack's edge has its own CA; the setting that would put it in the file (cacerts) is unset here.
    const ca = config.clusters[0]!.cluster['certificate-authority-data'] ? [] : ['--certificate-authority', stack.edge.caFile]
    const ns = await kubectlVia(file, [...ca, 'get', 'namespaces', '-o', 'name'])
    expect(ns.code, ns.stderr).toBe(0)
    expect(ns.stdout).toContain('namespace/default')
    expect(ns.stdout).toContain('namespace/cattle-system')

    // The cluster page offers the same; a new file revokes the one before.
    await page.goto(`/clusters/${clusterId}`)
    await page.getByRole('button', { name: `Kubeconfig file for ${clusterId}` }).click()
    await page.getByText('This file holds a token').waitFor(WAIT)
    await page.getByRole('button', { name: `Copy the kubeconfig for ${clusterId}` }).click()
    await page.getByText('Copied').waitFor(WAIT)
    const copied = (await page.evaluate('navigator.clipboard.readText()')) as string
    await writeFile(join(work, 'copied.yaml'), copied)
    expect((await kubectlVia(join(work, 'copied.yaml'), [...ca, 'get', 'namespaces', '-o', 'name'])).stdout).toContain('namespace/default')
    await expect.poll(async () => (await kubectlVia(file, [...ca, 'get', 'namespaces'])).code, WAIT).not.toBe(0)
    await check(p, 'pod-08-cluster-kubeconfig')
    await page.close()
  }, 180_000)
})
