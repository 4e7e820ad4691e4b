// `github`'s AuthConfig as /v3/authconfigs shows and writes it: the config schema and its checks, Rancher's
// `testAndApply` (a code from GitHub proves the proposed config works before it is saved and enabled),
// and what disabling it revokes.
import * as v from 'valibot'
import { mgmt } from '../../../../protocol/kube/index.ts'
import { ApiError } from '../../../errors.ts'
import { jsonBody, parseInput } from '../../../norman/body.ts'
import { edgeKube, userKube, type V3Context } from '../../../v3/context.ts'
import { draftAuthConfig, revokeProviderSessions, saveAuthConfig, type AuthConfigDraft } from '../../authconfig-write.ts'
import { readClientSecret, storeClientSecret } from '../../client-secret.ts'
import { accessAllowed } from '../../external-login.ts'
import type { AuthConfigObject } from '../../provider.ts'
import { exchangeCode, identityOf } from './client.ts'
import { CLIENT_SECRET_REF, CONFIG_TYPE, DEFAULT_HOSTNAME, hostnameProblem, PROVIDER, settingsOf, USER_PRINCIPAL_PREFIX } from './config.ts'
import { groupPrincipals } from './subject.ts'

const AUTH_CONFIG = mgmt('AuthConfig')

const text = (max: number) => v.optional(v.pipe(v.string(), v.maxLength(max)))

/** The config schema. Clients send whole resources back (id, links, …): known fields are checked, the rest ignored. */
export const configSchema = v.looseObject({
  enabled: v.optional(v.boolean()),
  hostname: text(260),
  tls: v.optional(v.boolean()),
  clientId: v.optional(v.pipe(v.string(), v.regex(/^[\x21-\x7e]{0,256}$/, 'clientId: up to 256 printable characters, no spaces'))),
  clientSecret: text(4096),
  accessMode: v.optional(v.picklist(['unrestricted', 'restricted', 'required'])),
  allowedPrincipalIds: v.optional(v.pipe(v.array(v.pipe(v.string(), v.maxLength(512))), v.maxLength(1000))),
})
type ConfigBody = v.InferOutput<typeof configSchema>
const FIELDS = ['enabled', 'hostname', 'tls', 'clientId', 'accessMode', 'allowedPrincipalIds'] as const

/** Rancher's GithubConfigApplyInput. */
const applySchema = v.looseObject({
  githubConfig: configSchema,
  code: v.pipe(v.string(), v.minLength(1, 'code: the code GitHub returned to the test login'), v.maxLength(4096)),
  enabled: v.optional(v.boolean()),
})

/** The fields shown with their defaults. */
export function presentConfig(obj: AuthConfigObject): Record<string, unknown> {
  return {
    hostname: obj.hostname || DEFAULT_HOSTNAME,
    tls: obj.tls !== false,
    accessMode: obj.accessMode || 'unrestricted',
    enabled: obj.enabled === true,
  }
}

const bad = (msg: string) => new ApiError(422, msg, 'InvalidBodyContent')

export function validate(next: AuthConfigObject): void {
  const problem = hostnameProblem(next.hostname || DEFAULT_HOSTNAME, next.tls !== false)
  if (problem) throw bad(problem)
  if (next.enabled !== true) return
  if (!next.clientId) throw bad('clientId is required to enable the provider')
  if (!next.clientSecret) throw bad('clientSecret is required to enable the provider')
}


type Proposal = AuthConfigDraft

/** The stored config with the body's fields applied, checked, not yet saved. */
async function propose(c: V3Context, body: ConfigBody): Promise<Proposal> {
  const existing = await userKube(c).find<AuthConfigObject>(AUTH_CONFIG, PROVIDER)
  const p = draftAuthConfig(c, existing, body, { id: PROVIDER, configType: CONFIG_TYPE, fields: FIELDS, secret: { field: 'clientSecret', ref: CLIENT_SECRET_REF } })
  if (p.next.hostname) p.next.hostname = p.next.hostname.toLowerCase()
  validate(p.next)
  return p
}

/**
 * Saves a proposal as the caller, so the apiserver's RBAC decides who may. `beforeSave` (a test login)
 * and storing a new client secret run only after a dry run of the same write has been allowed; the CR
 * keeps just a reference to the secret. A config left disabled revokes the provider's sessions.
 */
async function save(c: V3Context, p: Proposal, beforeSave?: () => Promise<void>): Promise<{ saved: AuthConfigObject; created: boolean }> {
  const secret = p.secret
  const first = secret || beforeSave ? async () => {
    await beforeSave?.()
    if (secret) await storeClientSecret(edgeKube(c), PROVIDER, secret)
  } : undefined
  const saved = await saveAuthConfig(c, p, first)
  if (saved.enabled !== true) await revokeProviderSessions(c, PROVIDER)
  return { saved, created: !p.existing }
}

export async function writeConfig(c: V3Context, input: unknown): Promise<{ saved: AuthConfigObject; created: boolean }> {
  return save(c, await propose(c, parseInput(configSchema, input)))
}

/**
 * Rancher's `?action=testAndApply` (`{githubConfig, code}`): the code, which GitHub gave the admin's test
 * login against the proposed client, is exchanged with the proposed config (and the secret it brings, or
 * the stored one); only when GitHub accepts it, and the tester would be let in (under `restricted` the
 * tester counts as allowed, as in Rancher), is the config saved and enabled.
 */
export async function testAndApply(c: V3Context): Promise<AuthConfigObject> {
  const input = parseInput(applySchema, await jsonBody(c.req.raw))
  const proposal = await propose(c, { ...input.githubConfig, enabled: input.enabled ?? input.githubConfig.enabled ?? true })
  const settings = settingsOf(proposal.next)
  const test = async () => {
    const clientSecret = proposal.secret ?? (await readClientSecret(edgeKube(c), PROVIDER, settings.clientSecretRef))
    const token = await exchangeCode(settings, { clientId: settings.clientId, clientSecret, code: input.code })
    const identity = await identityOf(settings, token)
    const me = `${USER_PRINCIPAL_PREFIX}${identity.user.id}`
    const allowed = settings.accessMode === 'restricted' ? [...settings.allowedPrincipalIds, me] : settings.allowedPrincipalIds
    if (!accessAllowed({ accessMode: settings.accessMode, allowedPrincipalIds: allowed }, [me, ...groupPrincipals(identity)])) {
      throw new ApiError(422, `${PROVIDER}: the test login's user would not be allowed in by this config (access mode ${settings.accessMode})`, 'InvalidBodyContent')
    }
  }
  return (await save(c, proposal, test)).saved
}
