// Issue 16, fault "etcd stopped for 60 s under a live tunnel": a cluster whose agent is connected but
// whose kube-apiserver cannot serve must say so — Connected, not Ready, reason APIUnavailable, /v3 state
// "unavailable" — and kubectl through the edge must get a clear error rather than hang; once etcd runs
// again the cluster is Ready/active again. The real stack: the edge in workerd, a management cluster with
// the controller runner and `local`'s agent, and a downstream dev cluster registered through /v3 with its
// own agent. The fault is a signal: SIGSTOP to the downstream's etcd (nothing closes, nothing answers),
// SIGCONT after 60 s.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Cluster } from '../protocol/crds/index.ts'
import { devCluster, execCommand, kubectlBin, type DevCluster } from './support/dev-cluster.ts'
import { adminToken, eventually, mgmtStack, type MgmtStack } from './support/mgmt-stack.ts'
import { edgeKubeconfig, startAgent, type AgentProcess } from './support/proxy-fixture.ts'

const PASSWORD = 'admin-password-for-fault-tests'
const STOPPED_MS = 60_000
/**
 * From etcd stopping to the Cluster saying so: the agent's probe period (5 s) and timeout (4 s), the
 * status push (5 s bound) and the runner's reconcile, with generous slack for a loaded machine.
 */
const DETECT_BOUND_MS = 45_000
/** kubectl must have its answer well before the apiserver's own 60 s request timeout would give one. */
const KUBECTL_BOUND_MS = 30_000
const CONNECTED_LOG = /connected to the edge/g
/** /readyz names its failing etcd checks, or (on a loaded machine) does not answer within the probe's timeout. */
const WHAT_READYZ_SAID = /\/readyz(: .*etcd.* failed| did not answer within)/

