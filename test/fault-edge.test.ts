// Issue 16, faults at the edge: the OpenID provider's keys (JWKS) down and ID tokens under unknown `kid`s,
// a client that stops reading a log stream, and a workload that answers a redirect. One real stack for
// every case: a full management dev cluster (kwok pods), the edge in workerd with its metrics, the `local`
// agent with its metrics, a real OpenID provider whose JWKS the edge reaches through Toxiproxy.
import { once } from 'node:events'
import { appendFile, readFileSync } from 'node:fs'
import { createServer, type ClientRequest, type Server } from 'node:http'
import { request } from 'node:https'
import type { AddressInfo } from 'node:net'
import { networkInterfaces } from 'node:os'
import { promisify } from 'node:util'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { criLogLine, podLogFile } from '../infra/dev-cluster/pod-log.ts'
import { freePort } from '../infra/dev-cluster/ports.ts'
import { mgmtStack, type MgmtStack } from './support/mgmt-stack.ts'
import { oidcLogin, TestIdp, type LoginOutcome } from './support/oidc-idp.ts'
import { grantClusterAdmin } from './support/proxy-fixture.ts'
import { ToxiproxyServer, type ToxiProxy } from './support/toxiproxy.ts'

const ADMIN_PASSWORD = 'fault-edge-admin-password'
const METRICS_TOKEN = 'fault-edge-metrics-token-0123456789'
const USER = 'token-fault-edge:r'
const CLIENT_ID = 'drover-edge'
const CLIENT_SECRET = 'fault-edge-client-secret-Xq2'
const LOGIN = '/v3-public/genericOIDCProviders/genericoidc/login?redirect=%2Fdashboard%2Fhome'
const CALLBACK = '/v3-public/genericOIDCProviders/genericoidc/callback'
/** oauth4webapi asks again for keys a minute old when a token names a kid they lack (see oidc/jwks.ts). */
const LIBRARY_REFETCH_AGE_MS = 60_000

const appendAsync = promisify(appendFile)

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return m ? Number(m[1]) / 1024 : 0
}

/** The workerd process that runs the edge: a descendant of this test process. */
function workerdPid(): number | undefined {
  const walk = (pid: number): number[] => {
    try {
      const kids = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number)
      return kids.flatMap((k) => [k, ...walk(k)])
    } catch {
      return []
    }
  }
  return walk(process.pid).find((p) => {
    try {
      return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes('workerd')
    } catch {
      return false
    }
  })
}

