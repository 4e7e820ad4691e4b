// The registration contract between the runner, which issues and rotates each cluster's registration
// token, and the edge, which checks the tokens of agents (X-API-Tunnel-Token) and import manifest URLs
// against it. Both read and write the same Secret through this file.

/** The ClusterRegistrationToken every Cluster gets, in the cluster's namespace (`<clusterId>`) of the management cluster. */
export const DEFAULT_REGISTRATION_TOKEN = 'default-token'

/** The Secret holding the token values of ClusterRegistrationToken `crt`, in the same namespace. */
export const registrationSecretName = (crt: string): string => `registration-${crt}`

/** The Secret the edge checks: that of the cluster's default token. */
export const REGISTRATION_SECRET = registrationSecretName(DEFAULT_REGISTRATION_TOKEN)

/** Its Secret type; a Secret of that name with another type is not the runner's. */
export const REGISTRATION_SECRET_TYPE = 'drover.io/registration-token'

/**
 * Its data keys (base64, as every Secret's data). A token is valid until its expiry (RFC 3339; '' for
 * none); after a rotation the previous one stays valid until its own expiry, the grace period.
 */
export const REGISTRATION_KEYS = {
  token: 'token',
  expiresAt: 'expiresAt',
  previousToken: 'previousToken',
  previousExpiresAt: 'previousExpiresAt',
} as const

/** The token pairs to check, current first. */
export const REGISTRATION_TOKENS = [
  [REGISTRATION_KEYS.token, REGISTRATION_KEYS.expiresAt],
  [REGISTRATION_KEYS.previousToken, REGISTRATION_KEYS.previousExpiresAt],
] as const
