// Rancher's `github` provider's configuration: the AuthConfig CR `github` (Rancher's GithubConfig: hostname,
// tls, clientId, clientSecret, accessMode, allowedPrincipalIds, enabled), read by the edge at login and
// written by the caller through /v3/authconfigs; its client secret lives in a Secret the CR only names.
import { mgmt, type KubeClient } from '../../../../protocol/kube/index.ts'
import { ApiError } from '../../../errors.ts'
import { clientSecretRef } from '../../client-secret.ts'
import { LOOPBACK_HOST, type AccessMode } from '../../external-login.ts'
import type { AuthConfigObject } from '../../provider.ts'

export const PROVIDER = 'github'
/** Norman type of its AuthConfig. */
export const CONFIG_TYPE = 'githubConfig'
/** Its public collection: `/v3-public/githubProviders/github`. */
export const PUBLIC_COLLECTION = 'githubProviders'
/** Principal ids as Rancher forms them: `github_<user|org|team>://<numeric GitHub id>`. */
export const USER_PRINCIPAL_PREFIX = 'github_user://'
export const ORG_PRINCIPAL_PREFIX = 'github_org://'
export const TEAM_PRINCIPAL_PREFIX = 'github_team://'
export const CLIENT_SECRET_REF = clientSecretRef(PROVIDER)
export const DEFAULT_HOSTNAME = 'github.com'
/** `read:org` lets `/user/orgs` and `/user/teams` list private memberships too. */
export const SCOPE = 'read:org'

/** What a login needs, with defaults applied. */
export interface GithubSettings {
  enabled: boolean
  /** `github.com` or a GitHub Enterprise Server host (with an optional port). */
  hostname: string
  tls: boolean
  clientId: string
  /** `<namespace>:<name>` of the client secret's Secret, or '' when none was set. */
  clientSecretRef: string
  accessMode: AccessMode
  allowedPrincipalIds: string[]
}

export function settingsOf(cr: AuthConfigObject): GithubSettings {
  return {
    enabled: cr.enabled === true,
    hostname: (cr.hostname || DEFAULT_HOSTNAME).toLowerCase(),
    tls: cr.tls !== false,
    clientId: cr.clientId ?? '',
    clientSecretRef: cr.clientSecret ?? '',
    accessMode: cr.accessMode ?? 'unrestricted',
    allowedPrincipalIds: cr.allowedPrincipalIds ?? [],
  }
}

/** The provider's settings as the edge reads them, or null when it was never configured. */
export async function loadSettings(edge: KubeClient): Promise<GithubSettings | null> {
  const cr = await edge.find<AuthConfigObject>(mgmt('AuthConfig'), PROVIDER)
  return cr ? settingsOf(cr) : null
}

/** An enabled provider's settings, or a 404 that says it is not enabled. */
export async function enabledSettings(edge: KubeClient): Promise<GithubSettings> {
  const settings = await loadSettings(edge)
  if (!settings?.enabled) throw new ApiError(404, `auth provider ${PROVIDER} is not enabled`, 'NotFound')
  return settings
}

/** A DNS name (or IPv4, or `[::1]`) with an optional port: nothing a URL could smuggle in. */
const HOST_PORT = /^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*|\[::1\])(?::(\d{1,5}))?$/

/**
 * Why a hostname (with its tls flag) is unusable, or null. A bare host with an optional port only: no
 * scheme, path, query or userinfo. HTTPS only, except loopback hosts with `tls: false`: local stand-ins,
 * which a production edge cannot reach anyway.
 */
export function hostnameProblem(hostname: string, tls: boolean): string | null {
  const host = hostname.toLowerCase()
  const match = host.length <= 253 ? HOST_PORT.exec(host) : null
  if (!match) return 'hostname must be a bare host name such as github.com or github.example.com[:port], without scheme, path or credentials'
  if (match[1] !== undefined && (Number(match[1]) < 1 || Number(match[1]) > 65535)) return 'hostname has an invalid port'
  if (tls) return null
  const name = host.startsWith('[') ? '[::1]' : host.replace(/:\d+$/, '')
  return LOOPBACK_HOST.test(name) ? null : 'tls: false is allowed only for loopback hosts (local stand-ins); GitHub must be reached over HTTPS'
}

export interface Endpoints {
  /** The web host: `/login/oauth/authorize` and `/login/oauth/access_token` live here. */
  web: string
  /** The REST API: `https://api.github.com` for github.com, `<web>/api/v3` for GitHub Enterprise Server. */
  api: string
}

export function endpoints(settings: Pick<GithubSettings, 'hostname' | 'tls'>): Endpoints {
  const web = `${settings.tls ? 'https' : 'http'}://${settings.hostname}`
  const api = settings.hostname === DEFAULT_HOSTNAME && settings.tls ? 'https://api.github.com' : `${web}/api/v3`
  return { web, api }
}

/** Rancher's `redirectUrl`: the authorize URL with the client id (a client adds state and redirect_uri). */
export const authorizeUrl = (settings: GithubSettings): string =>
  `${endpoints(settings).web}/login/oauth/authorize?client_id=${encodeURIComponent(settings.clientId)}`
