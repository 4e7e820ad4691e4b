import { EDGE_IDENTITY, LOCAL_CLUSTER, RUNNER_IDENTITY } from '../../protocol/api/identities.ts'
import { REGISTRATION_SECRET, REGISTRATION_TOKENS } from '../../protocol/api/registration.ts'
import { SECRET, type KubeClient } from '../../protocol/kube/index.ts'
import type { Bindings } from '../env.ts'
import type { KubeObject, Management } from '../mgmt/management.ts'
import { minutesSetting } from '../mgmt/settings.ts'
import { ApiError } from '../errors.ts'
import { USER_GROUPS, type Authenticator, type Principal } from './authenticator.ts'
import { secretsEqual } from './compare.ts'
import { CredentialCache, credentialDigest } from './credential-cache.ts'
import { extTokenPrincipal, isExtTokenValue } from './ext-tokens.ts'
import { tokenKeys, verifyToken } from './jwt.ts'
import { groupsHeldUntil } from './group-refresh.ts'
import { revocationEpoch, tokenUsableUntil } from './revocation.ts'

export { USER_GROUPS }
const TOKEN_NAME = /^token-[a-z0-9]{5,}$/

interface Secret extends KubeObject {
  data?: Record<string, string>
}

const CLUSTER_ID = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/
/** A registration check reads a Secret through the local tunnel; an isolate remembers the answer briefly. */
const AGENT_CACHE_MS = 10_000
const agentCache = new Map<string, { at: number; ok: boolean }>()
/** Verified drover tokens: the isolate's, shared by every request it serves. */
const verifiedTokens = new CredentialCache()

export interface AuthenticatorOptions {
  /** Default: the isolate's. */
  cache?: CredentialCache
  /** Milliseconds since the epoch; default Date.now. */
  now?: () => number
}

/**
 * The edge's authenticator: drover tokens (a signed JWT plus the token's shared state), the runner's
 * system credential and agent registration tokens.
 */
export function droverAuthenticator(env: Bindings, management: Management, opts: AuthenticatorOptions = {}): Authenticator {
  const edge = management.as(EDGE_IDENTITY)
  const cache = opts.cache ?? verifiedTokens
  const clock = opts.now ?? Date.now
  return {
    async user(value) {
      if (value.length > 8192) return null
      const sep = value.indexOf(':')
      const name = value.slice(0, sep)
      // A drover token (`token-xxxxx:…`, every user request) is settled by its signature alone; the
      // runner's credential has no such name and is compared only otherwise.
      if (sep > 0 && TOKEN_NAME.test(name)) {
        const keys = env.DROVER_TOKEN_KEYS
        if (!keys) return null
        const digest = await credentialDigest(value)
        const now = clock()
        const hit = cache.get(digest, keys, now)
        if (hit) return hit
        const epoch = revocationEpoch()
        const verified = await tokenPrincipal(env, edge, name, value.slice(sep + 1), now)
        if (!verified) return null
        cache.set(digest, verified.principal, { until: verified.until, epoch, keys }, now)
        return verified.principal
      }
      // An ext token (`ext/<name>:<secret>`, from the extension API server) is settled by its Token CR
      // (ext-tokens.ts) and cached like a verified drover token, within the same bounds.
      if (isExtTokenValue(value)) {
        const digest = await credentialDigest(value)
        const now = clock()
        const keys = env.DROVER_TOKEN_KEYS ?? ''
        const hit = cache.get(digest, keys, now)
        if (hit) return hit
        const epoch = revocationEpoch()
        const verified = await extTokenPrincipal(env, edge, value, now)
        if (!verified) return null
        cache.set(digest, verified.principal, { until: verified.until, epoch, keys }, now)
        return verified.principal
      }
      if (env.DROVER_RUNNER_TOKEN && (await secretsEqual(value, env.DROVER_RUNNER_TOKEN))) {
        return { identity: RUNNER_IDENTITY, clusters: '*' }
      }
      return null
    },
    async agent(value) {
      if (env.DROVER_LOCAL_AGENT_TOKEN && (await secretsEqual(value, env.DROVER_LOCAL_AGENT_TOKEN))) return { clusterId: LOCAL_CLUSTER }
      const sep = value.indexOf(':')
      const clusterId = value.slice(0, sep)
      if (sep > 0 && clusterId !== LOCAL_CLUSTER && CLUSTER_ID.test(clusterId) && (await registrationValid(edge, clusterId, value.slice(sep + 1)))) {
        return { clusterId }
      }
      return null
    },
  }
}

