// Conventions for local users shared by the edge (login) and the runner (the bootstrap admin).

/** Usernames are found by this label: the first 40 hex digits of SHA-256 of the lower-cased name. */
export const USERNAME_LABEL = 'drover.io/username-hash'
/** Set on the admin created at first start; its first password is the bootstrap Secret's. */
export const BOOTSTRAP_ANNOTATION = 'drover.io/bootstrap-admin'
export const BOOTSTRAP_SECRET = { namespace: 'cattle-system', name: 'bootstrap-secret', key: 'bootstrapPassword' } as const
export const PASSWORD_NAMESPACE = 'cattle-local-user-passwords'

export async function usernameHash(username: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(username.toLowerCase()))
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('').slice(0, 40)
}
