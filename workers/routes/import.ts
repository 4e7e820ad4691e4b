import { Hono } from 'hono'
import type { ThrottleScope } from '../../objects/auth/throttle.ts'
import { EDGE_IDENTITY } from '../../protocol/api/identities.ts'
import { REGISTRATION_SECRET } from '../../protocol/api/registration.ts'
import { SECRET } from '../../protocol/kube/index.ts'
import type { AppEnv } from '../env.ts'
import { ApiError } from '../errors.ts'
import { registrationMatches } from '../identity/drover-authenticator.ts'
import { assertNotThrottled, clientAddress, recordLoginFailure } from '../identity/login-throttle.ts'
import type { KubeObject } from '../mgmt/management.ts'
import { setting } from '../mgmt/settings.ts'
import { renderImportManifest } from '../import/manifest.ts'

const FILE = /^([a-z0-9]{20,128})_([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)\.yaml$/

async function caChecksum(pem: string): Promise<string | undefined> {
  if (!pem.trim()) return undefined
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(pem))
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('')
}

/**
 * `GET /v3/import/<token>_<clusterId>.yaml`: the manifest that registers a cluster. Unauthenticated —
 * the token is the credential: looked up by the cluster id, compared in constant time, TTL checked and
 * failures throttled per client. Any failure is the same 401, so it reveals nothing.
 */
export const importManifest = new Hono<AppEnv>().get('/:file', async (c) => {
  const m = FILE.exec(c.req.param('file'))
  const client = clientAddress(c.req.raw)
  // Per client where the edge knows it, and per cluster always (capped like an account: guesses at one
  // cluster's token slow down, but nobody can lock a cluster's imports out for long).
  const keys: [ThrottleScope, string][] = [['account', `import-cluster:${m?.[2] ?? '-'}`]]
  if (client !== undefined) keys.push(['client', `import:${client}`])
  await assertNotThrottled(c.env, keys)
  const refuse = async (): Promise<never> => {
    await recordLoginFailure(c.env, keys)
    throw new ApiError(401, 'invalid or expired registration token')
  }
  if (!m) return refuse()
  const token = m[1]!
  const clusterId = m[2]!
  const edge = c.var.management.as(EDGE_IDENTITY)
  const secret = await edge.find<KubeObject & { data?: Record<string, string> }>(SECRET, REGISTRATION_SECRET, clusterId)
  if (!secret || !(await registrationMatches(secret.data ?? {}, token, Date.now()))) return refuse()
  const serverUrl = ((await setting(edge, 'server-url')) || new URL(c.req.url).origin).replace(/\/$/, '')
  const checksum = await caChecksum(await setting(edge, 'cacerts'))
  const yaml = renderImportManifest({
    serverUrl,
    clusterId,
    token,
    image: await setting(edge, 'agent-image'),
    tlsMode: await setting(edge, 'agent-tls-mode'),
    ...(checksum ? { caChecksum: checksum } : {}),
  })
  return c.body(yaml, 200, { 'content-type': 'application/yaml', 'cache-control': 'no-store' })
})