/** One Prometheus sample, by metric name and optional label text. */
function sample(text: string, name: string, labels = ''): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels} `))
  if (!line) throw new Error(`no ${name}${labels} in:\n${text.slice(0, 2000)}`)
  return Number(line.split(' ').at(-1))
}

/** An address of this machine the apiserver will proxy to (it refuses loopback pod IPs). */
function hostAddress(): string {
  for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address
  throw new Error('this machine has no non-loopback IPv4 address: the pod proxy case needs one (kube-apiserver refuses loopback pod IPs)')
}

describe('the edge survives faults around it', () => {
  let stack: MgmtStack
  let toxi: ToxiproxyServer
  let idp: TestIdp
  let keysLink: ToxiProxy
  let agentMetricsPort: number

  const until = async (what: string, cond: () => Promise<boolean> | boolean, timeoutMs: number): Promise<void> => {
    const t0 = Date.now()
    while (!(await cond())) {
      if (Date.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
      await sleep(250)
    }
  }
  const login = (user = 'alice') => oidcLogin(stack.edge, LOGIN, user)
  const k8s = (path: string, init: { redirect?: 'manual' } = {}) => stack.edge.fetch(`/k8s/clusters/local${path}`, { headers: { authorization: `Bearer ${USER}` }, ...init })
  const edgeMetrics = async () => {
    const res = await stack.edge.fetch('/metrics', { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })
    expect(res.status).toBe(200)
    return res.text()
  }
  const agentMetrics = async () => (await fetch(`http://127.0.0.1:${agentMetricsPort}/metrics`)).text()
  const streams = async () => ({ edge: sample(await edgeMetrics(), 'drover_edge_tunnel_streams_open'), agent: sample(await agentMetrics(), 'drover_agent_tunnel_streams') })
  const agentBytesSent = async () => sample(await agentMetrics(), 'drover_agent_tunnel_bytes_total', '{direction="sent"}')

  beforeAll(async () => {
    agentMetricsPort = await freePort()
    ;[stack, toxi] = await Promise.all([
      mgmtStack('fault-edge', {
        mode: 'full',
        adminPassword: ADMIN_PASSWORD,
        bindings: { DROVER_METRICS_TOKEN: METRICS_TOKEN },
        users: [{ token: USER, identity: { user: 'fault-edge-ops', groups: ['ops'], extra: {} }, clusters: '*' }],
        agentArgs: ['--metrics-addr', `127.0.0.1:${agentMetricsPort}`],
      }),
      ToxiproxyServer.start(),
    ])
    await grantClusterAdmin(stack.cluster, 'ops')
    idp = await TestIdp.start({ redirectUri: new URL(CALLBACK, stack.edge.url).toString(), clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, accounts: { alice: { name: 'Alice Liddell', groups: ['devs'] } } })
    // The edge reaches the provider's keys, and only those, through Toxiproxy.
    keysLink = await toxi.proxy('idp-jwks', new URL(idp.issuer).host)
    idp.jwksUri = `http://${keysLink.listen}/jwks`
    const admin = stack.api(await stack.login('admin', ADMIN_PASSWORD))
    const put = await admin.put('/v3/authconfigs/genericoidc', { enabled: true, issuer: idp.issuer, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET })
    expect(put.status, JSON.stringify(put.body)).toBe(201)
  }, 600_000)

  afterAll(async () => {
    await idp?.[Symbol.asyncDispose]()
    await toxi?.[Symbol.asyncDispose]()
    await stack?.[Symbol.asyncDispose]()
  })

  const expectError = (o: LoginOutcome, status: number, message: RegExp) => {
    expect(o.status, o.body).toBe(status)
    const body = JSON.parse(o.body) as { type: string; status: number; message: string }
    expect(body).toMatchObject({ type: 'error', status })
    expect(body.message).toMatch(message)
  }

  it('fails a login with a clear 502 while the provider keys hang and none are cached, then logs in once they answer', async () => {
    // Blackholed both ways: the connection opens, the request never arrives, nothing ever comes back. The
    // login's own deadline ends it.
    const holes = await keysLink.addBoth({ type: 'timeout', attributes: { timeout: 0 } })
    try {
      expectError(await login(), 502, /signing keys \(JWKS\): it did not answer in time/)
      // Right after, logins are refused at once from what the edge remembers, without asking again.
      const again = await Promise.all([login(), login(), login()])
      for (const o of again) expectError(o, 502, /signing keys \(JWKS\)/)
    } finally {
      await keysLink.remove(...holes)
    }
    expect(idp.jwksHits, 'the blackholed requests never reached the provider').toBe(0)
    let last: LoginOutcome | undefined
    await until('a login to succeed once the keys answer', async () => (last = await login()).status === 302, 30_000).catch((e: Error) => {
      throw new Error(`${e.message}; last: ${last?.status} ${last?.body}`)
    })
    expect(last!.location).toBe('/dashboard/home')
    expect(idp.jwksHits).toBe(1)
  })

  it('refuses ID tokens under unknown kids with 401 naming the key, without asking the provider per token', async () => {
    const before = idp.jwksHits
    idp.forgeIdTokens = true
    try {
      for (const o of await Promise.all(Array.from({ length: 6 }, () => login()))) expectError(o, 401, /verification key/)
    } finally {
      idp.forgeIdTokens = false
    }
    expect(idp.forged).toBeGreaterThanOrEqual(6)
    expect(idp.jwksHits - before).toBeLessThanOrEqual(1)
    const ok = await login()
    expect(ok.status, ok.body).toBe(302)
  })

  it('holds a log stream whose client stopped reading to a window, serves other requests meanwhile, and closes it end to end', { timeout: 180_000 }, async () => {
    const node = (await stack.cluster.kubectl(['get', 'nodes', '-o', 'jsonpath={.items[0].metadata.name}'])).stdout
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'chatty', namespace: 'default' }, spec: { nodeName: node, containers: [{ name: 'main', image: 'registry.invalid/chatty:1' }] } }
    expect((await stack.cluster.kubectl(['create', '-f', '-'], { input: JSON.stringify(pod) })).code).toBe(0)
    const ready = await stack.cluster.kubectl(['wait', '--for=condition=Ready', 'pod/chatty', '--timeout=60s'])
    expect(ready.code, ready.stderr).toBe(0)
    // kwok serves one file as every container's log: 128 MB of it, and more printed while the test runs.
    const file = podLogFile(stack.cluster.record.dir)
    const line = criLogLine('x'.repeat(1000))
    const mb = line.repeat(Math.ceil((1 << 20) / line.length))
    for (let i = 0; i < 128; i++) await appendAsync(file, mb)
    let printing = true
    const printer = (async () => {
      while (printing) {
        await appendAsync(file, mb)
        await sleep(200)
      }
    })()

    const base = await streams()
    const sentBefore = await agentBytesSent()
    const agentPid = stack.agent.child.pid!
    const edgePid = workerdPid()
    expect(edgePid, 'the workerd process of the edge').toBeDefined()
    const rss = { agent: rssMiB(agentPid), edge: rssMiB(edgePid!) }
    const peak = { ...rss }
    const sampler = setInterval(() => {
      peak.agent = Math.max(peak.agent, rssMiB(agentPid))
      peak.edge = Math.max(peak.edge, rssMiB(edgePid!))
    }, 250)
    let stalled: ClientRequest | undefined
    try {
      stalled = request(`${stack.edge.url.origin}/k8s/clusters/local/api/v1/namespaces/default/pods/chatty/log?follow=true`, { ca: stack.edge.caPem, headers: { authorization: `Bearer ${USER}` } })
      const paused = new Promise<number>((resolve, reject) => {
        stalled!.on('response', (res) => {
          // The client reads the first chunk, then never again.
          res.once('data', () => {
            res.pause()
            resolve(res.statusCode!)
          })
        })
        stalled!.on('error', reject)
      })
      stalled.end()
      expect(await paused).toBe(200)
      // Flow control: the agent stops sending once the window and the buffers on the way are full.
      let last = -1
      let steady = 0
      await until('the agent to stop sending the unread log', async () => {
        const now = await agentBytesSent()
        steady = now === last ? steady + 1 : 0
        last = now
        return steady >= 4
      }, 90_000)
      const sent = last - sentBefore
      const during = await streams()
      console.log(`paused log reader: agent sent ${(sent / 2 ** 20).toFixed(1)} MiB of a log of 128+ MiB, then stopped; RSS MiB agent ${rss.agent.toFixed(0)} -> ${peak.agent.toFixed(0)}, edge ${rss.edge.toFixed(0)} -> ${peak.edge.toFixed(0)}; streams ${JSON.stringify(base)} -> ${JSON.stringify(during)}`)
      expect(sent).toBeLessThan(32 * 2 ** 20)
      expect(during.edge).toBe(base.edge + 1)
      expect(during.agent).toBe(base.agent + 1)
      // Other requests on the same tunnel answer meanwhile.
      for (let i = 0; i < 5; i++) {
        const res = await k8s('/api/v1/namespaces/default')
        expect(res.status).toBe(200)
        expect(((await res.json()) as { metadata: { name: string } }).metadata.name).toBe('default')
      }
      expect(peak.agent - rss.agent).toBeLessThan(48)
      expect(peak.edge - rss.edge).toBeLessThan(48)
      // The client goes away: the stream closes at the edge and at the agent (and so upstream).
      stalled.destroy()
      await until('the stream to close at the edge and the agent', async () => {
        const s = await streams()
        return s.edge === base.edge && s.agent === base.agent
      }, 30_000)
    } finally {
      clearInterval(sampler)
      stalled?.destroy()
      printing = false
      await printer
    }
  })

  describe('a workload that answers a redirect', () => {
    let target: Server
    let trap: Server
    const seen: string[] = []
    let trapped = 0
    let port = 0
    let trapUrl = ''

    beforeAll(async () => {
      const address = hostAddress()
      trap = createServer((_req, res) => {
        trapped++
        res.end('trapped')
      })
      trap.listen(0, '127.0.0.1')
      await once(trap, 'listening')
      trapUrl = `http://127.0.0.1:${(trap.address() as AddressInfo).port}/steal?from=redirect`
      target = createServer((req, res) => {
        seen.push(req.url!)
        if (req.url === '/moved') res.writeHead(302, { location: trapUrl, 'content-type': 'text/plain' }).end('moved away')
        else if (req.url === '/inside') res.writeHead(302, { location: '/elsewhere/inside', 'content-type': 'text/plain' }).end('moved inside')
        else res.end(`landed on ${req.url}`)
      })
      target.listen(0, address)
      await once(target, 'listening')
      port = (target.address() as AddressInfo).port
      // A pod whose IP is this machine's address: kwok gives it one of its own first, then keeps ours.
      const node = (await stack.cluster.kubectl(['get', 'nodes', '-o', 'jsonpath={.items[0].metadata.name}'])).stdout
      const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'redirector', namespace: 'default' }, spec: { nodeName: node, containers: [{ name: 'main', image: 'registry.invalid/redirector:1' }] } }
      expect((await stack.cluster.kubectl(['create', '-f', '-'], { input: JSON.stringify(pod) })).code).toBe(0)
      await until('kwok to give the pod an IP', async () => (await stack.cluster.kubectl(['get', 'pod', 'redirector', '-o', 'jsonpath={.status.podIP}'])).stdout !== '', 60_000)
      const patched = await stack.cluster.kubectl(['patch', 'pod', 'redirector', '--subresource=status', '--type=merge', '-p', JSON.stringify({ status: { podIP: address, podIPs: [{ ip: address }] } })])
      expect(patched.code, patched.stderr).toBe(0)
    })
    afterAll(async () => {
      target?.closeAllConnections()
      trap?.closeAllConnections()
      await Promise.all([target && new Promise((r) => target.close(r)), trap && new Promise((r) => trap.close(r))])
    })

    it('relays a 302 to another host as-is (status, Location, body), followed by nobody', async () => {
      seen.length = 0
      const res = await k8s(`/api/v1/namespaces/default/pods/redirector:${port}/proxy/moved`, { redirect: 'manual' })
      expect(res.status).toBe(302)
      expect(res.headers.get('location')).toBe(trapUrl)
      expect(await res.text()).toBe('moved away')
      // A workload's page on the edge's origin: sandboxed like every proxied page.
      expect(res.headers.get('content-security-policy')).toContain('sandbox')
      expect(seen).toEqual(['/moved'])
      expect(trapped).toBe(0)
    })

    it('relays a relative 302 (which the apiserver points back into the pod proxy) under the cluster path, and does not follow it', async () => {
      seen.length = 0
      const res = await k8s(`/api/v1/namespaces/default/pods/redirector:${port}/proxy/inside`, { redirect: 'manual' })
      const body = await res.text()
      expect(res.status, body).toBe(302)
      // Under /k8s/clusters/<id>, where a client following it reaches the same pod proxy through the edge.
      expect(res.headers.get('location')).toBe(`/k8s/clusters/local/api/v1/namespaces/default/pods/redirector:${port}/proxy/elsewhere/inside`)
      expect(body).toBe('moved inside')
      expect(seen).toEqual(['/inside'])
      expect(trapped).toBe(0)
    })
  })

  it('later, with the keys failing and cached past the library refetch age, still verifies known keys and refuses unknown kids without a request per token', { timeout: 180_000 }, async () => {
    // Past the age at which oauth4webapi, left alone, drops its keys and asks the provider for each token.
    expect(idp.jwksServedAt, 'the edge fetched the keys once before').toBeGreaterThan(0)
    const wait = idp.jwksServedAt + LIBRARY_REFETCH_AGE_MS + 1_000 - Date.now()
    if (wait > 0) {
      console.log(`waiting ${Math.ceil(wait / 1000)} s for the cached provider keys to pass ${LIBRARY_REFETCH_AGE_MS / 1000} s of age`)
      await sleep(wait)
    }
    idp.jwksFailure = 503
    const before = idp.jwksHits
    try {
      idp.forgeIdTokens = true
      try {
        for (const o of await Promise.all(Array.from({ length: 8 }, () => login()))) expectError(o, 401, /verification key/)
      } finally {
        idp.forgeIdTokens = false
      }
      // At most one request, however many tokens, and the keys it had are kept when it fails.
      expect(idp.jwksHits - before).toBeLessThanOrEqual(1)
      const ok = await login()
      expect(ok.status, ok.body).toBe(302)
      expect(ok.location).toBe('/dashboard/home')
      expect(idp.jwksHits - before).toBeLessThanOrEqual(1)
    } finally {
      idp.jwksFailure = undefined
    }
  })
})
