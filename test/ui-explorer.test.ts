// The cluster explorer in real Chromium against a real stack (management dev cluster, edge in workerd,
// runner, cluster local's agent), exploring cluster `local`: the admin browses the types (a CRD among
// them), 2,000 pods server-paged to the end, filtered, sorted and updated live by a pod created with
// kubectl; the namespace filter and namespaces by project; a ConfigMap's YAML, an edit the apiserver
// refuses (its message shown), a stale edit (409 shown), a good edit and a delete. A standard user who
// is a read-only member of one project sees that project's namespaces only and no Secrets type, and the
// page never asks for Secrets. axe-core and the CSP on every page; screenshots in test-artifacts/ui/.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launchBrowser, type TestBrowser, type TestPage } from './support/browser.ts'
import { adminToken, createUser, eventually, mgmtStack, type MgmtStack } from './support/mgmt-stack.ts'
import { podApi, podName, seedPods, type PodApi } from './support/pod-seed.ts'

const ADMIN_PASSWORD = 'ui-explorer-admin-password-1'
const WAIT = { timeout: 60_000 }
const PODS = 2000

let stack: MgmtStack
let browser: TestBrowser
let pods: PodApi
let projectId = ''

async function kubectl(args: string[], input?: unknown): Promise<string> {
  const r = await stack.cluster.kubectl(args, input === undefined ? {} : { input: JSON.stringify(input) })
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr}`)
  return r.stdout
}

beforeAll(async () => {
  stack = await mgmtStack('ui-explorer', { runner: true, adminPassword: ADMIN_PASSWORD })
  const admin = await adminToken(stack, ADMIN_PASSWORD)
  const project = await stack.api(admin).post<{ id: string }>('/v3/projects', { clusterId: 'local', name: 'Team' })
  expect(project.status, JSON.stringify(project.body)).toBe(201)
  projectId = project.body.id.split(':')[1]!
  const inProject = { labels: { 'field.cattle.io/projectId': projectId }, annotations: { 'field.cattle.io/projectId': `local:${projectId}` } }
  const crd = {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'widgets.drover.example' },
    spec: {
      group: 'drover.example',
      scope: 'Namespaced',
      names: { plural: 'widgets', singular: 'widget', kind: 'Widget' },
      versions: [{
        name: 'v1', served: true, storage: true,
        schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', properties: { size: { type: 'integer' } } } } } },
        additionalPrinterColumns: [{ name: 'Size', type: 'integer', jsonPath: '.spec.size' }],
      }],
    },
  }
  await kubectl(['apply', '-f', '-'], {
    apiVersion: 'v1',
    kind: 'List',
    items: [
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-a', ...inProject } },
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-b' } },
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'load' } },
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings', namespace: 'team-b' }, data: { color: 'blue' } },
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'team-a-config', namespace: 'team-a' }, data: { owner: 'team-a' } },
      { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'team-a-secret', namespace: 'team-a' }, stringData: { key: 'value' } },
      crd,
    ],
  })
  await kubectl(['wait', '--for=condition=Established', 'crd/widgets.drover.example'])
  await kubectl(['apply', '-f', '-'], { apiVersion: 'drover.example/v1', kind: 'Widget', metadata: { name: 'w1', namespace: 'team-b' }, spec: { size: 7 } })
  pods = await podApi(stack.cluster)
  await seedPods(pods, 0, PODS, ['load'])
  browser = await launchBrowser(stack.edge.url.origin)
}, 600_000)

afterAll(async () => {
  pods?.[Symbol.dispose]()
  await browser?.[Symbol.asyncDispose]()
  await stack?.[Symbol.asyncDispose]()
})

async function check(p: TestPage, name: string): Promise<void> {
  await p.screenshot(name)
  expect(await p.axe(), `axe-core on ${name}`).toEqual([])
  expect(await p.cspViolations(), `CSP violations on ${name}`).toEqual([])
}

async function logIn(path: string, username: string, password: string, requests?: string[]): Promise<TestPage> {
  const p = await browser.open(path)
  p.page.on('request', (r) => requests?.push(new URL(r.url()).pathname))
  try {
    await p.page.getByLabel('Username', { exact: true }).waitFor(WAIT)
  } catch (e) {
    await p.screenshot(`explorer-failed-login-${username}`)
    throw new Error(`no login form at ${path}: ${JSON.stringify(p.consoleErrors)} ${(await p.page.content()).slice(0, 2000)}`, { cause: e })
  }
  await p.page.getByLabel('Username', { exact: true }).fill(username)
  await p.page.getByLabel('Password', { exact: true }).fill(password)
  await p.page.getByRole('button', { name: 'Log in' }).click()
  return p
}

const count = (p: TestPage) => p.page.locator('[data-count]').getAttribute('data-count')
const names = (p: TestPage) => p.page.locator('tbody [data-col="name"]').allTextContents()

describe('the cluster explorer', () => {
  let admin: TestPage

  it('lists the types the admin may use, CRDs included, from the cluster page', async () => {
    admin = await logIn('/clusters/local', stack.admin.username, ADMIN_PASSWORD)
    const { page } = admin
    await page.getByRole('link', { name: 'Explore this cluster' }).click()
    const types = page.getByRole('navigation', { name: 'Resource types' })
    await types.getByRole('link', { name: 'Pods' }).waitFor(WAIT)
    for (const t of ['Namespaces', 'Nodes', 'Events', 'Deployments', 'StatefulSets', 'DaemonSets', 'Jobs', 'CronJobs', 'Services', 'Ingresses', 'Config maps', 'Secrets']) {
      await types.getByRole('link', { name: t, exact: true }).waitFor(WAIT)
    }
    expect(new URL(page.url()).pathname).toBe('/c/local/explorer')
    await check(admin, 'explorer-01-types')
    await page.getByText(/^More types/).click()
    await types.getByRole('link', { name: 'drover.example.widget' }).click()
    await page.getByRole('heading', { name: 'Widget' }).waitFor(WAIT)
    const row = page.getByRole('row').filter({ has: page.getByRole('link', { name: 'w1' }) })
    await row.waitFor(WAIT)
    // The CRD's printer column, from the apiserver's Table (metadata.fields).
    expect(await page.getByRole('columnheader', { name: 'Size' }).count()).toBe(1)
    expect(await row.locator('[data-col^="f"]').allTextContents()).toContain('7')
    await check(admin, 'explorer-02-crd')
  }, 300_000)

  it('pages 2,000 pods to the end, filters and sorts on the server, and shows a new pod live', async () => {
    const { page } = admin
    await page.getByRole('navigation', { name: 'Resource types' }).getByRole('link', { name: 'Pods' }).click()
    await page.getByRole('heading', { name: 'Pods' }).waitFor(WAIT)
    await expect.poll(() => count(admin), WAIT).toBe(String(PODS))
    expect((await names(admin))[0]).toBe(podName(0))
    // Each pod row links to its log and shell pages (the pod area's).
    expect(await page.getByRole('link', { name: `Logs of ${podName(0)}` }).getAttribute('href')).toBe(`/c/local/pods/load/${podName(0)}/logs`)
    expect(await page.getByRole('link', { name: `Shell in ${podName(0)}` }).getAttribute('href')).toBe(`/c/local/pods/load/${podName(0)}/shell`)
    await check(admin, 'explorer-03-pods')

    // Paging to the last page, then scrolling the table to its end.
    await page.getByLabel('Per page').selectOption('500')
    await page.getByText('Page 1 of 4').waitFor(WAIT)
    await page.getByRole('button', { name: 'Last' }).click()
    await page.getByText('Page 4 of 4').waitFor(WAIT)
    await expect.poll(async () => (await names(admin))[0], WAIT).toBe(podName(1500))
    // Scrolled with the keyboard: the table's region is focusable, End takes it to the bottom.
    await page.getByRole('region', { name: 'Pods in local' }).focus()
    await page.keyboard.press('End')
    await page.getByRole('link', { name: podName(PODS - 1), exact: true }).waitFor(WAIT)
    expect(await page.getByRole('table').getAttribute('aria-rowcount')).toBe(String(PODS + 1))

    // Sorted by name, descending, on the server: the last pod first.
    await page.getByRole('button', { name: 'First' }).click()
    await page.getByRole('button', { name: 'Name', exact: true }).click()
    await expect.poll(async () => (await names(admin))[0], WAIT).toBe(podName(PODS - 1))
    expect(await page.getByRole('columnheader', { name: 'Name', exact: true }).getAttribute('aria-sort')).toBe('descending')

    // A filter narrows it (ten names hold "pod-00199").
    await page.getByLabel('Filter').fill('pod-00199')
    await expect.poll(() => count(admin), WAIT).toBe('10')
    expect((await names(admin)).sort()).toEqual(Array.from({ length: 10 }, (_, i) => podName(1990 + i)))

    // A pod created elsewhere appears without a reload.
    await page.getByLabel('Filter').fill('live-pod')
    await expect.poll(() => count(admin), WAIT).toBe('0')
    await page.evaluate('window.sameDocument = true')
    const created = await pods.call('POST', '/api/v1/namespaces/load/pods', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'live-pod-1', namespace: 'load' }, spec: { containers: [{ name: 'main', image: 'registry.example/live:1' }] } })
    expect(created.status, created.text).toBe(201)
    await page.getByRole('link', { name: 'live-pod-1', exact: true }).waitFor(WAIT)
    expect(await count(admin)).toBe('1')
    expect(await page.evaluate('window.sameDocument')).toBe(true)
    await page.getByLabel('Filter').fill('')
  }, 300_000)

  it('filters by namespace and shows namespaces with their project', async () => {
    const { page } = admin
    await page.getByRole('navigation', { name: 'Resource types' }).getByRole('link', { name: 'Namespaces' }).click()
    const teamA = page.getByRole('row').filter({ has: page.getByRole('link', { name: 'team-a', exact: true }) })
    await teamA.waitFor(WAIT)
    // Grouped by project on the server, each shown by its display name (the admin may list Projects).
    expect(await page.getByRole('columnheader', { name: 'Project' }).getAttribute('aria-sort')).toBe('ascending')
    await expect.poll(() => teamA.locator('[data-col="project"]').textContent(), WAIT).toBe('Team')
    expect(await page.getByRole('row').filter({ has: page.getByRole('link', { name: 'team-b', exact: true }) }).locator('[data-col="project"]').textContent()).toBe('—')
    const order = await names(admin)
    expect(order.filter((n) => n !== 'team-a').every((n, i, all) => i === 0 || all[i - 1]! < n)).toBe(true)
    await check(admin, 'explorer-04-namespaces')

    await page.getByRole('navigation', { name: 'Resource types' }).getByRole('link', { name: 'Config maps' }).click()
    await page.getByRole('link', { name: 'team-a-config' }).waitFor(WAIT)
    await page.getByLabel('Namespaces').selectOption('team-b')
    await expect.poll(() => names(admin), WAIT).toEqual(['settings'])
    // The project's entry keeps its namespaces (projectsornamespaces takes a project id).
    await page.getByLabel('Namespaces').selectOption(projectId)
    await expect.poll(async () => (await names(admin)).includes('team-a-config') && !(await names(admin)).includes('settings'), WAIT).toBe(true)
    await page.getByLabel('Namespaces').selectOption('team-b')
    await expect.poll(() => names(admin), WAIT).toEqual(['settings'])
    await check(admin, 'explorer-05-configmaps-team-b')
  }, 120_000)

  it('shows YAML, reports the apiserver refusing an edit, applies a good one and deletes', async () => {
    const { page } = admin
    await page.getByRole('link', { name: 'settings', exact: true }).click()
    const yaml = page.getByLabel('YAML')
    await expect.poll(() => yaml.textContent(), WAIT).toContain('kind: ConfigMap')
    expect(await yaml.textContent()).toContain('color: blue')
    expect(await yaml.textContent()).not.toContain('managedFields')
    await check(admin, 'explorer-06-yaml')

    // An invalid field: ConfigMap data values are strings; the apiserver's message is shown.
    await page.getByRole('button', { name: 'Edit YAML' }).click()
    const editor = page.getByRole('textbox', { name: 'YAML' })
    await editor.fill(((await editor.inputValue()) ?? '').replace('color: blue', 'color: [1, 2]'))
    await page.getByRole('button', { name: 'Save' }).click()
    const alert = page.getByRole('alert')
    await alert.waitFor(WAIT)
    expect(await alert.textContent()).toMatch(/ConfigMap|cannot unmarshal|invalid/i)
    await check(admin, 'explorer-07-edit-refused')

    // Changed elsewhere since it was read: the stale resourceVersion is refused (409).
    await kubectl(['-n', 'team-b', 'patch', 'configmap', 'settings', '--type=merge', '-p', '{"data":{"other":"x"}}'])
    await editor.fill(((await editor.inputValue()) ?? '').replace('color: [1, 2]', 'color: green'))
    await page.getByRole('button', { name: 'Save' }).click()
    await expect.poll(() => alert.textContent(), WAIT).toMatch(/has been modified/)

    // Reload, edit again: saved.
    await page.getByRole('button', { name: 'Reload' }).click()
    await expect.poll(() => yaml.textContent(), WAIT).toContain('other: x')
    await page.getByRole('button', { name: 'Edit YAML' }).click()
    await editor.fill(((await editor.inputValue()) ?? '').replace('color: blue', 'color: green'))
    await page.getByRole('button', { name: 'Save' }).click()
    await page.getByText('Saved.').waitFor(WAIT)
    expect(await kubectl(['-n', 'team-b', 'get', 'configmap', 'settings', '-o', 'jsonpath={.data.color}'])).toBe('green')

    // Delete, confirmed.
    await page.getByRole('button', { name: 'Delete', exact: true }).click()
    await page.getByRole('alertdialog').waitFor(WAIT)
    await check(admin, 'explorer-08-delete-confirm')
    // The confirmation holds the focus: Enter answers it from the keyboard.
    await expect.poll(() => page.evaluate('document.activeElement && document.activeElement.textContent'), WAIT).toBe('Delete settings')
    await page.keyboard.press('Enter')
    await page.getByRole('heading', { name: 'Config maps' }).waitFor(WAIT)
    const gone = await stack.cluster.kubectl(['-n', 'team-b', 'get', 'configmap', 'settings'])
    expect(gone.stderr).toMatch(/NotFound/)
    // 401: the page asks who is signed in before the login; 400 and 409: the refused edits above.
    expect(admin.consoleErrors.filter((e) => !/\b(401|400|409)\b/.test(e))).toEqual([])
  }, 180_000)

  it('shows a read-only project member their project’s namespaces only, and no Secrets', async () => {
    const adminApi = await stack.login(stack.admin.username, ADMIN_PASSWORD)
    const user = await createUser(stack, adminApi, 'ui-member')
    // The project's namespace in the management cluster, where its bindings live, is the runner's to make.
    await eventually('the project namespace', async () => ((await stack.cluster.kubectl(['get', 'namespace', projectId])).code === 0 ? true : undefined), 60_000)
    await kubectl(['apply', '-f', '-'], {
      apiVersion: 'management.cattle.io/v3', kind: 'ProjectRoleTemplateBinding',
      metadata: { name: 'ui-member-read-only', namespace: projectId },
      projectName: `local:${projectId}`, roleTemplateName: 'read-only', userName: user.id,
    })
    // Reaching /k8s/clusters/<id> needs `get` on the Cluster in the management cluster. Granted here by
    // name, as a project membership grants it (the runner's project access), so this test of the UI does
    // not hang on that; then wait until the downstream RoleBinding lets them list team-a.
    await kubectl(['apply', '-f', '-'], {
      apiVersion: 'v1',
      kind: 'List',
      items: [
        { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'ui-member-get-local' }, rules: [{ apiGroups: ['management.cattle.io'], resources: ['clusters'], resourceNames: ['local'], verbs: ['get'] }] },
        { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: 'ui-member-get-local' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'ui-member-get-local' }, subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: user.id }] },
      ],
    })
    await eventually('the member to list team-a', async () => {
      const r = await stack.api(user.token).get<{ count?: number }>('/k8s/clusters/local/v1/configmaps/team-a')
      return r.status === 200 && (r.body.count ?? 0) > 0 ? true : undefined
    }, 90_000)

    const requests: string[] = []
    const p = await logIn('/c/local/explorer/namespace', 'ui-member', user.password, requests)
    const { page } = p
    const types = page.getByRole('navigation', { name: 'Resource types' })
    await types.getByRole('link', { name: 'Config maps' }).waitFor(WAIT)
    expect(await types.getByRole('link', { name: 'Secrets' }).count()).toBe(0)
    await page.getByRole('link', { name: 'team-a', exact: true }).waitFor(WAIT)
    // Namespaces where they hold a grant: team-a (the project's read-only binding), and, because cluster
    // local is the management cluster, `local`, where the runner lets them get their Project. Nothing else.
    const seen = await names(p)
    expect(seen).toContain('team-a')
    expect(seen.filter((n) => n !== 'team-a' && n !== 'local')).toEqual([])
    await check(p, 'explorer-09-member-namespaces')
    await types.getByRole('link', { name: 'Config maps' }).click()
    await page.getByRole('link', { name: 'team-a-config' }).waitFor(WAIT)
    expect(await names(p)).toEqual(['team-a-config'])
    // Read-only: the object opens, without Edit or Delete.
    await page.getByRole('link', { name: 'team-a-config' }).click()
    await expect.poll(() => page.getByLabel('YAML').textContent(), WAIT).toContain('owner: team-a')
    expect(await page.getByRole('button', { name: 'Edit YAML' }).count()).toBe(0)
    expect(await page.getByRole('button', { name: 'Delete' }).count()).toBe(0)
    await check(p, 'explorer-10-member-readonly')
    expect(requests.filter((r) => /secret/.test(r))).toEqual([])
  }, 240_000)
})
