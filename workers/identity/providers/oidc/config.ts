// The generic OIDC provider's configuration: the AuthConfig CR `genericoidc` (read by the edge at login,
// written by the caller through /v3/authconfigs) and its client secret, which lives in a Secret the CR
// only names.
import { mgmt, type KubeClient } from '../../../../protocol/kube/index.ts'
import { ApiError } from '../../../errors.ts'
import { clientSecretRef, readClientSecret as readSecret, storeClientSecret as storeSecret } from '../../client-secret.ts'
import { LOOPBACK_HOST, type AccessMode } from '../../external-login.ts'
import type { AuthConfigObject } from '../../provider.ts'

export const PROVIDER = 'genericoidc'
/** Norman type of its AuthConfig. */
export const CONFIG_TYPE = 'genericOIDCConfig'
/** Its public collection: `/v3-public/genericOIDCProviders/genericoidc`. */
export const PUBLIC_COLLECTION = 'genericOIDCProviders'
export const USER_PRINCIPAL_PREFIX = 'genericoidc_user://'
export const GROUP_PRINCIPAL_PREFIX = 'genericoidc_group://'
export const CLIENT_SECRET_REF = clientSecretRef(PROVIDER)
export const DEFAULT_SCOPE = 'openid profile email'
export const DEFAULT_GROUPS_CLAIM = 'groups'

export type { AuthConfigObject }
export type { AccessMode }

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
  if (url.protocol === 'http:' && LOOPBACK_HOST.test(url.hostname)) return null
  return 'issuer must be an https URL'
}

/** Whether oauth4webapi must be told plain HTTP is fine (loopback issuers only, see issuerProblem). */
export function insecureAllowed(issuer: string): boolean {
  try {
    const url = new URL(issuer)
    return url.protocol === 'http:' && LOOPBACK_HOST.test(url.hostname)
  } catch {
    return false
  }
}

/** Stores the client secret (as the edge) and returns the reference the CR keeps. */
export const storeClientSecret = (edge: KubeClient, value: string): Promise<string> => storeSecret(edge, PROVIDER, value)

/** The client secret a reference names. Only the edge's own Secret of this provider is honoured, whatever the CR says. */
export const readClientSecret = (edge: KubeClient, ref: string): Promise<string> => readSecret(edge, PROVIDER, ref)
