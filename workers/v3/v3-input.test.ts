import { env, SELF } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import type { Bindings } from '../env.ts'
import { signToken, tokenKeys } from '../identity/jwt.ts'
import { revokeTokens } from '../identity/revocation.ts'

const bindings: Bindings = env
const edge = (path: string, init?: RequestInit) => SELF.fetch(`https://edge.test${path}`, init)
const json = { 'content-type': 'application/json' }

async function token(name: string, extra: Partial<Parameters<typeof signToken>[1]> = {}): Promise<string> {
  const keys = await tokenKeys(bindings.DROVER_TOKEN_KEYS)
  const jwt = await signToken(keys, { kind: 'api-key', name, userId: 'u-test', principalIds: ['local://u-test'], groups: [], username: 'test', authProvider: 'local', ...extra })
  return `${name}:${jwt}`
}

describe('/v3 and /v3-public refuse bad input with Rancher error bodies', () => {
  it('needs a credential, and never takes one from the query string', async () => {
    const res = await edge('/v3/clusters')
    expect(res.status).toBe(401)
    expect(await res.json()).toEqual({ type: 'error', status: 401, code: 'Unauthorized', message: 'must authenticate' })
    const q = await edge(`/v3/clusters?token=${encodeURIComponent(await token('token-query'))}`)
    expect(q.status).toBe(400)
    expect(await q.json()).toMatchObject({ type: 'error', status: 400 })
  })

  it('refuses a 100 MB body after reading at most 1 MiB of it', async () => {
    let sent = 0
    const chunk = new Uint8Array(1 << 20).fill(0x20)
    const body = new ReadableStream<Uint8Array>({
      pull(ctrl) {
        if (sent >= 100 * (1 << 20)) return ctrl.close()
        sent += chunk.byteLength
        ctrl.enqueue(chunk)
      },
    })
    const res = await edge('/v3-public/localProviders/local?action=login', { method: 'POST', headers: json, body, duplex: 'half' } as RequestInit)
    expect(res.status).toBe(413)
    expect(await res.json()).toMatchObject({ type: 'error', status: 413, code: 'RequestEntityTooLarge' })
    expect(sent).toBeLessThan(10 * (1 << 20))
  })

  it('refuses JSON nested 100,000 deep without parsing it', async () => {
    const deep = '['.repeat(100_000) + ']'.repeat(100_000)
    const res = await edge('/v3-public/localProviders/local?action=login', { method: 'POST', headers: json, body: deep })
    expect(res.status).toBe(422)
    expect(await res.json()).toMatchObject({ type: 'error', code: 'InvalidBodyContent', message: expect.stringMatching(/deeper than/) })
  })

  it('names the field a login body gets wrong, and refuses non-JSON', async () => {
    const missing = await edge('/v3-public/localProviders/local?action=login', { method: 'POST', headers: json, body: JSON.stringify({ username: 'a' }) })
    expect(missing.status).toBe(422)
    expect(await missing.json()).toMatchObject({ code: 'MissingRequired', message: expect.stringMatching(/password/) })
    const junk = await edge('/v3-public/localProviders/local?action=login', { method: 'POST', headers: json, body: '{"username":' })
    expect(junk.status).toBe(422)
    expect(await junk.json()).toMatchObject({ code: 'InvalidBodyContent' })
  })

  it('accepts a signed token until it is revoked, and a cluster-scoped token only for its cluster', async () => {
    const value = await token('token-rvkd1')
    // Authenticated: the proxy then answers 503 because no agent serves this cluster here.
    const before = await edge('/k8s/clusters/c-x/version', { headers: { authorization: `Bearer ${value}` } })
    expect(before.status).toBe(503)
    await revokeTokens(bindings, ['token-rvkd1'])
    const after = await edge('/k8s/clusters/c-x/version', { headers: { authorization: `Bearer ${value}` } })
    expect(after.status).toBe(401)
    // Names are reused once freed: a token issued after the revocation is not affected by it.
    await new Promise((r) => setTimeout(r, 5))
    const reused = await token('token-rvkd1')
    expect((await edge('/k8s/clusters/c-x/version', { headers: { authorization: `Bearer ${reused}` } })).status).toBe(503)
    expect((await edge('/k8s/clusters/c-x/version', { headers: { authorization: `Bearer ${value}` } })).status).toBe(401)

    const scoped = await token('token-scope', { clusterId: 'c-x' })
    expect((await edge('/k8s/clusters/c-x/version', { headers: { authorization: `Bearer ${scoped}` } })).status).toBe(503)
    expect((await edge('/k8s/clusters/c-y/version', { headers: { authorization: `Bearer ${scoped}` } })).status).toBe(403)
    const v3 = await edge('/v3/clusters', { headers: { authorization: `Bearer ${scoped}` } })
    expect(v3.status).toBe(403)
    expect(await v3.json()).toMatchObject({ code: 'PermissionDenied', message: expect.stringMatching(/scoped to cluster c-x/) })
  })

  it('refuses a token whose name does not match its signed id', async () => {
    const value = await token('token-right')
    const swapped = value.replace(/^token-right/, 'token-wrong')
    expect((await edge('/k8s/clusters/c-x/version', { headers: { authorization: `Bearer ${swapped}` } })).status).toBe(401)
  })
})