/** The verified token's principal and until when that may be reused (its expiry, the revocation bound). */
async function tokenPrincipal(env: Bindings, edge: KubeClient, name: string, secret: string, now: number): Promise<{ principal: Principal; until: number } | null> {
  const claims = await verifyToken(await tokenKeys(env.DROVER_TOKEN_KEYS), secret, now)
  if (!claims || claims.name !== name) return null
  const idleMs = claims.kind === 'session' ? (await minutesSetting(edge, 'auth-user-session-idle-ttl-minutes')) * 60_000 : 0
  const usableUntil = await tokenUsableUntil(env, { name, userId: claims.userId, issuedAtMs: claims.issuedAtMs ?? 0 }, idleMs, now)
  if (usableUntil === null) return null
  // A directory session's groups are checked against the directory once they are old (group-refresh.ts).
  const groupsUntil = await groupsHeldUntil(env, edge, { name, authProvider: claims.authProvider, principalIds: claims.principalIds, issuedAtMs: claims.issuedAtMs ?? 0 }, now)
  if (groupsUntil === null) return null
  const identity = {
    user: claims.userId,
    groups: [...USER_GROUPS, ...claims.groups],
    extra: { principalid: [claims.principalIds[0] ?? `local://${claims.userId}`], username: [claims.username] },
  }
  const principal: Principal = {
    identity,
    identityJson: JSON.stringify(identity),
    clusters: claims.clusterId ? [claims.clusterId] : '*',
    token: { name, kind: claims.kind, userId: claims.userId, username: claims.username, authProvider: claims.authProvider, principalIds: claims.principalIds },
  }
  // Without the clock tolerance verification allows: a cached token stops a little early, never late.
  const until = Math.min(usableUntil, groupsUntil)
  return { principal, until: claims.expiresAt === undefined ? until : Math.min(until, claims.expiresAt * 1000) }
}

/** How soon an agent refused for want of the management cluster should try again. */
export const AGENT_RETRY_AFTER_MS = 2_000

/**
 * The management cluster cannot be asked (most often the edge just restarted and `local`'s agent is not
 * back yet). Not a refusal of the token: a 401 sends an agent to its longest backoff (30 s), which made
 * every agent that came before `local` after an edge restart wait up to that long (bench:scale P7). A 503
 * with Retry-After sheds the storm and brings it back soon; nothing is remembered.
 */
function managementUnreachable(): ApiError {
  const e = new ApiError(503, 'the registration token cannot be checked now: the management cluster is not reachable; retry', 'ServiceUnavailable')
  e.retryAfterMs = AGENT_RETRY_AFTER_MS
  return e
}

/** The cluster's registration Secret, looked up by the cluster id, compared in constant time, TTL checked. */
async function registrationValid(edge: KubeClient, clusterId: string, token: string, now = Date.now()): Promise<boolean> {
  const key = `${clusterId}:${token}`
  const hit = agentCache.get(key)
  if (hit && now - hit.at < AGENT_CACHE_MS) return hit.ok
  let ok = false
  try {
    const secret = await edge.find<Secret>(SECRET, REGISTRATION_SECRET, clusterId)
    ok = secret ? await registrationMatches(secret.data ?? {}, token, now) : false
  } catch {
    throw managementUnreachable()
  }
  if (agentCache.size > 10_000) agentCache.clear()
  agentCache.set(key, { at: now, ok })
  return ok
}

export async function registrationMatches(data: Record<string, string>, token: string, now: number): Promise<boolean> {
  const decode = (k: string) => (data[k] ? atob(data[k]) : '')
  let ok = false
  for (const [tk, ek] of REGISTRATION_TOKENS) {
    const want = decode(tk)
    const expires = Date.parse(decode(ek))
    const live = !decode(ek) || (Number.isFinite(expires) && expires > now)
    // Both are compared whatever the first gave, so timing shows nothing.
    const same = want ? await secretsEqual(token, want) : false
    ok = ok || (same && live)
  }
  return ok
}
