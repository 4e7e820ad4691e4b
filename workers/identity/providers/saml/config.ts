// A SAML provider's AuthConfig through /v3/authconfigs (Rancher's SAML fields). Saved as the caller (the
// management cluster's RBAC decides); `spKey` goes to a Secret of cattle-global-data and the CR keeps its
// reference. Saving it enabled first has the extension server parse the IdP metadata and the SP key pair
// with the candidate fields (a plain PUT may enable it: unlike a directory, there is no password to test
// here, and a real login needs the browser at the IdP). `testAndApply` does the same with `enabled: true`
// (Rancher's answers the IdP login URL for the UI to open; drover's saves and returns the config, and the
// first login is the test). `disable` revokes its sessions.
import * as v from 'valibot'
import { mgmt } from '../../../../protocol/kube/index.ts'
import { ApiError } from '../../../errors.ts'
import { jsonBody, parseInput } from '../../../norman/body.ts'
import { edgeKube, userKube, type V3Context } from '../../../v3/context.ts'
import { draftAuthConfig, revokeProviderSessions, saveAuthConfig, type AuthConfigDraft } from '../../authconfig-write.ts'
import { storeProviderSecret } from '../../client-secret.ts'
import { LOOPBACK_HOST } from '../../external-login.ts'
import type { AuthConfigObject, ProviderConfig } from '../../provider.ts'
import { SP_KEY_KEY, spKeyRef, type SamlKind } from './kinds.ts'
import { invalidConfig, samlReview } from './reviews.ts'
import { settingsOf, spUrls } from './settings.ts'

const AUTH_CONFIG = mgmt('AuthConfig')
const text = (max: number) => v.optional(v.pipe(v.string(), v.maxLength(max)))
const attribute = v.optional(v.pipe(v.string(), v.regex(/^[\x21-\x7e]{0,256}$/, 'an attribute name: printable, no spaces, at most 256 characters')))

/** Rancher's SAML config fields; clients send whole resources back (id, links, …): the rest is ignored. */
export const samlFields = {
  displayNameField: attribute,
  userNameField: attribute,
  uidField: attribute,
  groupsField: attribute,
  entityID: text(1024),
  rancherApiHost: text(1024),
  spCert: text(16384),
  spKey: text(16384),
  idpMetadataContent: text(1 << 20),
}
/** Fields that say how the IdP and the SP meet: what the extension server checks before an enabled save. */
const SAML_FIELDS = Object.keys(samlFields).filter((k) => k !== 'spKey')

export const configSchema = v.looseObject({
  ...samlFields,
  enabled: v.optional(v.boolean()),
  accessMode: v.optional(v.picklist(['unrestricted', 'restricted', 'required'])),
  allowedPrincipalIds: v.optional(v.pipe(v.array(v.pipe(v.string(), v.maxLength(1024))), v.maxLength(1000))),
})
type ConfigBody = v.InferOutput<typeof configSchema>
const FIELDS = [...SAML_FIELDS, 'enabled', 'accessMode', 'allowedPrincipalIds'] as const

const bad = (msg: string) => new ApiError(422, msg, 'InvalidBodyContent')

/** Why `rancherApiHost` is unusable, or null: an http(s) origin, HTTPS except for loopback hosts. */
export function apiHostProblem(value: string): string | null {
  if (!value) return null
  let url: URL
  try {
    url = new URL(value)
  } catch {
    return 'rancherApiHost must be a URL such as https://drover.example.com'
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'rancherApiHost must be an http(s) URL'
  if (url.username || url.password || url.search || url.hash || (url.pathname !== '/' && url.pathname !== '')) return 'rancherApiHost must be an origin only (scheme, host, port), such as https://drover.example.com'
  if (url.protocol === 'http:' && !LOOPBACK_HOST.test(url.hostname)) return 'rancherApiHost must use HTTPS (plain HTTP only for loopback hosts)'
  return null
}

type Draft = AuthConfigDraft

function draft(c: V3Context, kind: SamlKind, existing: AuthConfigObject | undefined, body: ConfigBody): Draft {
  const d = draftAuthConfig(c, existing, body, { id: kind.id, configType: kind.configType, fields: FIELDS, secret: { field: 'spKey', ref: spKeyRef(kind) } })
  if (body.spKey === '') delete d.next.spKey
  const problem = apiHostProblem(typeof d.next.rancherApiHost === 'string' ? d.next.rancherApiHost : '')
  if (problem) throw bad(problem)
  return d
}

/** The extension server parses the candidate metadata and key pair (and builds an AuthnRequest with them). */
async function checkWithExtServer(c: V3Context, kind: SamlKind, d: Draft): Promise<void> {
  const config: Record<string, unknown> = {}
  for (const key of SAML_FIELDS) if (d.next[key] !== undefined) config[key] = d.next[key]
  config.spKey = d.secret ?? (d.next.spKey ? spKeyRef(kind) : '')
  const urls = spUrls(kind, settingsOf(d.next), c.req.url)
  const status = await samlReview(edgeKube(c), { provider: kind.id, entityId: urls.entityId, acsUrl: urls.acsUrl, requestId: '_config-check-0000000000', relayState: 'check', config })
  if (status.refusal || !status.redirectUrl) throw invalidConfig(kind.id, status, 'save')
}

/** Saves as the caller: the extension server is asked and the key stored only once a dry run showed the caller may save. */
async function save(c: V3Context, kind: SamlKind, d: Draft): Promise<{ saved: AuthConfigObject; created: boolean }> {
  const saved = await saveAuthConfig(c, d, async () => {
    if (d.next.enabled === true) await checkWithExtServer(c, kind, d)
    if (d.secret) await storeProviderSecret(edgeKube(c), kind.id, { name: spKeyRef(kind).split(':')[1]!, key: SP_KEY_KEY }, d.secret)
  })
  if (saved.enabled !== true) await revokeProviderSessions(c, kind.id)
  return { saved, created: !d.existing }
}

async function write(c: V3Context, kind: SamlKind, input: unknown): Promise<{ saved: AuthConfigObject; created: boolean }> {
  const body = parseInput(configSchema, input)
  const existing = await userKube(c).find<AuthConfigObject>(AUTH_CONFIG, kind.id)
  return save(c, kind, draft(c, kind, existing, body))
}

/** `{ <configType>: {...} }` as Rancher's UI sends it, or the config itself; saved enabled once checked. */
async function testAndApply(c: V3Context, kind: SamlKind): Promise<AuthConfigObject> {
  const body = (await jsonBody(c.req.raw)) as Record<string, unknown>
  const candidate = body && typeof body[kind.configType] === 'object' ? body[kind.configType] : body
  return (await write(c, kind, { ...parseInput(configSchema, candidate), enabled: true })).saved
}

export function samlConfig(kind: SamlKind): ProviderConfig {
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
