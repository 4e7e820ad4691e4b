import { spawn } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { appendPodLog } from '../infra/dev-cluster/pod-log.ts'
import { devCluster, kubectlBin, type DevCluster } from './support/dev-cluster.ts'
import { edgeKubeconfig, grantClusterAdmin, kubectlVia, startAgent, startEdge, waitConnected, type AgentProcess, type TestEdge } from './support/proxy-fixture.ts'
import { expectAttachSees, expectPortForwardEchoes } from './support/kubectl-streams.ts'
import { waitForOutput } from './support/streams.ts'

// exec, logs, attach, cp and port-forward through the edge against kwok pods (WebSocket protocols only).
describe('streaming through the edge', () => {
  const dir = mkdtempSync(join(tmpdir(), 'drover-stream-'))
  let c: DevCluster
  let edge: TestEdge
  let agent: AgentProcess
  let kc: string
  let pod: string

  beforeAll(async () => {
    c = await devCluster('px-stream')
    await grantClusterAdmin(c, 'ops')
    edge = await startEdge([{ token: 'token-ops:x', identity: { user: 'ops-user', groups: ['ops'], extra: {} }, clusters: '*' }], { 'agent-s': 'c-s' })
    agent = startAgent(edge, 'agent-s', c.kubeconfigPath)
    kc = await edgeKubeconfig(dir, edge, 'c-s', 'token-ops:x')
    await waitConnected(kc)
    await c.kubectl(['create', 'deployment', 'web', '--image=registry.invalid/web:1'])
    const wait = await c.kubectl(['wait', '--for=condition=Ready', 'pod', '-l', 'app=web', '--timeout=90s'])
    expect(wait.code, wait.stderr).toBe(0)
    pod = (await c.kubectl(['get', 'pod', '-l', 'app=web', '-o', 'jsonpath={.items[0].metadata.name}'])).stdout
  })
  afterAll(async () => {
    await agent?.[Symbol.asyncDispose]()
    await edge?.dispose()
    await c?.[Symbol.asyncDispose]()
  })

  it('kubectl exec runs a command and carries stdin, stdout and the exit code', async () => {
    const r = await kubectlVia(kc, ['exec', pod, '--', 'sh', '-c', 'echo out-$((6*7)); echo err >&2; exit 3'])
    expect(r.stdout.trim()).toBe('out-42')
    expect(r.stderr).toContain('err')
    // kwok reports a command's failure as an error naming its exit status (kubectl then exits 1), the
    // same through the edge as direct.
    expect(r.code).toBe(1)
    expect(r.stderr).toContain('exit status 3')
    const direct = await c.kubectl(['exec', pod, '--', 'sh', '-c', 'exit 3'])
    expect(direct.stderr).toContain('exit status 3')
    // kwok does not pass stdin's end on to the command, so it reads a known number of bytes.
    const stdin = await kubectlVia(kc, ['exec', '-i', pod, '--', 'sh', '-c', 'head -c 19 | tr a-z A-Z'], { input: 'through the tunnel\n' })
    expect(stdin.stdout).toBe('THROUGH THE TUNNEL\n')
  })

  it('kubectl logs and logs -f', async () => {
    const logs = await kubectlVia(kc, ['logs', pod])
    expect(logs.code, logs.stderr).toBe(0)
    expect(logs.stdout).toContain('container log')
    const follow = spawn(await kubectlBin(), ['--kubeconfig', kc, 'logs', '-f', pod])
    try {
      // The existing log first, so the appended line can only arrive by following.
      await waitForOutput(follow, /container log/)
      const followed = waitForOutput(follow, /followed through the edge/)
      await appendPodLog(c.record.dir, 'followed through the edge')
      await followed
    } finally {
      follow.kill()
    }
  })

  it('kubectl attach shows what the container prints next', async () => {
    await expectAttachSees(kc, pod, c.record.dir, 'printed while attached')
  })

  it('kubectl port-forward carries bytes both ways', async () => {
    await expectPortForwardEchoes(kc, pod, ['hello over port-forward', 'a second connection'])
  })

  it('kubectl cp copies a file out of the pod', async () => {
    const r = await kubectlVia(kc, ['exec', pod, '--', 'sh', '-c', 'printf copied > cp-source.txt'])
    expect(r.code, r.stderr).toBe(0)
    const target = join(dir, 'copied.txt')
    const cp = await kubectlVia(kc, ['cp', `default/${pod}:cp-source.txt`, target])
    expect(cp.code, cp.stderr).toBe(0)
    expect(await readFile(target, 'utf8')).toBe('copied')
  })

  it('gives an SPDY-only client a clear error naming the WebSocket alternative', async () => {
    const env = { ...process.env, KUBECTL_REMOTE_COMMAND_WEBSOCKETS: 'false' }
    const r = await kubectlVia(kc, ['exec', pod, '--', 'true'], { env })
    expect(r.code).not.toBe(0)
    expect(r.stderr).toMatch(/only WebSocket/)
    expect(r.stderr).toMatch(/KUBECTL_REMOTE_COMMAND_WEBSOCKETS/)
  })
})
