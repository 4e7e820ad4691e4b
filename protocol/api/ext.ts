// The extension API server's contract (`APIService v1.ext.cattle.io`, DESIGN.md "Directory logins"): what
// the edge sends through cluster `local`'s tunnel and what the extension server answers. Beside Rancher's
// imperative `ext.cattle.io` resources it serves drover's own review-style ones for directory binds: like
// `TokenReview`, they are create-only, stored nowhere, and answered in `status`.
import type { ResourceType } from '../kube/resource.ts'

export const EXT_GROUP = 'ext.cattle.io'
export const EXT_VERSION = 'v1'
export const EXT_API_VERSION = `${EXT_GROUP}/${EXT_VERSION}`
/** The APIService's name, as Rancher registers it. */
export const EXT_APISERVICE = `${EXT_VERSION}.${EXT_GROUP}`

/** The directory providers the extension server binds for (each an AuthConfig of that name). */
export const DIRECTORY_PROVIDERS = ['openldap', 'freeipa', 'activedirectory'] as const
export type DirectoryProvider = (typeof DIRECTORY_PROVIDERS)[number]

/** A user or group of a directory, as `/v3/principals` shows it (`openldap_user://<dn>`, …). */
export interface DirectoryPrincipal {
  id: string
  principalType: 'user' | 'group'
  provider: DirectoryProvider
  displayName: string
  loginName: string
}

/**
 * Why a review did not authenticate: `Unauthorized` (wrong name or password, unknown or disabled user: one
 * answer for all, so a login tells an attacker nothing), `Unavailable` (no directory server answered),
 * `Misconfigured` (the directory refused the service account or a search), `Invalid` (the config given or
 * stored is unusable; `message` names the field).
 */
export type DirectoryRefusal = 'Unauthorized' | 'Unavailable' | 'Misconfigured' | 'Invalid'

/** `POST /apis/ext.cattle.io/v1/directorybindreviews`: a login against a directory. */
export interface DirectoryBindReview {
  apiVersion: typeof EXT_API_VERSION
  kind: 'DirectoryBindReview'
  metadata?: { name?: string }
  spec: {
    provider: DirectoryProvider
    username: string
    password: string
    /**
     * `testAndApply`: the candidate AuthConfig fields (with `serviceAccountPassword` in clear) to bind
     * with instead of the stored config, which need not exist or be enabled. Without it the stored
     * AuthConfig must be enabled.
     */
    config?: Record<string, unknown>
  }
  status?: {
    authenticated: boolean
    user?: DirectoryPrincipal
    groups?: DirectoryPrincipal[]
    refusal?: DirectoryRefusal
    /** For the caller; never says which of name, password or account state was wrong. */
    message?: string
  }
}

/**
 * `POST /apis/ext.cattle.io/v1/directoryprincipalreviews`: principals of the enabled directory, searched by
 * name (`/v3/principals?action=search`) or looked up by id with their groups (group refresh).
 */
export interface DirectoryPrincipalReview {
  apiVersion: typeof EXT_API_VERSION
  kind: 'DirectoryPrincipalReview'
  metadata?: { name?: string }
  spec: {
    provider: DirectoryProvider
    /** Search: a name prefix, matched against the search attributes. */
    name?: string
    principalType?: 'user' | 'group'
    /** Lookup: one principal id of this provider; `status.groups` holds its groups now. */
    principalId?: string
  }
  status?: {
    principals: DirectoryPrincipal[]
    groups?: DirectoryPrincipal[]
    refusal?: DirectoryRefusal
    message?: string
  }
}

/** Rancher's SAML providers (each an AuthConfig of that name); the extension server checks their responses. */
export const SAML_PROVIDERS = ['shibboleth', 'keycloak', 'okta', 'ping', 'adfs'] as const
export type SamlProvider = (typeof SAML_PROVIDERS)[number]

/**
 * Why a SAML review did not authenticate: `Unauthorized` (the response is not one the IdP signed for this
 * login: bad or missing signature, wrong audience, recipient, destination, issuer or InResponseTo, expired),
 * `Refused` (the IdP answered with a non-success status), `Invalid` (the config or its IdP metadata is
 * unusable; `message` names the field).
 */
export type SamlRefusal = 'Unauthorized' | 'Refused' | 'Invalid'

/**
 * `POST /apis/ext.cattle.io/v1/samlresponsereviews`: XML signatures are checked here, not in workerd
 * (DESIGN.md flow 7). With `samlResponse` it verifies an IdP's response to the AuthnRequest `requestId`;
 * without it, it answers the IdP's facts and the AuthnRequest redirect for `requestId` (signed with the
 * SP key when the IdP asks for signed requests). With `config`, the candidate AuthConfig fields (and
 * `spKey` in clear) are used instead of the stored, enabled one (a config check before saving).
 */
