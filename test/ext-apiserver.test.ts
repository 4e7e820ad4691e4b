import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { request } from 'node:https'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { EXT_GROUP, EXT_VERSION } from '../protocol/api/ext.ts'
import type { ResourceType } from '../protocol/kube/resource.ts'
import { StatusError, type ExtResource } from '../ext-apiserver/server/resource.ts'
import { FRONT_PROXY_CLIENT, generateClientCert, generateServingPki } from '../infra/dev-cluster/pki.ts'
import { startExtApiServer } from '../ext-apiserver/main.ts'
import { EXT_APISERVER_ACCOUNT, managementRbac } from '../infra/management/index.ts'
import { KubeClient } from '../protocol/kube/client.ts'
import { kubeConfigTransport } from '../node/kube/index.ts'
import { SubjectAccessReviewer, type Attributes } from '../ext-apiserver/server/authorizer.ts'
import { ManualClock } from './support/manual-clock.ts'
import { silentLogger } from './support/logger.ts'
import { devCluster, type DevCluster } from './support/dev-cluster.ts'
import { startTestExtApiServer, type TestExtApiServer } from './support/ext-apiserver.ts'

// The extension API server behind a real kube-apiserver's aggregator (lite dev cluster), serving a tiny
// resource that echoes who the server says is asking.
const ECHO: ResourceType = { group: EXT_GROUP, version: EXT_VERSION, kind: 'EchoReview', plural: 'echoreviews', namespaced: false }
const echo: ExtResource = {
  type: ECHO,
  verbs: ['create'],
  async create({ body, user, dryRun }) {
    const spec = (body as { spec?: { fail?: string } }).spec ?? {}
    if (spec.fail === 'status') throw new StatusError(422, 'Invalid', 'spec.fail: asked to fail')
    if (spec.fail === 'crash') throw new Error('internal detail that must not reach the caller')
    return { metadata: { name: 'echo' }, spec, status: { user, dryRun } }
  },
}
const review = (spec: object = {}) => JSON.stringify({ apiVersion: `${EXT_GROUP}/${EXT_VERSION}`, kind: 'EchoReview', metadata: { name: 'x' }, spec })
const PATH = `/apis/${EXT_GROUP}/${EXT_VERSION}/echoreviews`

interface Direct {
  cert?: string
  key?: string
  method?: string
  headers?: Record<string, string | string[]>
  body?: string | Buffer
}

