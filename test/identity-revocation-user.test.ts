// Revocation follows the user, and long streams follow revocation, through the real stack: workerd edge,
// management kube-apiserver, the `local` agent and the controller runner.
import { spawn } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { devCluster, kubectlBin, type DevCluster } from './support/dev-cluster.ts'
import { adminToken, createUser, eventually, mgmtStack, type MgmtStack } from './support/mgmt-stack.ts'
import { kubectlVia, startAgent, type AgentProcess } from './support/proxy-fixture.ts'
import { waitForOutput } from './support/streams.ts'

const PASSWORD = 'admin-password-for-tests'
/** Generous: the bound is a few seconds (runner → edge, isolate cache, stream re-check); no timing is asserted. */
const BOUND_MS = 20_000
let stack: MgmtStack
let admin: string

const status = async (token: string) => (await stack.api(token).get('/v3/tokens')).status

/** Polls until the token is refused; returns how long that took. */
async function refused(token: string, what: string): Promise<number> {
  const start = Date.now()
  await eventually(what, async () => ((await status(token)) === 401 ? true : undefined), BOUND_MS)
  return Date.now() - start
}

async function newUser(username: string): Promise<{ id: string; password: string; token: string }> {
  const user = await createUser(stack, admin, username)
  expect(await status(user.token)).toBe(200)
  return user
}

async function kubectl(args: string[]): Promise<void> {
  const r = await stack.cluster.kubectl(args)
  expect(r.code, r.stderr).toBe(0)
}

beforeAll(async () => {
  stack = await mgmtStack('id-revoke-user', { adminPassword: PASSWORD, runner: true })
  admin = await adminToken(stack, PASSWORD)
})
afterAll(async () => {
  await stack?.[Symbol.asyncDispose]()
})

describe('revocation follows the user, whoever changes it', () => {
  it('a User deleted with kubectl: its session and API key stop working', async () => {
    const erin = await newUser('erin')
    const key = await stack.api(erin.token).post<{ token: string }>('/v3/tokens', { description: 'erin key' })
    expect(key.status).toBe(201)
    expect(await status(key.body.token)).toBe(200)
    await kubectl(['delete', 'users.management.cattle.io', erin.id])
    const ms = await refused(erin.token, 'the deleted user\'s session to be refused')
    await refused(key.body.token, 'the deleted user\'s API key to be refused')
    console.log(`revocation after kubectl delete of a user took ${ms} ms`)
    // Its Token CRs go too.
    await eventually('the deleted user\'s Token CRs to be gone', async () => {
      const r = await stack.cluster.kubectl(['get', 'tokens.management.cattle.io', '-o', 'jsonpath={.items[*].userId}'])
      return r.code === 0 && !r.stdout.split(' ').includes(erin.id) ? true : undefined
    }, BOUND_MS)
  })

  it('a User disabled with kubectl: its tokens stop working, and re-enabling brings only new logins back', async () => {
    const frank = await newUser('frank')
    await kubectl(['patch', 'users.management.cattle.io', frank.id, '--type=merge', '-p', '{"enabled":false}'])
    const ms = await refused(frank.token, 'the disabled user\'s token to be refused')
    console.log(`revocation after kubectl disable of a user took ${ms} ms`)
    await kubectl(['patch', 'users.management.cattle.io', frank.id, '--type=merge', '-p', '{"enabled":true}'])
    const fresh = await eventually('frank to log in again', async () => stack.login('frank', frank.password).catch(() => undefined), BOUND_MS)
    expect(await status(fresh)).toBe(200)
    // Past every cache: the token revoked while disabled stays revoked; the new one works.
    await sleep(6_000)
    expect(await status(frank.token)).toBe(401)
    expect(await status(fresh)).toBe(200)
  })
})

