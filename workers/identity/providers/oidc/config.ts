// The generic OIDC provider's configuration: the AuthConfig CR `genericoidc` (read by the edge at login,
// written by the caller through /v3/authconfigs) and its client secret, which lives in a Secret the CR
// only names.
import { mgmt, SECRET, type KubeClient } from '../../../../protocol/kube/index.ts'
import { ApiError } from '../../../errors.ts'
import type { KubeObject } from '../../../mgmt/management.ts'
import type { AuthConfigObject } from '../../provider.ts'

export const PROVIDER = 'genericoidc'
/** Norman type of its AuthConfig. */
export const CONFIG_TYPE = 'genericOIDCConfig'
/** Its public collection: `/v3-public/genericOIDCProviders/genericoidc`. */
export const PUBLIC_COLLECTION = 'genericOIDCProviders'
export const USER_PRINCIPAL_PREFIX = 'genericoidc_user://'
export const GROUP_PRINCIPAL_PREFIX = 'genericoidc_group://'
/** The edge may write Secrets here (infra/management/rbac.ts, Role `drover-edge-global-data`). */
export const SECRET_NAMESPACE = 'cattle-global-data'
export const CLIENT_SECRET_NAME = 'genericoidc-client-secret'
export const CLIENT_SECRET_REF = `${SECRET_NAMESPACE}:${CLIENT_SECRET_NAME}`
export const DEFAULT_SCOPE = 'openid profile email'
export const DEFAULT_GROUPS_CLAIM = 'groups'

export type { AuthConfigObject }
export type AccessMode = 'required' | 'restricted' | 'unrestricted'

/** What a login needs, with defaults applied. */
export interface OidcSettings {
  enabled: boolean
  issuer: string
  clientId: string
  /** `<namespace>:<name>` of the client secret's Secret, or '' when none was set. */
  clientSecretRef: string
  scope: string
  groupsClaim: string
  /** The redirect URL registered with the provider; '' means the edge's own callback URL. */
  rancherUrl: string
  accessMode: AccessMode
  allowedPrincipalIds: string[]
}

export function settingsOf(cr: AuthConfigObject): OidcSettings {
  return {
    enabled: cr.enabled === true,
    issuer: cr.issuer ?? '',
    clientId: cr.clientId ?? '',
    clientSecretRef: cr.clientSecret ?? '',
    scope: cr.scope || DEFAULT_SCOPE,
    groupsClaim: cr.groupsClaim || DEFAULT_GROUPS_CLAIM,
    rancherUrl: cr.rancherUrl ?? '',
    accessMode: cr.accessMode ?? 'unrestricted',
    allowedPrincipalIds: cr.allowedPrincipalIds ?? [],
  }
}

/** The provider's settings as the edge reads them, or null when it was never configured. */
export async function loadSettings(edge: KubeClient): Promise<OidcSettings | null> {
  const cr = await edge.find<AuthConfigObject>(mgmt('AuthConfig'), PROVIDER)
  return cr ? settingsOf(cr) : null
}

/** An enabled provider's settings, or a 404 that says it is not enabled. */
export async function enabledSettings(edge: KubeClient): Promise<OidcSettings> {
  const settings = await loadSettings(edge)
  if (!settings?.enabled) throw new ApiError(404, `auth provider ${PROVIDER} is not enabled`, 'NotFound')
  return settings
}

const LOOPBACK = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|localhost|\[::1\])$/

/**
 * Why an issuer URL is unusable, or null. HTTPS only, except loopback hosts over HTTP: those are local
 * development providers, and a production edge cannot reach a loopback address anyway.
 */
export function issuerProblem(issuer: string): string | null {
  let url: URL
  try {
    url = new URL(issuer)
  } catch {
    return 'issuer must be an absolute URL'
  }
  if (url.search || url.hash || url.username || url.password) return 'issuer must not carry a query, fragment or credentials'
  if (url.protocol === 'https:') return null
  if (url.protocol === 'http:' && LOOPBACK.test(url.hostname)) return null
  return 'issuer must be an https URL'
}

/** Whether oauth4webapi must be told plain HTTP is fine (loopback issuers only, see issuerProblem). */
export function insecureAllowed(issuer: string): boolean {
  try {
    const url = new URL(issuer)
    return url.protocol === 'http:' && LOOPBACK.test(url.hostname)
  } catch {
    return false
  }
}

interface Secret extends KubeObject {
  data?: Record<string, string>
}

const utf8ToBase64 = (s: string) => btoa(String.fromCharCode(...new TextEncoder().encode(s)))
const base64ToUtf8 = (s: string) => new TextDecoder().decode(Uint8Array.from(atob(s), (ch) => ch.charCodeAt(0)))

/** Stores the client secret (as the edge) and returns the reference the CR keeps. */
export async function storeClientSecret(edge: KubeClient, value: string): Promise<string> {
  const body = {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'Opaque',
    metadata: { name: CLIENT_SECRET_NAME, namespace: SECRET_NAMESPACE, labels: { 'drover.io/auth-provider': PROVIDER } },
    data: { clientSecret: utf8ToBase64(value) },
  }
  const existing = await edge.find<Secret>(SECRET, CLIENT_SECRET_NAME, SECRET_NAMESPACE)
  if (existing) await edge.update(SECRET, { ...body, metadata: { ...body.metadata, resourceVersion: existing.metadata.resourceVersion } })
  else await edge.create(SECRET, body)
  return CLIENT_SECRET_REF
}

/** The client secret a reference names. Only the edge's own namespace is honoured, whatever the CR says. */
export async function readClientSecret(edge: KubeClient, ref: string): Promise<string> {
  const [namespace, name] = ref.split(':')
  if (namespace !== SECRET_NAMESPACE || !name) throw new ApiError(422, `auth provider ${PROVIDER} has no usable client secret`, 'InvalidBodyContent')
  const secret = await edge.find<Secret>(SECRET, name, namespace)
  const data = secret?.data?.clientSecret
  if (!data) throw new ApiError(422, `auth provider ${PROVIDER} has no client secret stored`, 'InvalidBodyContent')
  return base64ToUtf8(data)
}