describe('extension API server (APIService v1.ext.cattle.io)', () => {
  let cluster: DevCluster
  let ext: TestExtApiServer
  let proxyCert: { cert: string; key: string }

  /** A request straight to the ext server, bypassing the aggregator. */
  const direct = (path: string, o: Direct = {}) =>
    new Promise<{ status: number; body: { kind?: string; code?: number; reason?: string; message?: string; status?: { user?: { name: string; groups: string[] } } } }>((resolve, reject) => {
      const req = request(`${ext.url}${path}`, { method: o.method ?? 'GET', ca: ext.servingCaPem, cert: o.cert, key: o.key, headers: o.headers }, (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString()
          resolve({ status: res.statusCode ?? 0, body: text.startsWith('{') ? JSON.parse(text) : { message: text } })
        })
      })
      req.on('error', reject)
      req.end(o.body)
    })
  /** As the aggregator: the front-proxy client certificate, a user in system:masters. */
  const asProxy = (o: Direct = {}): Direct => ({ ...proxyCert, ...o, headers: { 'x-remote-user': 'admin', 'x-remote-group': 'system:masters', ...o.headers } })

  beforeAll(async () => {
    cluster = await devCluster('ext-api', { mode: 'lite' })
    ext = await startTestExtApiServer(cluster, [echo])
    proxyCert = { cert: await readFile(ext.frontProxy.clientCert, 'utf8'), key: await readFile(ext.frontProxy.clientKey, 'utf8') }
  })
  afterAll(async () => {
    await ext?.[Symbol.asyncDispose]()
    await cluster?.[Symbol.asyncDispose]()
  })

  it('is discovered through the aggregator', async () => {
    const r = await cluster.kubectl(['get', '--raw', `/apis/${EXT_GROUP}/${EXT_VERSION}`])
    expect(r.code, r.stderr).toBe(0)
    expect(JSON.parse(r.stdout)).toMatchObject({ kind: 'APIResourceList', groupVersion: `${EXT_GROUP}/${EXT_VERSION}`, resources: [{ name: 'echoreviews', kind: 'EchoReview', namespaced: false, verbs: ['create'] }] })
    const resources = await cluster.kubectl(['api-resources', `--api-group=${EXT_GROUP}`, '-o', 'name'])
    expect(resources.stdout.trim()).toBe(`echoreviews.${EXT_GROUP}`)
  })

  it('answers kubectl create with 201 and the user the aggregator vouches for', async () => {
    const r = await cluster.kubectl(['create', '-f', '-', '-o', 'json', '-v=6'], { input: review() })
    expect(r.code, r.stderr).toBe(0)
    expect(r.stderr).toMatch(/verb="POST" url="https:\/\/[^"]+\/apis\/ext\.cattle\.io\/v1\/echoreviews[?"][^\n]* status="201 Created"/)
    const created = JSON.parse(r.stdout) as { apiVersion: string; kind: string; status: { user: { name: string; groups: string[] }; dryRun: boolean } }
    expect(created).toMatchObject({ apiVersion: `${EXT_GROUP}/${EXT_VERSION}`, kind: 'EchoReview', status: { dryRun: false, user: { name: 'admin' } } })
    expect(created.status.user.groups).toContain('system:masters')
    const dry = await cluster.kubectl(['create', '--dry-run=server', '-f', '-', '-o', 'jsonpath={.status.dryRun}'], { input: review() })
    expect([dry.code, dry.stdout]).toEqual([0, 'true'])
  })

  it('serves a user only what RBAC in the management cluster grants', async () => {
    const denied = await cluster.kubectl(['--as=someone', 'create', '-f', '-'], { input: review() })
    expect(denied.code).not.toBe(0)
    expect(denied.stderr).toMatch(/forbidden: User "someone" cannot create resource "echoreviews" in API group "ext\.cattle\.io"/)
    for (const args of [
      ['create', 'clusterrole', 'echo-creator', '--verb=create', `--resource=echoreviews.${EXT_GROUP}`],
      ['create', 'clusterrolebinding', 'echo-creator', '--clusterrole=echo-creator', '--user=someone'],
    ]) {
      const r = await cluster.kubectl(args)
      expect(r.code, r.stderr).toBe(0)
    }
    const allowed = await cluster.kubectl(['--as=someone', '--as-group=team-a', 'create', '-f', '-', '-o', 'json'], { input: review() })
    expect(allowed.code, allowed.stderr).toBe(0)
    expect(JSON.parse(allowed.stdout).status.user).toMatchObject({ name: 'someone', groups: expect.arrayContaining(['team-a', 'system:authenticated']) })
    // The ext server asks the management cluster itself: a user the front proxy names but RBAC does not allow.
    const own = await direct(PATH, asProxy({ method: 'POST', headers: { 'x-remote-user': 'nobody', 'x-remote-group': 'team-b', 'content-type': 'application/json' }, body: review() }))
    expect([own.status, own.body.reason]).toEqual([403, 'Forbidden'])
    expect(own.body.message).toMatch(/User "nobody" cannot create resource "echoreviews" in API group "ext\.cattle\.io"/)
  })

  it('refuses requests that do not come from the front proxy (401), however they name the user', async () => {
    const post = (o: Direct) => direct(PATH, { method: 'POST', body: review(), ...o, headers: { 'content-type': 'application/json', 'x-remote-user': 'admin', 'x-remote-group': 'system:masters', ...o.headers } })
    const none = await post({})
    expect([none.status, none.body.kind, none.body.reason]).toEqual([401, 'Status', 'Unauthorized'])
    // The cluster's own CA signs the admin's client certificate: valid for kube-apiserver, not for the front proxy.
    const user = cluster.kubeConfig.getCurrentUser()!
    const clusterCa = await post({ cert: Buffer.from(user.certData!, 'base64').toString(), key: Buffer.from(user.keyData!, 'base64').toString() })
    expect([clusterCa.status, clusterCa.body.reason]).toEqual([401, 'Unauthorized'])
    // The spoof: a certificate named like the front proxy, but from the cluster's CA (any client of the cluster).
    const pki = join(cluster.record.dir, 'pki')
    const spoof = await generateClientCert({ certPem: await readFile(join(pki, 'ca.crt'), 'utf8'), keyPem: await readFile(join(pki, 'ca.key'), 'utf8') }, { cn: FRONT_PROXY_CLIENT })
    const spoofed = await post({ cert: spoof.certPem, key: spoof.keyPem })
    expect([spoofed.status, spoofed.body.reason]).toEqual([401, 'Unauthorized'])
    // The front-proxy CA, but a CN that is not an allowed name.
    const other = await generateClientCert(
      { certPem: await readFile(ext.frontProxy.caCert, 'utf8'), keyPem: await readFile(ext.frontProxy.caKey, 'utf8') },
      { cn: 'not-the-front-proxy' },
    )
    const wrongName = await post({ cert: other.certPem, key: other.keyPem })
    expect(wrongName.status).toBe(401)
    const noUser = await direct(PATH, { ...proxyCert, method: 'POST', headers: { 'content-type': 'application/json' }, body: review() })
    expect(noUser.status).toBe(401)
    // The same request with the front proxy's certificate is served: the certificate made the difference.
    const proxied = await post(proxyCert)
    expect([proxied.status, proxied.body.status?.user?.name]).toEqual([201, 'admin'])
    // Probes answer anyone.
    expect((await direct('/healthz')).status).toBe(200)
    expect((await direct('/readyz')).status).toBe(200)
  })

  it('answers bad requests with a Status naming the problem', async () => {
    const post = (body: string | Buffer, contentType = 'application/json') => direct(PATH, asProxy({ method: 'POST', headers: { 'content-type': contentType }, body }))
    const big = await post(Buffer.alloc(1024 * 1024 + 1, 32))
    expect([big.status, big.body.reason]).toEqual([413, 'RequestEntityTooLarge'])
    const yaml = await post('kind: EchoReview', 'application/yaml')
    expect([yaml.status, yaml.body.reason]).toEqual([415, 'UnsupportedMediaType'])
    const broken = await post('{"kind":')
    expect([broken.status, broken.body.reason]).toEqual([400, 'BadRequest'])
    expect(broken.body.message).toMatch(/not valid JSON/)
    const refused = await post(review({ fail: 'status' }))
    expect([refused.status, refused.body.reason, refused.body.message]).toEqual([422, 'Invalid', 'spec.fail: asked to fail'])
    const crashed = await post(review({ fail: 'crash' }))
    expect([crashed.status, crashed.body.reason]).toEqual([500, 'InternalError'])
    expect(crashed.body.message).not.toMatch(/internal detail/)
    expect((await direct(`/apis/${EXT_GROUP}/${EXT_VERSION}/nothings`, asProxy({ method: 'POST' }))).status).toBe(404)
    expect((await direct('/api/v1/pods', asProxy())).status).toBe(404)
    expect((await direct(PATH, asProxy())).status).toBe(405)
    expect((await direct(`${PATH}?dryRun=Some`, asProxy({ method: 'POST', headers: { 'content-type': 'application/json' }, body: review() }))).status).toBe(400)
  })

  // `someone` holds the ClusterRoleBinding the RBAC test above created.
  it('caches review decisions briefly and boundedly (reviews counted at the management cluster\'s client)', async () => {
    const transport = kubeConfigTransport(cluster.kubeConfig)
    let reviews = 0
    const client = new KubeClient(async (req) => {
      if (req.url.endsWith('/subjectaccessreviews')) reviews++
      return transport(req)
    })
    const clock = new ManualClock()
    const reviewer = new SubjectAccessReviewer(client, silentLogger, { ttlMs: 5_000, maxEntries: 2, now: () => clock.now() })
    const create: Attributes = { kind: 'resource', verb: 'create', group: EXT_GROUP, version: EXT_VERSION, resource: 'echoreviews' }
    const user = (name: string) => ({ name, groups: ['system:authenticated'], extra: {} })
    try {
      expect(await reviewer.authorize(user('someone'), create)).toMatchObject({ allowed: true })
      expect(await reviewer.authorize(user('nobody'), create)).toMatchObject({ allowed: false })
      expect(await reviewer.authorize(user('someone'), create)).toMatchObject({ allowed: true })
      expect(await reviewer.authorize(user('nobody'), create)).toMatchObject({ allowed: false })
      expect(reviews).toBe(2)
      clock.tick(5_000)
      await reviewer.authorize(user('someone'), create)
      expect(reviews).toBe(3)
      // Two entries at most: `third` displaces nobody's expired entry, `fourth` the oldest (someone's).
      await reviewer.authorize(user('third'), create)
      await reviewer.authorize(user('fourth'), create)
      await reviewer.authorize(user('someone'), create)
      expect(reviews).toBe(6)
      // system:masters is allowed without a review, as in kube-apiserver.
      expect(await reviewer.authorize({ name: 'root', groups: ['system:masters'], extra: {} }, create)).toEqual({ allowed: true })
      expect(reviews).toBe(6)
    } finally {
      transport.close()
    }
  })

  // As in a real deployment: the server's service account with only infra/management's grants, and no CA file.
  it('runs with its own RBAC, learning the front proxy\'s CA and allowed names from the cluster', async () => {
    const applied = await cluster.kubectl(['apply', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: managementRbac() }) })
    expect(applied.code, applied.stderr).toBe(0)
    const account = await cluster.kubectl(['create', 'serviceaccount', '-n', EXT_APISERVER_ACCOUNT.namespace, EXT_APISERVER_ACCOUNT.name])
    expect(account.code, account.stderr).toBe(0)
    const token = await cluster.kubectl(['create', 'token', '-n', EXT_APISERVER_ACCOUNT.namespace, EXT_APISERVER_ACCOUNT.name])
    expect(token.code, token.stderr).toBe(0)
    const dir = await mkdtemp(join(tmpdir(), 'drover-ext-sa-'))
    const serving = await generateServingPki('ext-from-cluster')
    await writeFile(join(dir, 'tls.crt'), serving.certPem)
    await writeFile(join(dir, 'tls.key'), serving.keyPem)
    const mgmt = cluster.kubeConfig.getCurrentCluster()!
    const kubeconfig = {
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'mgmt', cluster: { server: mgmt.server, 'certificate-authority-data': mgmt.caData } }],
      users: [{ name: 'ext', user: { token: token.stdout.trim() } }],
      contexts: [{ name: 'mgmt', context: { cluster: 'mgmt', user: 'ext' } }],
      'current-context': 'mgmt',
    }
    await writeFile(join(dir, 'kubeconfig'), JSON.stringify(kubeconfig), { mode: 0o600 })
    try {
      await using server = await startExtApiServer({
        listen: { host: '127.0.0.1', port: 0 },
        servingCertFile: join(dir, 'tls.crt'),
        servingKeyFile: join(dir, 'tls.key'),
        kubeconfig: join(dir, 'kubeconfig'),
        resources: [echo],
        logger: silentLogger,
      })
      const send = (cert: { cert: string; key: string }, user = { 'x-remote-user': 'admin', 'x-remote-group': 'system:masters' }) =>
        new Promise<number>((resolve, reject) => {
          const headers = { 'content-type': 'application/json', ...user }
          const req = request(`${server.url}${PATH}`, { method: 'POST', ca: serving.caPem, ...cert, headers }, (res) => {
            res.resume()
            resolve(res.statusCode ?? 0)
          })
          req.on('error', reject)
          req.end(review())
        })
      expect(await send(proxyCert)).toBe(201)
      // Users outside system:masters need a SubjectAccessReview, which the account may create.
      expect(await send(proxyCert, { 'x-remote-user': 'someone', 'x-remote-group': 'team-a' })).toBe(201)
      expect(await send(proxyCert, { 'x-remote-user': 'nobody', 'x-remote-group': 'team-a' })).toBe(403)
      const spoof = await generateClientCert({ certPem: await readFile(join(cluster.record.dir, 'pki', 'ca.crt'), 'utf8'), keyPem: await readFile(join(cluster.record.dir, 'pki', 'ca.key'), 'utf8') }, { cn: FRONT_PROXY_CLIENT })
      expect(await send({ cert: spoof.certPem, key: spoof.keyPem })).toBe(401)
      // The allowed names came along: the front-proxy CA with another CN is refused.
      const other = await generateClientCert({ certPem: await readFile(ext.frontProxy.caCert, 'utf8'), keyPem: await readFile(ext.frontProxy.caKey, 'utf8') }, { cn: 'someone-else' })
      expect(await send({ cert: other.certPem, key: other.keyPem })).toBe(401)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
