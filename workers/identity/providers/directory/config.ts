// A directory provider's AuthConfig through /v3/authconfigs: shown without its password, written as the
// caller (the management cluster's RBAC decides), enabled only by `testAndApply` — a login with the
// candidate settings through the extension server — and `disable`, which revokes its sessions.
import * as v from 'valibot'
import { mgmt, type KubeClient } from '../../../../protocol/kube/index.ts'
import { ApiError } from '../../../errors.ts'
import { jsonBody, parseInput } from '../../../norman/body.ts'
import { edgeKube, userKube, type V3Context } from '../../../v3/context.ts'
import { draftAuthConfig, revokeProviderSessions, saveAuthConfig, type AuthConfigDraft } from '../../authconfig-write.ts'
import { storeProviderSecret } from '../../client-secret.ts'
import type { AuthConfigObject, ProviderConfig } from '../../provider.ts'
import { PRINCIPAL_LABEL, principalHash, findUserByPrincipal, type UserObject } from '../../users.ts'
import { configSchema, DIRECTORY_FIELDS, type ConfigBody } from './config-schema.ts'
import { PASSWORD_KEY, passwordRef, type DirectoryKind } from './kinds.ts'
import { credentialsBody, principalsOf, refusalError } from './login.ts'
import { bindReview } from './reviews.ts'

const AUTH_CONFIG = mgmt('AuthConfig')
const FIELDS = [...DIRECTORY_FIELDS, 'enabled', 'accessMode', 'allowedPrincipalIds'] as const

type Draft = AuthConfigDraft

function draft(c: V3Context, kind: DirectoryKind, existing: AuthConfigObject | undefined, body: ConfigBody): Draft {
  return draftAuthConfig(c, existing, body, { id: kind.id, configType: kind.configType, fields: FIELDS, secret: { field: 'serviceAccountPassword', ref: passwordRef(kind) } })
}

/** Saves as the caller; a new password is stored only once a dry run showed the caller may save. */
async function save(c: V3Context, kind: DirectoryKind, d: Draft): Promise<AuthConfigObject> {
  const store = d.secret === undefined ? undefined : () => storeProviderSecret(edgeKube(c), kind.id, { name: passwordRef(kind).split(':')[1]!, key: PASSWORD_KEY }, d.secret!)
  const saved = await saveAuthConfig(c, d, store)
  if (saved.enabled !== true) await revokeProviderSessions(c, kind.id)
  return saved
}

const changed = (d: Draft) => DIRECTORY_FIELDS.some((k) => JSON.stringify(d.next[k]) !== JSON.stringify(d.existing?.[k])) || d.secret !== undefined

/** PUT: access settings at any time; how to reach the directory only while disabled (else testAndApply). */
async function write(c: V3Context, kind: DirectoryKind, input: unknown): Promise<{ saved: AuthConfigObject; created: boolean }> {
  const body = parseInput(configSchema, input)
  const existing = await userKube(c).find<AuthConfigObject>(AUTH_CONFIG, kind.id)
  const d = draft(c, kind, existing, body)
  const wasEnabled = existing?.enabled === true
  if (d.next.enabled === true && (!wasEnabled || changed(d))) {
    throw new ApiError(422, `${kind.id}: use POST /v3/authconfigs/${kind.id}?action=testAndApply to enable it or change how it reaches the directory: it logs in with the new settings first`, 'InvalidBodyContent')
  }
  return { saved: await save(c, kind, d), created: !existing }
}

/**
 * Rancher's `testAndApply`: `{ <configKey>: {...}, username, password }`. The caller must be allowed to
 * save the config (checked by a dry run before the directory is asked, so the action is no password
 * oracle for anyone else); the login must succeed with the candidate settings; then the config is saved
 * enabled, the tester's directory principal allowed, and the tester's own user linked to it, so they keep
 * their roles when they next log in through the directory.
 */
async function testAndApply(c: V3Context, kind: DirectoryKind): Promise<AuthConfigObject> {
  const body = parseInput(v.object({ [kind.configKey]: configSchema, ...credentialsBody, enabled: v.optional(v.boolean()) }), await jsonBody(c.req.raw)) as Record<string, unknown> & { username: string; password: string }
  const candidate = body[kind.configKey] as ConfigBody
  const existing = await userKube(c).find<AuthConfigObject>(AUTH_CONFIG, kind.id)
  const d = draft(c, kind, existing, { ...candidate, enabled: true })
  const kube = userKube(c)
  await (d.existing ? kube.update(AUTH_CONFIG, d.next, { dryRun: true }) : kube.create(AUTH_CONFIG, d.next, { dryRun: true }))
  const config: Record<string, unknown> = {}
  for (const key of DIRECTORY_FIELDS) if (d.next[key] !== undefined) config[key] = d.next[key]
  if (d.secret) config.serviceAccountPassword = d.secret
  const status = await bindReview(edgeKube(c), { provider: kind.id, username: body.username, password: body.password, config })
  if (!status.authenticated) {
    const err = refusalError(kind, status)
    // The caller's own session is fine: a failed test login is a bad request, not theirs to re-authenticate.
    throw err.status === 401 ? new ApiError(422, `${kind.id}: the test login failed: wrong username or password`, 'InvalidBodyContent') : err
  }
  const { user } = principalsOf(kind, status)
  const allowed = new Set(d.next.allowedPrincipalIds ?? [])
  allowed.add(user.id)
  d.next.allowedPrincipalIds = [...allowed]
  d.next.accessMode ??= 'unrestricted'
  const saved = await save(c, kind, d)
  await linkCaller(c, edgeKube(c), user.id)
  return saved
}

/** Adds the directory principal to the caller's own User (Rancher does the same on testAndApply). */
async function linkCaller(c: V3Context, edge: KubeClient, principalId: string): Promise<void> {
  const userId = c.var.principal.token?.userId
  if (!userId) return
  const owner = await findUserByPrincipal(edge, principalId)
  if (owner && owner.metadata.name !== userId) {
    throw new ApiError(409, `the directory user ${principalId} already belongs to drover user ${owner.metadata.name}; the config is saved, but not linked to you`, 'Conflict')
  }
  if (owner) return
  const me = await edge.get<UserObject>(mgmt('User'), userId)
  const labels = me.metadata.labels ?? {}
  // A user is found by one external principal (its label): one already linked elsewhere stays as it is,
  // and this provider's first login makes a user of its own.
  if (labels[PRINCIPAL_LABEL]) return
  await edge.update(mgmt('User'), {
    ...me,
    metadata: { ...me.metadata, labels: { ...labels, [PRINCIPAL_LABEL]: await principalHash(principalId) } },
    principalIds: [...(me.principalIds ?? []), principalId],
  })
}

export function directoryConfig(kind: DirectoryKind): ProviderConfig {
  return {
    type: kind.configType,
    present: (obj) => ({ enabled: obj.enabled === true, accessMode: obj.accessMode || 'unrestricted' }),
    write: (c, body) => write(c, kind, body),
    actions: {
      testAndApply: (c) => testAndApply(c, kind),
      disable: async (c) => (await write(c, kind, { enabled: false })).saved,
    },
  }
}
