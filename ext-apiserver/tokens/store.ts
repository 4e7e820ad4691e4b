// Ext tokens as Token CRs (management.cattle.io/v3), the store /v3/tokens and the edge's authenticator
// read too: a salted hash of a random secret, never the secret; labelled with the owner (so the user's
// tokens are found, and revoked with the user) and kind `ext` (so the edge checks them against the CR,
// workers/identity/ext-tokens.ts). The value `ext/<name>:<secret>` is answered once, by the create.
import type { ExtToken } from '../../protocol/api/ext.ts'
import { SETTING_DEFAULTS, type SettingName } from '../../protocol/api/settings.ts'
import { EXT_TOKEN_KIND, extTokenValue, KIND_LABEL, PROVIDER_LABEL, randomName, randomSecret, saltedHash, USER_ID_LABEL } from '../../protocol/api/tokens.ts'
import type { Setting, Token } from '../../protocol/crds/index.ts'
import { isAlreadyExists, mgmt, type KubeClient } from '../../protocol/kube/index.ts'
import { providerOf, type RancherUser } from '../users/caller.ts'
import { statusError } from '../server/status.ts'

export const TOKEN = mgmt('Token')

export interface IssueOptions {
  ttlMs: number
  clusterName?: string
  description: string
  labels?: Record<string, string>
  dryRun: boolean
  signal?: AbortSignal
}

/** Creates the Token CR; `value` is the bearer form, `secret` its secret part (Rancher's `status.value`). */
export async function issueExtToken(client: KubeClient, caller: RancherUser, opts: IssueOptions, now = Date.now()): Promise<{ token: Token; secret: string; value: string }> {
  const secret = randomSecret()
  const expiresAt = opts.ttlMs > 0 ? new Date(now + opts.ttlMs).toISOString() : ''
  for (let attempt = 0; ; attempt++) {
    const name = randomName('token-')
    const body: Token = {
      apiVersion: 'management.cattle.io/v3',
      kind: 'Token',
      metadata: { name, labels: { ...opts.labels, [USER_ID_LABEL]: caller.userId, [KIND_LABEL]: EXT_TOKEN_KIND, [PROVIDER_LABEL]: caller.provider } },
      token: await saltedHash(secret),
      userId: caller.userId,
      authProvider: caller.provider,
      userPrincipal: { metadata: { name: caller.principalId }, principalType: 'user', provider: caller.provider, loginName: caller.username, displayName: caller.displayName },
      groupPrincipals: caller.groups.map((g) => ({ metadata: { name: g }, principalType: 'group', provider: providerOf(g) })),
      ttl: opts.ttlMs,
      expiresAt,
      isDerived: true,
      description: opts.description,
      clusterName: opts.clusterName ?? '',
      enabled: true,
    }
    try {
      const token = await client.create<Token>(TOKEN, body, { dryRun: opts.dryRun, signal: opts.signal })
      return { token, secret, value: extTokenValue(name, secret) }
    } catch (err) {
      // Five random characters can collide; another name is as good.
      if (isAlreadyExists(err) && attempt < 3) continue
      throw err
    }
  }
}

/** Rancher's ext Token shape of a Token CR (never its hash). */
export function presentExtToken(t: Token, now = Date.now()): Omit<ExtToken, 'apiVersion' | 'kind'> {
  const { name, uid, resourceVersion, creationTimestamp, labels } = t.metadata
  const expiresAtMs = t.expiresAt ? Date.parse(t.expiresAt) : 0
  const principal = t.userPrincipal ?? {}
  return {
    metadata: { name, uid, resourceVersion, creationTimestamp, ...(labels ? { labels } : {}) },
    spec: {
      userID: t.userId ?? '',
      userPrincipal: { name: principal.metadata?.name ?? '', displayName: principal.displayName ?? '', loginName: principal.loginName ?? '', principalType: principal.principalType ?? 'user', provider: principal.provider ?? '' },
      kind: '',
      ttl: t.ttl ?? 0,
      enabled: t.enabled !== false,
      description: t.description ?? '',
      clusterName: t.clusterName ?? '',
    },
    status: { current: false, expired: expiresAtMs > 0 && expiresAtMs <= now, expiresAt: t.expiresAt ?? '' },
  }
}

/** An ext token the caller may see: their own, or anyone's when `all`; otherwise (and for non-ext Tokens) 404. */
export async function readableToken(client: KubeClient, name: string, userId: string, all: boolean, signal?: AbortSignal): Promise<Token> {
  const t = await client.find<Token>(TOKEN, name, undefined, { signal })
  if (!t || t.metadata.labels?.[KIND_LABEL] !== EXT_TOKEN_KIND || (!all && t.userId !== userId)) throw statusError(404, `tokens.ext.cattle.io "${name}" not found`)
  return t
}

/** The ext tokens of a user (every user's when `userId` is undefined), by label. */
export async function extTokens(client: KubeClient, userId: string | undefined, extraSelector = '', signal?: AbortSignal): Promise<Token[]> {
  const selector = [`${KIND_LABEL}=${EXT_TOKEN_KIND}`, ...(userId ? [`${USER_ID_LABEL}=${userId}`] : []), ...(extraSelector ? [extraSelector] : [])].join(',')
  return (await client.list<Token>(TOKEN, { labelSelector: selector, ...(signal ? { signal } : {}) })).items
}

/** A setting's effective value (value, else default, else drover's), read fresh. */
export async function setting(client: KubeClient, name: SettingName, signal?: AbortSignal): Promise<string> {
  const s = await client.find<Setting>(mgmt('Setting'), name, undefined, { signal })
  return s?.value || s?.default || SETTING_DEFAULTS[name]
}

export async function minutesSetting(client: KubeClient, name: SettingName, signal?: AbortSignal): Promise<number> {
  const n = Number(await setting(client, name, signal))
  return Number.isFinite(n) && n >= 0 ? n : Number(SETTING_DEFAULTS[name])
}
