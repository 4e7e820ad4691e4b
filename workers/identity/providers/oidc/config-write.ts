// `genericoidc`'s AuthConfig as /v3/authconfigs shows and writes it: the config schema, its checks
// (including discovery of the issuer before it is enabled), and what disabling it revokes.
import * as v from 'valibot'
import { mgmt } from '../../../../protocol/kube/index.ts'
import { ApiError } from '../../../errors.ts'
import { parseInput } from '../../../norman/body.ts'
import { edgeKube, userKube, type V3Context } from '../../../v3/context.ts'
import { draftAuthConfig, revokeProviderSessions, saveAuthConfig } from '../../authconfig-write.ts'
import type { AuthConfigObject } from '../../provider.ts'
import { discover } from './client.ts'
import { CLIENT_SECRET_REF, CONFIG_TYPE, DEFAULT_GROUPS_CLAIM, DEFAULT_SCOPE, issuerProblem, PROVIDER, storeClientSecret } from './config.ts'

const AUTH_CONFIG = mgmt('AuthConfig')

const text = (max: number) => v.optional(v.pipe(v.string(), v.maxLength(max)))

/** The config schema. Clients send whole resources back (id, links, …): known fields are checked, the rest ignored. */
export const configSchema = v.looseObject({
  enabled: v.optional(v.boolean()),
  issuer: text(2048),
  clientId: text(512),
  clientSecret: text(4096),
  scope: text(1024),
  groupsClaim: v.optional(v.pipe(v.string(), v.regex(/^[A-Za-z0-9_.:/-]{0,128}$/, 'groupsClaim: up to 128 of A-Z a-z 0-9 _ . : / -'))),
  rancherUrl: text(2048),
  accessMode: v.optional(v.picklist(['unrestricted', 'restricted', 'required'])),
  allowedPrincipalIds: v.optional(v.pipe(v.array(v.pipe(v.string(), v.maxLength(512))), v.maxLength(1000))),
})
type ConfigBody = v.InferOutput<typeof configSchema>
const FIELDS = ['enabled', 'issuer', 'clientId', 'scope', 'groupsClaim', 'rancherUrl', 'accessMode', 'allowedPrincipalIds'] as const

/** The fields shown with their defaults. */
export function presentConfig(obj: AuthConfigObject): Record<string, unknown> {
  return {
    scope: obj.scope || DEFAULT_SCOPE,
    groupsClaim: obj.groupsClaim || DEFAULT_GROUPS_CLAIM,
    accessMode: obj.accessMode || 'unrestricted',
    enabled: obj.enabled === true,
  }
}

async function validate(next: AuthConfigObject): Promise<void> {
  const bad = (msg: string) => new ApiError(422, msg, 'InvalidBodyContent')
  if (next.issuer) {
    const problem = issuerProblem(next.issuer)
    if (problem) throw bad(problem)
  }
  if (next.rancherUrl) {
    let url: URL | undefined
    try {
      url = new URL(next.rancherUrl)
    } catch {
      /* checked below */
    }
    if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) throw bad('rancherUrl must be an absolute http(s) URL')
  }
  if (next.scope && !next.scope.split(/\s+/).includes('openid')) throw bad('scope must include openid')
  if (next.enabled !== true) return
  if (!next.issuer) throw bad('issuer is required to enable the provider')
  if (!next.clientId) throw bad('clientId is required to enable the provider')
  if (!next.clientSecret) throw bad('clientSecret is required to enable the provider')
  try {
    await discover(next.issuer)
  } catch (err) {
    throw bad(`issuer: ${err instanceof ApiError ? err.message : 'discovery failed'}`)
  }
}


/**
 * Creates or updates `genericoidc` as the caller, so the apiserver's RBAC decides who may. A new client
 * secret is stored (as the edge) only after a dry run of the same write has been allowed; the CR keeps
 * just a reference to it.
 */
export async function writeConfig(c: V3Context, input: unknown): Promise<{ saved: AuthConfigObject; created: boolean }> {
  const body: ConfigBody = parseInput(configSchema, input)
  const existing = await userKube(c).find<AuthConfigObject>(AUTH_CONFIG, PROVIDER)
  const d = draftAuthConfig(c, existing, body, { id: PROVIDER, configType: CONFIG_TYPE, fields: FIELDS, secret: { field: 'clientSecret', ref: CLIENT_SECRET_REF } })
  await validate(d.next)
  const secret = d.secret
  const saved = await saveAuthConfig(c, d, secret ? () => storeClientSecret(edgeKube(c), secret).then(() => {}) : undefined)
  if (saved.enabled !== true) await revokeProviderSessions(c, PROVIDER)
  return { saved, created: !existing }
}