export interface SamlResponseReview {
  apiVersion: typeof EXT_API_VERSION
  kind: 'SamlResponseReview'
  metadata?: { name?: string }
  spec: {
    provider: SamlProvider
    /** The SP's entity ID: the audience the assertion must name. */
    entityId: string
    /** The SP's assertion consumer service URL: the Destination and Recipient the response must name. */
    acsUrl: string
    /** The ID of the AuthnRequest: the response's InResponseTo. */
    requestId: string
    /** Base64 of the SAMLResponse the IdP posted. */
    samlResponse?: string
    /** The RelayState to send with the AuthnRequest (no `samlResponse`). */
    relayState?: string
    config?: Record<string, unknown>
  }
  status?: {
    authenticated: boolean
    idp?: { entityId: string; ssoUrl: string; wantAuthnRequestsSigned: boolean }
    /** Without `samlResponse`: the IdP's SSO URL with the deflated AuthnRequest and RelayState. */
    redirectUrl?: string
    /** From the signed assertion, by the configured attribute names. */
    user?: { uid: string; displayName: string; userName: string }
    groups?: string[]
    /** The signed assertion's ID and when it stops being acceptable (ms since the epoch): for replay checks. */
    assertion?: { id: string; expiresAt: number }
    refusal?: SamlRefusal
    message?: string
  }
}

const ext = (kind: string, plural: string): ResourceType => ({ group: EXT_GROUP, version: EXT_VERSION, kind, plural, namespaced: false })
export const DIRECTORY_BIND_REVIEW = ext('DirectoryBindReview', 'directorybindreviews')
export const DIRECTORY_PRINCIPAL_REVIEW = ext('DirectoryPrincipalReview', 'directoryprincipalreviews')
export const SAML_RESPONSE_REVIEW = ext('SamlResponseReview', 'samlresponsereviews')

// Rancher's imperative resources (Rancher 2.12+), served by the extension server for drover's own users.

/** A token principal as Rancher's ext Token shows it. */
export interface ExtTokenPrincipal {
  name: string
  displayName?: string
  loginName?: string
  principalType?: string
  provider?: string
}

/**
 * `tokens.ext.cattle.io`: stored as a Token CR (kind label `ext`, protocol/api/tokens.ts), so /v3/tokens
 * shows and deletes it too. `spec.ttl` is in milliseconds (0 or absent: `auth-token-max-ttl-minutes`, no
 * expiry when that is 0). `status.value` and `status.bearerToken` (`ext/<name>:<value>`) are answered only
 * by the create.
 */
export interface ExtToken {
  apiVersion: typeof EXT_API_VERSION
  kind: 'Token'
  metadata: { name?: string; uid?: string; resourceVersion?: string; creationTimestamp?: string; labels?: Record<string, string> }
  spec: { userID: string; userPrincipal: ExtTokenPrincipal; kind: string; ttl: number; enabled: boolean; description: string; clusterName: string }
  status: { current: boolean; expired: boolean; expiresAt: string; value?: string; bearerToken?: string }
}

/**
 * `kubeconfigs.ext.cattle.io`: a kubeconfig for `spec.clusters` (ids; `["*"]` first: every cluster the
 * user may get) through the edge's `server-url`, with one cluster-scoped ext token per cluster; `spec.ttl`
 * in seconds (0 or absent: `kubeconfig-default-token-ttl-minutes`). `status.value` (the YAML) is answered
 * only by the create; deleting it deletes its tokens.
 */
export interface ExtKubeconfig {
  apiVersion: typeof EXT_API_VERSION
  kind: 'Kubeconfig'
  metadata: { name?: string; uid?: string; resourceVersion?: string; creationTimestamp?: string }
  spec: { clusters: string[]; currentContext?: string; description?: string; ttl?: number }
  status?: { summary: string; tokens: string[]; value?: string }
}

/** `selfusers.ext.cattle.io`: Rancher's "who am I", answered in `status.userID`. */
export interface SelfUser {
  apiVersion: typeof EXT_API_VERSION
  kind: 'SelfUser'
  status?: { userID: string }
}

/**
 * `passwordchangerequests.ext.cattle.io`: a local user's new password. One's own needs `currentPassword`;
 * a caller allowed `update` on `users.management.cattle.io/<userID>` may set another's without it.
 */
export interface PasswordChangeRequest {
  apiVersion: typeof EXT_API_VERSION
  kind: 'PasswordChangeRequest'
  spec: { userID: string; currentPassword?: string; newPassword: string }
  status?: { summary: string; conditions: { type: string; status: string; message?: string }[] }
}

export const EXT_TOKEN = ext('Token', 'tokens')
export const EXT_KUBECONFIG = ext('Kubeconfig', 'kubeconfigs')
export const SELF_USER = ext('SelfUser', 'selfusers')
export const PASSWORD_CHANGE_REQUEST = ext('PasswordChangeRequest', 'passwordchangerequests')

/**
 * `POST /apis/ext.cattle.io/v1/groupmembershiprefreshrequests` (Rancher's): check now, against the
 * directory, the groups of one user's directory sessions (`spec.userId`) or everyone's (`*`); a session
 * whose groups no longer hold, or whose user is gone or disabled there, is ended. Stored nowhere.
 */
export interface GroupMembershipRefreshRequest {
  apiVersion: typeof EXT_API_VERSION
  kind: 'GroupMembershipRefreshRequest'
  metadata?: { name?: string }
  spec: { userId: string }
  status?: {
    summary: 'Completed' | 'Failed'
    conditions: { type: 'UserRefreshInitiated' | 'Completed'; status: 'True' | 'False'; message?: string }[]
    /** Users whose directory sessions were checked, and sessions ended. */
    usersChecked: number
    sessionsEnded: number
  }
}
export const GROUP_MEMBERSHIP_REFRESH_REQUEST = ext('GroupMembershipRefreshRequest', 'groupmembershiprefreshrequests')
