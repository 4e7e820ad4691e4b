// A directory session (LDAP, AD) carries the groups its login found; the directory may drop the user
// from a group, disable or delete them afterwards. Once a session's groups are older than
// `auth-user-info-max-age-seconds`, the next request with it asks the directory again (through the
// extension server): a group gone, or the user gone or disabled, revokes the session — the user logs in
// again and gets what the directory says now. New groups wait for that next login, as the session's
// groups are signed into it.
//
// The time of the last check is kept per isolate (bounded): another isolate may check again, which costs
// one directory lookup, never a wrong answer. When the directory cannot answer, the session keeps its
// groups and the check is retried after RETRY_MS: an outage must not log everyone out.
import { DIRECTORY_PROVIDERS, type DirectoryProvider } from '../../protocol/api/ext.ts'
import type { KubeClient } from '../../protocol/kube/index.ts'
import type { Bindings } from '../env.ts'
import { setting } from '../mgmt/settings.ts'
import { principalReview } from './providers/directory/reviews.ts'
import { revokeTokens } from './revocation.ts'

export const RETRY_MS = 60_000
const MAX_ENTRIES = 10_000
const checkedAt = new Map<string, number>()

export interface SessionGroups {
  name: string
  authProvider: string
  /** The user's principal id first, then the session's groups. */
  principalIds: string[]
  issuedAtMs: number
}

const isDirectory = (p: string): p is DirectoryProvider => (DIRECTORY_PROVIDERS as readonly string[]).includes(p)

export async function maxAgeMs(edge: KubeClient): Promise<number> {
  const n = Number(await setting(edge, 'auth-user-info-max-age-seconds'))
  return (Number.isFinite(n) && n > 0 ? n : 3600) * 1000
}

/**
 * Until when the session's groups may be trusted without asking (Infinity for providers that are not
 * directories), or null when asking showed they no longer hold — the session is revoked then.
 */
export async function groupsHeldUntil(env: Pick<Bindings, 'TOKENS'>, edge: KubeClient, s: SessionGroups, now = Date.now()): Promise<number | null> {
  if (!isDirectory(s.authProvider)) return Infinity
  const maxAge = await maxAgeMs(edge)
  const last = checkedAt.get(s.name) ?? s.issuedAtMs
  if (now - last < maxAge) return last + maxAge
  const [userPrincipal, ...groups] = s.principalIds
  let status: Awaited<ReturnType<typeof principalReview>>
  try {
    status = await principalReview(edge, { provider: s.authProvider, principalId: userPrincipal ?? '' })
  } catch {
    status = { principals: [], refusal: 'Unavailable' }
  }
  if (status.refusal && status.refusal !== 'Unauthorized') {
    remember(s.name, now - maxAge + RETRY_MS)
    return now + RETRY_MS
  }
  const current = new Set((status.groups ?? []).map((g) => g.id))
  if (status.refusal === 'Unauthorized' || groups.some((g) => !current.has(g))) {
    await revokeTokens(env, [s.name], now)
    checkedAt.delete(s.name)
    return null
  }
  remember(s.name, now)
  return now + maxAge
}

function remember(name: string, at: number): void {
  if (checkedAt.size >= MAX_ENTRIES) checkedAt.clear()
  checkedAt.set(name, at)
}