describe('long streams end when their token is revoked', () => {
  it('a watch through /k8s/clusters/local outlives a re-check while its token is valid, and ends after logout', async () => {
    const session = await stack.login('admin', PASSWORD)
    const res = await stack.edge.fetch('/k8s/clusters/local/api/v1/namespaces?watch=1', { headers: { authorization: `Bearer ${session}` } })
    expect(res.status).toBe(200)
    const reader = res.body!.getReader()
    let seen = ''
    let endedAt = 0
    const reading = (async () => {
      for (;;) {
        const r = await reader.read()
        if (r.done) return
        seen += new TextDecoder().decode(r.value)
      }
    })()
      .catch(() => {})
      .then(() => (endedAt = Date.now()))
    try {
      await eventually('the first watch event', async () => (seen.includes('"ADDED"') ? true : undefined), BOUND_MS)
      // Past the first re-check (every 5 s): a valid token keeps its watch.
      await sleep(7_000)
      expect(endedAt).toBe(0)

      expect((await stack.api(session).post('/v3/tokens?action=logout')).status).toBe(200)
      const start = Date.now()
      await Promise.race([reading, sleep(BOUND_MS)])
      expect(endedAt, 'the watch is still open').not.toBe(0)
      console.log(`a watch ended ${endedAt - start} ms after its token logged out`)
    } finally {
      await reader.cancel().catch(() => {})
    }
  })

  describe('through a downstream cluster', () => {
    const dir = mkdtempSync(join(tmpdir(), 'drover-revoke-'))
    let ds: DevCluster
    let agent: AgentProcess
    let clusterId: string
    let pod: string

    beforeAll(async () => {
      ds = await devCluster('id-revoke-ds', { mode: 'full' })
      const created = await stack.api(admin).post<{ id: string }>('/v3/clusters', { name: 'revoke-ds' })
      expect(created.status, JSON.stringify(created.body)).toBe(201)
      clusterId = created.body.id
      const registration = await eventually('a registration token', async () => {
        const r = await stack.api(admin).get<{ data: { token?: string }[] }>(`/v3/clusterregistrationtokens?clusterId=${clusterId}`)
        return r.body.data?.[0]?.token || undefined
      })
      agent = startAgent(stack.edge, `${clusterId}:${registration}`, ds.kubeconfigPath)
      // Granted in the downstream cluster directly: what is tested here is the edge, not role materialisation.
      const grant = await ds.kubectl(['create', 'clusterrolebinding', 'revoke-test-admin', '--clusterrole=cluster-admin', `--user=${stack.admin.userId}`])
      expect(grant.code, grant.stderr).toBe(0)
      expect((await ds.kubectl(['create', 'deployment', 'web', '--image=registry.invalid/web:1'])).code).toBe(0)
      const ready = await ds.kubectl(['wait', '--for=condition=Ready', 'pod', '-l', 'app=web', '--timeout=90s'])
      expect(ready.code, ready.stderr).toBe(0)
      pod = (await ds.kubectl(['get', 'pod', '-l', 'app=web', '-o', 'jsonpath={.items[0].metadata.name}'])).stdout
    })
    afterAll(async () => {
      await agent?.[Symbol.asyncDispose]()
      await ds?.[Symbol.asyncDispose]()
    })

    it('kubectl exec (a WebSocket) outlives a re-check while its kubeconfig token is valid, and ends after the token is deleted', async () => {
      const gen = await stack.api(admin).post<{ config: string }>(`/v3/clusters/${clusterId}?action=generateKubeconfig`)
      expect(gen.status).toBe(200)
      const kc = join(dir, 'downstream.kubeconfig')
      writeFileSync(kc, gen.body.config, { mode: 0o600 })
      const tokenName = (parse(gen.body.config) as { users: { user: { token: string } }[] }).users[0]!.user.token.split(':')[0]!
      const ca = ['--certificate-authority', stack.edge.caFile]
      await eventually('the downstream cluster through the edge', async () => ((await kubectlVia(kc, [...ca, 'get', '--raw', '/version'])).code === 0 ? true : undefined), 60_000)
      const exec = spawn(await kubectlBin(), ['--kubeconfig', kc, ...ca, 'exec', pod, '--', 'sh', '-c', 'echo started; sleep 60'])
      const exited = new Promise<string>((resolve) => exec.on('exit', () => resolve('exited')))
      try {
        await waitForOutput(exec, /started/)
        await sleep(7_000)
        expect(exec.exitCode).toBe(null)

        expect((await stack.api(admin).del(`/v3/tokens/${tokenName}`)).status).toBe(200)
        const start = Date.now()
        expect(await Promise.race([exited, sleep(BOUND_MS).then(() => 'still running')])).toBe('exited')
        console.log(`kubectl exec ended ${Date.now() - start} ms after its token was deleted`)
      } finally {
        exec.kill()
      }
    })
  })
})
