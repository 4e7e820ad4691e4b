// What every configurable provider does to save its AuthConfig through /v3/authconfigs: the draft (the
// stored config or a new one, the body's known fields over it, a secret sent in clear replaced by the
// reference the CR keeps), and the save as the caller, whose RBAC decides — a dry run first, so a secret
// is stored or a test run only for a caller allowed to save. And the short per-isolate cache the public
// provider list reads settings through.
import { EDGE_IDENTITY } from '../../protocol/api/identities.ts'
import { mgmt, type KubeClient } from '../../protocol/kube/index.ts'
import { mgmtObject } from '../mgmt/management.ts'
import { userKube, type V3Context } from '../v3/context.ts'
import { userIdOf } from './authenticator.ts'
import type { AuthConfigObject } from './provider.ts'
import { PROVIDER_LABEL, removeTokens, tokensWhere } from './tokens.ts'

const AUTH_CONFIG = mgmt('AuthConfig')

/** AuthConfig writes made by this isolate; a short cache's entry from before the latest one is not used. */
let writes = 0

export interface AuthConfigDraft {
  existing: AuthConfigObject | undefined
  next: AuthConfigObject
  /** The secret field's new value, sent with this write (never the stored reference). */
  secret?: string
}

export interface DraftOptions {
  id: string
  configType: string
  fields: readonly string[]
  /** A field that holds a secret: the CR keeps `ref` in it, the value goes to a Secret. */
  secret?: { field: string; ref: string }
}

export function draftAuthConfig(c: V3Context, existing: AuthConfigObject | undefined, body: Record<string, unknown>, opts: DraftOptions): AuthConfigDraft {
  const next: AuthConfigObject = existing
    ? { ...existing, metadata: { ...existing.metadata } }
    : mgmtObject('AuthConfig', { metadata: { name: opts.id, annotations: { 'field.cattle.io/creatorId': userIdOf(c.var.principal) } }, type: opts.configType })
  for (const key of opts.fields) if (body[key] !== undefined) Object.assign(next, { [key]: body[key] })
  if (!opts.secret) return { existing, next }
  const sent = body[opts.secret.field]
  const secret = typeof sent === 'string' && sent !== '' && sent !== opts.secret.ref ? sent : undefined
  if (secret) Object.assign(next, { [opts.secret.field]: opts.secret.ref })
  return { existing, next, ...(secret ? { secret } : {}) }
}

/** Saves as the caller; `beforeSave` (store a secret, run a test) only after a dry run was allowed. */
export async function saveAuthConfig(c: V3Context, d: Pick<AuthConfigDraft, 'existing' | 'next'>, beforeSave?: () => Promise<void>): Promise<AuthConfigObject> {
  const kube = userKube(c)
  const write = (dryRun: boolean) => (d.existing ? kube.update<AuthConfigObject>(AUTH_CONFIG, d.next, { dryRun }) : kube.create<AuthConfigObject>(AUTH_CONFIG, d.next, { dryRun }))
  if (beforeSave) {
    await write(true)
    await beforeSave()
  }
  const saved = await write(false)
  // What this isolate cached of any provider's settings is now older than the write: ask again.
  writes++
  return saved
}


/**
 * Values shared by an isolate for `ttlMs` per key; a failed load is not kept, nor anything read before this
 * isolate's last AuthConfig write (so the public provider list follows a save at once here, and within
 * `ttlMs` in other isolates).
 */
export function shortCache<T>(ttlMs: number): (edge: KubeClient, key: string, load: (edge: KubeClient) => Promise<T>, now?: number) => Promise<T> {
  const entries = new Map<string, { at: number; writes: number; value: Promise<T> }>()
  return (edge, key, load, now = Date.now()) => {
    const hit = entries.get(key)
    if (hit && now - hit.at <= ttlMs && hit.writes === writes) return hit.value
    const value = load(edge)
    entries.set(key, { at: now, writes, value })
    value.catch(() => entries.delete(key))
    return value
  }
}

/** Every session and key a provider vouched for stops working (it was disabled). */
export async function revokeProviderSessions(c: V3Context, provider: string): Promise<void> {
  const edge = c.var.management.as(EDGE_IDENTITY)
  const names = (await tokensWhere(edge, `${PROVIDER_LABEL}=${provider}`)).map((t) => t.metadata.name ?? '').filter(Boolean)
  await removeTokens(c.env, edge, names)
}