describe('a downstream cluster whose etcd stops under a live tunnel', () => {
  const dir = mkdtempSync(join(tmpdir(), 'drover-apiserver-down-'))
  let stack: MgmtStack
  let ds: DevCluster
  let agent: AgentProcess
  let admin: string
  let clusterId: string
  let kubeconfig: string
  let etcdPid: number | undefined
  let stoppedAt = 0

  const cluster = async (): Promise<Cluster> => {
    const r = await stack.cluster.kubectl(['get', 'clusters.management.cattle.io', clusterId, '-o', 'json'])
    if (r.code !== 0) throw new Error(r.stderr)
    return JSON.parse(r.stdout) as Cluster
  }
  const condition = (c: Cluster, type: string) => c.status?.conditions?.find((x) => x.type === type)
  const v3State = async (): Promise<string | undefined> => (await stack.api(admin).get<{ state?: string }>(`/v3/clusters/${clusterId}`)).body.state
  const kubectl = async (args: string[]) => execCommand(await kubectlBin(), ['--kubeconfig', kubeconfig, ...args], { timeoutMs: KUBECTL_BOUND_MS, env: { ...process.env, HOME: dir } })
  const connects = () => agent.output().match(CONNECTED_LOG)?.length ?? 0
  /** Polls with progress every 10 s; fails naming what did not happen and what was seen last. */
  const until = async (what: string, seen: () => Promise<string>, ok: (s: string) => boolean, timeoutMs: number): Promise<void> => {
    const t0 = Date.now()
    let last = ''
    let said = t0
    for (;;) {
      last = await seen().catch((e: unknown) => `(error: ${String(e)})`)
      if (ok(last)) return
      if (Date.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last seen: ${last}\nagent output:\n${agent.output().slice(-3000)}`)
      if (Date.now() - said > 10_000) {
        console.log(`still waiting for ${what} (${Math.round((Date.now() - t0) / 1000)} s): ${last}`)
        said = Date.now()
      }
      await sleep(500)
    }
  }
  const summary = async () => {
    const c = await cluster()
    const ready = condition(c, 'Ready')
    return JSON.stringify({ connected: c.status?.connected, Connected: condition(c, 'Connected')?.status, Ready: ready?.status, reason: ready?.reason, message: ready?.message, state: await v3State() })
  }

  beforeAll(async () => {
    ;[stack, ds] = await Promise.all([mgmtStack('apiserver-down', { runner: true, adminPassword: PASSWORD }), devCluster('apiserver-down-ds', { mode: 'lite' })])
    admin = await adminToken(stack, PASSWORD)
    const created = await stack.api(admin).post<{ id: string }>('/v3/clusters', { name: 'apiserver-down' })
    if (created.status !== 201) throw new Error(`creating the cluster: ${created.status} ${JSON.stringify(created.body)}`)
    clusterId = created.body.id
    const registration = await eventually('a registration token', async () => {
      const r = await stack.api(admin).get<{ data: { token?: string }[] }>(`/v3/clusterregistrationtokens?clusterId=${clusterId}`)
      return r.body.data?.[0]?.token || undefined
    }, 60_000)
    agent = startAgent(stack.edge, `${clusterId}:${registration}`, ds.kubeconfigPath)
    // Granted in the downstream directly: what is tested is the status and the error, not role materialisation.
    const grant = await ds.kubectl(['create', 'clusterrolebinding', 'fault-admin', '--clusterrole=cluster-admin', `--user=${stack.admin.userId}`])
    if (grant.code !== 0) throw new Error(grant.stderr)
    kubeconfig = await edgeKubeconfig(dir, stack.edge, clusterId, admin)
    etcdPid = ds.record.components.find((c) => c.name === 'etcd')?.pid
    if (!etcdPid) throw new Error(`no etcd among the dev cluster's components: ${JSON.stringify(ds.record.components)}`)
  }, 600_000)

  afterAll(async () => {
    // A stopped etcd must run again before the dev cluster can stop it.
    if (etcdPid) process.kill(etcdPid, 'SIGCONT')
    await agent?.kill()
    await ds?.[Symbol.asyncDispose]()
    await stack?.[Symbol.asyncDispose]()
    rmSync(dir, { recursive: true, force: true })
  }, 120_000)

  it('is Ready and active while its apiserver is', async () => {
    await until('the cluster to be Ready and active', summary, (s) => s.includes('"Ready":"True"') && s.includes('"state":"active"'), 90_000)
    const c = await cluster()
    expect(c.status?.componentStatuses).toEqual([{ name: 'kube-apiserver', conditions: [{ type: 'Healthy', status: 'True' }] }])
    const r = await kubectl(['get', 'namespace', 'default', '-o', 'name'])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout.trim()).toBe('namespace/default')
  }, 120_000)

  it('stays connected and says API unavailable, with what /readyz said, once etcd stops', async () => {
    const before = connects()
    process.kill(etcdPid!, 'SIGSTOP')
    stoppedAt = Date.now()
    // Sent before the agent can know: a read the apiserver holds (it reads etcd) is given up once it does.
    const early = kubectl(['get', '--raw', '/api/v1/namespaces/default'])
    await until('Ready=False with reason APIUnavailable', summary, (s) => s.includes('"reason":"APIUnavailable"'), DETECT_BOUND_MS)
    const held = await early
    expect(held.code, `the read sent as etcd stopped succeeded: ${held.stdout}`).not.toBe(0)
    expect(held.stderr).toMatch(/kube-apiserver is not ready \(\/readyz/)
    const c = await cluster()
    expect(c.status?.connected).toBe(true)
    expect(condition(c, 'Connected')?.status).toBe('True')
    const ready = condition(c, 'Ready')
    expect(ready?.status).toBe('False')
    console.log(`Ready: ${ready?.message}`)
    expect(ready?.message).toMatch(WHAT_READYZ_SAID)
    expect(c.status?.componentStatuses?.[0]).toMatchObject({ name: 'kube-apiserver', conditions: [{ type: 'Healthy', status: 'False' }] })
    await until('/v3 state unavailable', async () => String(await v3State()), (s) => s === 'unavailable', 15_000)
    expect(connects()).toBe(before)
  }, DETECT_BOUND_MS + 30_000)

  it('answers kubectl through the edge with a clear error, not a hang', async () => {
    for (const args of [['get', 'pods', '-A'], ['create', 'namespace', 'never-made']]) {
      const r = await kubectl(args)
      expect(r.code, `kubectl ${args.join(' ')} succeeded: ${r.stdout}`).not.toBe(0)
      // A kubectl killed at the bound would have printed nothing of the sort.
      expect(r.stderr).toMatch(/Error from server \(ServiceUnavailable\): the cluster's kube-apiserver is not ready \(\/readyz/)
      expect(r.stderr).toMatch(WHAT_READYZ_SAID)
    }
  }, 2 * KUBECTL_BOUND_MS + 10_000)

  it('keeps the tunnel and the verdict for the whole 60 s, and is Ready and active again once etcd runs', async () => {
    const before = connects()
    for (let left = STOPPED_MS - (Date.now() - stoppedAt); left > 0; left = STOPPED_MS - (Date.now() - stoppedAt)) {
      console.log(`etcd stopped; resuming in ${Math.ceil(left / 1000)} s`)
      await sleep(Math.min(left, 10_000))
    }
    const held = await cluster()
    expect(held.status?.connected).toBe(true)
    expect(condition(held, 'Ready')?.reason).toBe('APIUnavailable')
    process.kill(etcdPid!, 'SIGCONT')
    await until('the cluster to be Ready and active again', summary, (s) => s.includes('"Ready":"True"') && s.includes('"state":"active"'), DETECT_BOUND_MS)
    expect((await cluster()).status?.componentStatuses?.[0]?.conditions?.[0]?.status).toBe('True')
    const r = await kubectl(['get', 'namespace', 'default', '-o', 'name'])
    expect(r.code, r.stderr).toBe(0)
    expect(connects()).toBe(before)
  }, STOPPED_MS + DETECT_BOUND_MS + 30_000)
})
