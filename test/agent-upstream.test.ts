import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { KubeConfig } from '@kubernetes/client-node'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { devCluster, type DevCluster } from './support/dev-cluster.ts'
import type { Identity, StreamHandler } from '../protocol/tunnel/index.ts'
import { UpstreamCredentials } from '../node/kube/credentials.ts'
import { silentLogger } from './support/logger.ts'
import { ADMIN, getHead, readJson, readText, RecordingSocket, streamOf } from './support/tunnel-requests.ts'
import { createUpstreamHandler } from '../agent/upstream.ts'

interface Review {
  status: { userInfo: { username: string; groups?: string[]; extra?: Record<string, string[]> } }
}

const REVIEW = JSON.stringify({ apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' })

describe('upstream handler against a real kube-apiserver', () => {
  let cluster: DevCluster
  let credentials: UpstreamCredentials
  let handler: StreamHandler

  beforeAll(async () => {
    cluster = await devCluster('agent-up', { mode: 'lite' })
    credentials = new UpstreamCredentials(cluster.kubeConfig)
    handler = createUpstreamHandler({ credentials, logger: silentLogger })
  })
  afterAll(async () => {
    credentials?.close()
    await cluster?.[Symbol.asyncDispose]()
  })

  const review = async (identity: Identity, headers: [string, string][] = []) => {
    const res = await handler.http(
      { method: 'POST', path: '/apis/authentication.k8s.io/v1/selfsubjectreviews', headers: [['Content-Type', 'application/json'], ...headers], identity },
      streamOf(REVIEW),
      new AbortController().signal,
    )
    expect(res.head.status).toBe(201)
    return (await readJson<Review>(res.body)).status.userInfo
  }

  it('serves GET /version and a list', async () => {
    const version = await handler.http(getHead('/version'), null, new AbortController().signal)
    expect(version.head.status).toBe(200)
    expect((await readJson<{ gitVersion: string }>(version.body)).gitVersion).toMatch(/^v1\.\d+\.\d+/)

    const list = await handler.http(getHead('/api/v1/namespaces', ADMIN, [['Accept', 'application/json']]), null, new AbortController().signal)
    expect(list.head.status).toBe(200)
    expect(list.head.headers.some(([k]) => k.toLowerCase() === 'transfer-encoding' || k.toLowerCase() === 'connection')).toBe(false)
    const names = (await readJson<{ items: { metadata: { name: string } }[] }>(list.body)).items.map((n) => n.metadata.name)
    expect(names).toContain('default')
    expect(names).toContain('kube-system')
  })

  it('impersonates the identity: user, each group on its own (commas intact) and extras', async () => {
    const info = await review({ user: 'alice', groups: ['dev', 'ops,night', 'zoë'], extra: { 'example.com/Team': ['blue', 'a, b'], scopes: ['view'] } })
    expect(info.username).toBe('alice')
    expect(info.groups).toEqual(expect.arrayContaining(['dev', 'ops,night', 'zoë', 'system:authenticated']))
    expect(info.groups).not.toContain('ops')
    expect(info.extra).toEqual({ 'example.com/team': ['blue', 'a, b'], scopes: ['view'] })
  })

  it('drops forged identity and credential headers from the head', async () => {
    const forged: [string, string][] = [
      ['Impersonate-User', 'system:admin'],
      ['Impersonate-Group', 'system:masters'],
      ['Impersonate-Extra-scopes', 'everything'],
      ['Authorization', 'Bearer not-a-token'],
      ['X-Remote-User', 'root'],
      ['X-Remote-Group', 'system:masters'],
      ['Cookie', 'R_SESS=x'],
    ]
    const info = await review({ user: 'mallory', groups: ['dev'], extra: {} }, forged)
    expect(info.username).toBe('mallory')
    expect(info.groups).not.toContain('system:masters')
    expect(info.extra ?? {}).toEqual({})

    const secrets = await handler.http(getHead('/api/v1/namespaces/kube-system/secrets', { user: 'mallory', groups: [], extra: {} }, forged), null, new AbortController().signal)
    expect(secrets.head.status).toBe(403)
    expect(await readText(secrets.body)).toContain('User \\"mallory\\" cannot list resource \\"secrets\\"')
  })

  it('refuses a head without a user instead of running as the agent', async () => {
    const res = await handler.http(getHead('/api/v1/secrets', { user: '', groups: ['system:masters'], extra: {} }), null, new AbortController().signal)
    expect(res.head.status).toBe(403)
    expect((await readJson<{ kind: string }>(res.body)).kind).toBe('Status')
  })

  it('refuses paths that are not origin-form', async () => {
    for (const path of ['http://example.com/api', '//example.com/api', 'api', '/api v1']) {
      const res = await handler.http(getHead(path), null, new AbortController().signal)
      expect(res.head.status, path).toBe(400)
    }
  })

  it('streams a request body in chunks and a watch response until aborted', async () => {
    const ns = '/api/v1/namespaces/default/configmaps'
    const watchAbort = new AbortController()
    const watch = await handler.http(getHead(`${ns}?watch=1&fieldSelector=metadata.name%3Dstreamed`), null, watchAbort.signal)
    expect(watch.head.status).toBe(200)
    // A watch never arrives whole: it is a stream.
    if (!(watch.body instanceof ReadableStream)) throw new Error('a watch answer should be a stream')
    const reader = watch.body.getReader()

    const body = streamOf('{"apiVersion":"v1","kind":"ConfigMap",', '"metadata":{"name":"streamed"},', '"data":{"k":"v"}}')
    const created = await handler.http(
      { method: 'POST', path: ns, headers: [['Content-Type', 'application/json']], identity: ADMIN },
      body,
      new AbortController().signal,
    )
    expect(created.head.status).toBe(201)
    await readText(created.body)

    let seen = ''
    while (!seen.includes('"ADDED"')) {
      const { value, done } = await reader.read()
      if (done) throw new Error('watch ended early')
      seen += new TextDecoder().decode(value)
    }
    expect(seen).toContain('"name":"streamed"')
    watchAbort.abort()
    await expect(reader.read()).rejects.toThrow()
  })

  it('frames a DELETE body, so the next request on the keep-alive connection is intact', async () => {
    const identity = { user: 'admin', groups: ['system:masters'], extra: {} }
    const create = await handler.http(
      { method: 'POST', path: '/api/v1/namespaces/default/configmaps', headers: [['content-type', 'application/json']], identity },
      streamOf(JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'delete-with-body' } })),
      new AbortController().signal,
    )
    expect(create.head.status).toBe(201)
    await readText(create.body)
    const del = await handler.http(
      { method: 'DELETE', path: '/api/v1/namespaces/default/configmaps/delete-with-body', headers: [['content-type', 'application/json']], identity },
      streamOf(JSON.stringify({ apiVersion: 'v1', kind: 'DeleteOptions', propagationPolicy: 'Background' })),
      new AbortController().signal,
    )
    expect(del.head.status).toBe(200)
    await readText(del.body)
    for (let i = 0; i < 3; i++) {
      const res = await handler.http(getHead('/version', identity), null, new AbortController().signal)
      expect(res.head.status).toBe(200)
      await readText(res.body)
    }
  })

  it('returns the apiserver status of a refused WebSocket upgrade and closes nothing else', async () => {
    const socket = new RecordingSocket()
    const res = await handler.websocket(
      { ...getHead('/api/v1/namespaces/default/pods/nope/exec?command=ls&stdout=true'), upgrade: { protocols: ['v5.channel.k8s.io', 'v4.channel.k8s.io'] } },
      socket,
      new AbortController().signal,
    )
    expect(res.head.status).toBe(404)
    expect(await readText(res.body)).toContain('pods \\"nope\\" not found')
    expect(socket.sent).toEqual([])
  })

  it('refuses upgrades that offer no allowlisted subprotocol without dialing', async () => {
    const res = await handler.websocket(
      { ...getHead('/api/v1/namespaces/default/pods/nope/exec?command=ls'), upgrade: { protocols: ['SPDY/3.1', 'made-up'] } },
      new RecordingSocket(),
      new AbortController().signal,
    )
    expect(res.head.status).toBe(400)
    expect(await readText(res.body)).toContain('subprotocol')
  })

  it('picks up a rotated service-account token file', async () => {
    const k = async (...args: string[]) => {
      const r = await cluster.kubectl(args)
      expect(r.code, r.stderr).toBe(0)
      return r.stdout.trim()
    }
    await k('create', 'serviceaccount', 'agent-a', '-n', 'default')
    await k('create', 'serviceaccount', 'agent-b', '-n', 'default')
    await k('create', 'clusterrolebinding', 'agent-a-admin', '--clusterrole=cluster-admin', '--serviceaccount=default:agent-a')
    const tokenA = await k('create', 'token', 'agent-a', '-n', 'default')
    const tokenB = await k('create', 'token', 'agent-b', '-n', 'default')
    const dir = await mkdtemp(join(tmpdir(), 'agent-token-'))
    const tokenFile = join(dir, 'token')
    await writeFile(tokenFile, tokenA)
    const admin = cluster.kubeConfig.getCurrentCluster()!
    const kc = new KubeConfig()
    kc.loadFromOptions({
      clusters: [{ name: 'c', server: admin.server, ...(admin.caData ? { caData: admin.caData } : {}), ...(admin.caFile ? { caFile: admin.caFile } : {}) }],
      users: [{ name: 'sa', authProvider: { name: 'tokenFile', config: { tokenFile } } }],
      contexts: [{ name: 'x', cluster: 'c', user: 'sa' }],
      currentContext: 'x',
    })
    vi.useFakeTimers({ toFake: ['Date'] })
    const creds = new UpstreamCredentials(kc)
    try {
      const h = createUpstreamHandler({ credentials: creds, logger: silentLogger })
      const get = async () => {
        const res = await h.http(getHead('/api/v1/namespaces/default'), null, new AbortController().signal)
        return { status: res.head.status, text: await readText(res.body) }
      }
      expect((await get()).status).toBe(200)
      await writeFile(tokenFile, tokenB)
      expect((await get()).status).toBe(200)
      // Past both client-node's token-file cache and ours: the next requests use agent-b, which may not impersonate.
      vi.setSystemTime(Date.now() + 61_000)
      await get()
      const after = await get()
      expect(after.status).toBe(403)
      expect(after.text).toContain('system:serviceaccount:default:agent-b')
    } finally {
      vi.useRealTimers()
      creds.close()
      await rm(dir, { recursive: true, force: true })
    }
  })
})
