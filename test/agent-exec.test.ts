import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sessionPair } from './support/tunnel-testing.ts'
import { devCluster, type DevCluster } from './support/dev-cluster.ts'
import { UpstreamCredentials } from '../node/kube/credentials.ts'
import { kubeFacts } from '../agent/facts.ts'
import { kubeConfigTransport } from '../node/kube/http-transport.ts'
import { KubeClient } from '../protocol/kube/index.ts'
import { silentLogger } from './support/logger.ts'
import { until } from './support/streams.ts'
import { ADMIN, getHead, RecordingSocket } from './support/tunnel-requests.ts'
import { createUpstreamHandler } from '../agent/upstream.ts'

const bytes = (channel: number, text: string) => new Uint8Array([channel, ...new TextEncoder().encode(text)])
const channelText = (sent: (string | Uint8Array)[], channel: number) =>
  sent
    .filter((m): m is Uint8Array => typeof m !== 'string' && m[0] === channel)
    .map((m) => new TextDecoder().decode(m.subarray(1)))
    .join('')

// A full dev cluster: kwok nodes run pods and answer exec, so a WebSocket upgrade can succeed.
describe('agent against a cluster with nodes', () => {
  let cluster: DevCluster

  beforeAll(async () => {
    cluster = await devCluster('agent-exec', { nodes: 2 })
  })
  afterAll(async () => {
    await cluster?.[Symbol.asyncDispose]()
  })

  it('bridges an exec (v5.channel.k8s.io) both ways and carries the close', async () => {
    const pod = JSON.stringify({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'shell', namespace: 'default' },
      spec: { containers: [{ name: 'c', image: 'registry.invalid/shell:1' }] },
    })
    expect((await cluster.kubectl(['apply', '-f', '-'], { input: pod })).code).toBe(0)
    const ready = await cluster.kubectl(['wait', '--for=condition=Ready', 'pod/shell', '--timeout=90s'])
    expect(ready.code, ready.stderr).toBe(0)

    // kwok runs the command on the host; it reads one line from stdin and exits on its own (kwok does not
    // pass a stdin close on to the process, so the end of the exec must come from the command).
    const script = ['sh', '-c', 'read line; echo "got $line"; echo oops >&2']
      .map((c) => `command=${encodeURIComponent(c)}`)
      .join('&')
    const credentials = new UpstreamCredentials(cluster.kubeConfig)
    const handler = createUpstreamHandler({ credentials, logger: silentLogger })
    const socket = new RecordingSocket()
    const res = await handler.websocket(
      {
        ...getHead(`/api/v1/namespaces/default/pods/shell/exec?${script}&stdin=true&stdout=true&stderr=true`, ADMIN),
        upgrade: { protocols: ['made-up', 'v5.channel.k8s.io', 'v4.channel.k8s.io'] },
      },
      socket,
      new AbortController().signal,
    )
    expect(res.head.status).toBe(101)
    expect(res.head.protocol).toBe('v5.channel.k8s.io')
    expect(res.head.headers.some(([k]) => /^(sec-websocket-|upgrade$|connection$)/i.test(k))).toBe(false)

    socket.onmessage!(bytes(0, 'ping through the tunnel\n'))
    await socket.until(() => socket.closed !== undefined)
    expect(channelText(socket.sent, 1)).toBe('got ping through the tunnel\n')
    expect(channelText(socket.sent, 2)).toBe('oops\n')
    expect(channelText(socket.sent, 3)).toContain('"status":"Success"')
    expect(socket.sent.every((m) => typeof m !== 'string')).toBe(true)
    expect(socket.closed?.code).toBe(1000)
    credentials.close()
  })

  it('runs the same exec through a real tunnel session pair', async () => {
    const credentials = new UpstreamCredentials(cluster.kubeConfig)
    const pair = sessionPair({ handler: createUpstreamHandler({ credentials, logger: silentLogger }) })
    const script = ['sh', '-c', 'read a; read b; echo "$b $a"'].map((c) => `command=${encodeURIComponent(c)}`).join('&')
    const res = await pair.edge.upgrade({
      ...getHead(`/api/v1/namespaces/default/pods/shell/exec?${script}&stdin=true&stdout=true`, ADMIN),
      upgrade: { protocols: ['v5.channel.k8s.io'] },
    })
    expect(res.head).toMatchObject({ status: 101, protocol: 'v5.channel.k8s.io' })
    const socket = res.socket!
    const got: Uint8Array[] = []
    let closed: number | undefined
    socket.onmessage = (m) => {
      if (typeof m !== 'string') got.push(m)
    }
    socket.onclose = (code) => (closed = code)
    socket.send(bytes(0, 'first\n'))
    socket.send(bytes(0, 'second\n'))
    await until(() => closed !== undefined, 20_000)
    expect(channelText(got, 1)).toBe('second first\n')
    expect(channelText(got, 3)).toContain('"status":"Success"')
    expect(closed).toBe(1000)
    pair.cut()
    credentials.close()
  })

  it('reports cluster facts: version, node count and summed resources', async () => {
    const facts = await kubeFacts(new KubeClient(kubeConfigTransport(cluster.kubeConfig)), silentLogger)()
    const version = await cluster.kubectl(['version', '-o', 'json'])
    expect(facts.kubernetesVersion).toBe(JSON.parse(version.stdout).serverVersion.gitVersion)
    expect(facts.nodeCount).toBe(2)
    expect(facts.capacity).toEqual({ cpu: '16', memory: '64Gi', pods: '220' })
    expect(facts.allocatable).toEqual({ cpu: '16', memory: '64Gi', pods: '220' })
  })
})
