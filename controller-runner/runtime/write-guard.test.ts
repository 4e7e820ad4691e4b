// The guard as production wires it: guardedClients() around the transports, driven through the real
// KubeClient. The inner transport only records what reached it (the wire), so each case shows whether a
// request would have left the process.
import { describe, expect, it } from 'vitest'
import { CONFIG_MAP, KUBE_ORIGIN, NotLeaderError, UnconditionalUpdateError, type Leadership, type Transport } from '../../protocol/kube/index.ts'
import { guardedClients } from './write-guard.ts'

function wire() {
  const sent: { method: string; path: string; signal: AbortSignal }[] = []
  const transport: Transport = async (req) => {
    sent.push({ method: req.method, path: new URL(req.url).pathname, signal: req.signal })
    return new Response(JSON.stringify({ metadata: { name: 'a', resourceVersion: '8' } }), { status: 200, headers: { 'content-type': 'application/json' } })
  }
  return { sent, transport }
}

function leadership(fresh: boolean) {
  const term = new AbortController()
  if (!fresh) term.abort()
  const state = { fresh }
  const l: Leadership = { fresh: () => state.fresh, signal: () => term.signal }
  return { l, term, state }
}

const cm = (rv?: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a', namespace: 'default', ...(rv ? { resourceVersion: rv } : {}) } })

describe('guardedClients', () => {
  it('lets a fresh leader write, each request carrying the term signal', async () => {
    const { sent, transport } = wire()
    const { l, term } = leadership(true)
    const { client } = guardedClients(l, { management: transport })
    await client.update(CONFIG_MAP, cm('7'))
    await client.create(CONFIG_MAP, cm())
    expect(sent.map((s) => s.method)).toEqual(['PUT', 'POST'])
    expect(sent[0]!.signal.aborted).toBe(false)
    term.abort()
    expect(sent.every((s) => s.signal.aborted)).toBe(true)
  })

  it('refuses every write when not a fresh leader, before it reaches the wire; reads pass', async () => {
    const { sent, transport } = wire()
    const { l } = leadership(false)
    const { client } = guardedClients(l, { management: transport })
    await expect(client.create(CONFIG_MAP, cm())).rejects.toBeInstanceOf(NotLeaderError)
    await expect(client.update(CONFIG_MAP, cm('7'))).rejects.toBeInstanceOf(NotLeaderError)
    await expect(client.patch(CONFIG_MAP, 'a', { data: {} }, { namespace: 'default' })).rejects.toBeInstanceOf(NotLeaderError)
    await expect(client.delete(CONFIG_MAP, 'a', { namespace: 'default' })).rejects.toBeInstanceOf(NotLeaderError)
    expect(sent).toEqual([])
    await client.get(CONFIG_MAP, 'a', 'default')
    expect(sent.map((s) => s.method)).toEqual(['GET'])
  })

  it('checks freshness when the request is sent, not when the call was made', async () => {
    const { sent, transport } = wire()
    const { l, state } = leadership(true)
    const { client } = guardedClients(l, { management: transport })
    // The renewal deadline passes while the update is on its way (its body is still being read).
    const pending = client.update(CONFIG_MAP, cm('7'))
    state.fresh = false
    await expect(pending).rejects.toBeInstanceOf(NotLeaderError)
    expect(sent).toEqual([])
  })

  it('refuses an update that does not carry the resourceVersion it was based on', async () => {
    const { sent, transport } = wire()
    const { client } = guardedClients(leadership(true).l, { management: transport })
    await expect(client.request('PUT', '/api/v1/namespaces/default/configmaps/a', { body: cm() })).rejects.toBeInstanceOf(UnconditionalUpdateError)
    expect(sent).toEqual([])
  })

  it('guards downstream clusters and the edge API the same way', async () => {
    const down = wire()
    const api = wire()
    const { l, state } = leadership(true)
    const { edge } = guardedClients(l, { management: wire().transport, edge: { cluster: () => down.transport, edge: api.transport } })
    await edge!.cluster('c-1').create(CONFIG_MAP, cm())
    expect((await edge!.api(new Request(`${KUBE_ORIGIN}/v3/connect/c-1`, { method: 'DELETE' }))).status).toBe(200)
    state.fresh = false
    await expect(edge!.cluster('c-1').create(CONFIG_MAP, cm())).rejects.toBeInstanceOf(NotLeaderError)
    await expect(edge!.api(new Request(`${KUBE_ORIGIN}/v3/connect/c-1`, { method: 'DELETE' }))).rejects.toBeInstanceOf(NotLeaderError)
    expect([...down.sent, ...api.sent].map((s) => `${s.method} ${s.path}`)).toEqual(['POST /api/v1/namespaces/default/configmaps', 'DELETE /v3/connect/c-1'])
  })
})
