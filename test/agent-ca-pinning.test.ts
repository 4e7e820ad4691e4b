import { createHash } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseAllDocuments } from 'yaml'
import { generateServingPki } from '../infra/dev-cluster/pki.ts'
import { GROUP } from '../protocol/crds/index.ts'
import { mgmtStack, type MgmtStack } from './support/mgmt-stack.ts'
import { startAgent, type AgentProcess } from './support/proxy-fixture.ts'

// Finding 9 of issue 10 through the real stack: the workerd edge serves GET /cacerts from the `cacerts`
// setting, the import manifest carries the checksum of exactly those bytes and strict mode, and a real
// `drover agent` connects only when the CA it fetched matches — even where NODE_EXTRA_CA_CERTS would trust
// the edge anyway.
const CLUSTER = 'c-pin'
const TOKEN = 'pintoken0123456789abcdefghijklmn'

type Doc = { kind: string; stringData?: Record<string, string>; spec?: { template: { spec: { containers: { env: { name: string; value?: string }[] }[] } } } }

async function waitFor(agent: AgentProcess, text: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!agent.output().includes(text)) {
    if (Date.now() > deadline) throw new Error(`no "${text}" in the agent's output:\n${agent.output()}`)
    await sleep(100)
  }
}

describe('the agent pins the edge CA the import manifest names', () => {
  let stack: MgmtStack
  const agents: AgentProcess[] = []
  beforeAll(async () => {
    stack = await mgmtStack('ca-pin')
    const setting = { apiVersion: `${GROUP}/v3`, kind: 'Setting', metadata: { name: 'cacerts' }, value: stack.edge.caPem }
    const registration = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'registration-default-token', namespace: CLUSTER },
      stringData: { token: TOKEN },
    }
    const objects = [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: CLUSTER } }, setting, registration]
    const r = await stack.cluster.kubectl(['apply', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }) })
    if (r.code !== 0) throw new Error(r.stderr)
  })
  afterAll(async () => {
    for (const a of agents) await a[Symbol.asyncDispose]()
    await stack?.[Symbol.asyncDispose]()
  })

  it('serves /cacerts unauthenticated, byte for byte what the manifest hashed, and the agent connects with it', async () => {
    // The edge re-reads settings at most every 10 s.
    let res = await stack.edge.fetch('/cacerts')
    for (const deadline = Date.now() + 20_000; res.status !== 200 && Date.now() < deadline; ) {
      await sleep(500)
      res = await stack.edge.fetch('/cacerts')
    }
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/)
    const served = Buffer.from(await res.arrayBuffer())
    expect(served.toString('utf8')).toBe(stack.edge.caPem)

    const manifest = await stack.edge.fetch(`/v3/import/${TOKEN}_${CLUSTER}.yaml`)
    expect(manifest.status).toBe(200)
    const docs = parseAllDocuments(await manifest.text()).map((d) => d.toJS() as Doc)
    const checksum = docs.find((d) => d.kind === 'Secret')!.stringData!['ca-checksum']
    expect(checksum).toBe(createHash('sha256').update(served).digest('hex'))
    const env = docs.find((d) => d.kind === 'Deployment')!.spec!.template.spec.containers[0]!.env
    expect(env).toContainEqual({ name: 'DROVER_AGENT_TLS_MODE', value: 'strict' })

    const agent = startAgent(stack.edge, `${CLUSTER}:${TOKEN}`, stack.cluster.kubeconfigPath, ['--ca-checksum', checksum!, '--tls-mode', 'strict'])
    agents.push(agent)
    await waitFor(agent, 'connected to the edge')
  })

  it('refuses an edge whose /cacerts does not match, although the system store (NODE_EXTRA_CA_CERTS) trusts it', async () => {
    const other = createHash('sha256').update((await generateServingPki('elsewhere')).caPem).digest('hex')
    const agent = startAgent(stack.edge, `${CLUSTER}:${TOKEN}`, stack.cluster.kubeconfigPath, ['--ca-checksum', other])
    agents.push(agent)
    await waitFor(agent, 'does not match the CA checksum')
    expect(agent.output()).toContain(`expected ${other}, received ${createHash('sha256').update(stack.edge.caPem).digest('hex')}`)
    expect(agent.output()).not.toContain('connected to the edge')
  })

  it('refuses to start in strict mode without a checksum, saying what to set', async () => {
    const agent = startAgent(stack.edge, `${CLUSTER}:${TOKEN}`, stack.cluster.kubeconfigPath, ['--tls-mode', 'strict'])
    agents.push(agent)
    const code = agent.child.exitCode ?? (await new Promise((resolve) => agent.child.once('exit', resolve)))
    expect(code).toBe(2)
    expect(agent.output()).toMatch(/strict TLS mode .*DROVER_CA_CHECKSUM/)
  })
})
