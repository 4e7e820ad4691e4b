import { KubeError, mgmt, SECRET, type KubeClient } from '../../../../protocol/kube/index.ts'
import type { Bindings } from '../../../env.ts'
import type { KubeObject } from '../../../mgmt/management.ts'
import { ApiError } from '../../../errors.ts'
import { secretsEqual } from '../../compare.ts'
import type { UserObject } from '../../users.ts'
import { burnVerification, hashPassword, parsePeppers, verifyPassword, type Pepper } from '../../../../protocol/api/password.ts'

import { BOOTSTRAP_ANNOTATION, BOOTSTRAP_SECRET, PASSWORD_NAMESPACE, USERNAME_LABEL, usernameHash } from '../../../../protocol/api/users.ts'

export { PASSWORD_NAMESPACE, USERNAME_LABEL, usernameHash }

/** The local provider's id; its principals are `local://<user id>`. */
export const LOCAL_PROVIDER = 'local'
export const localPrincipal = (userId: string): string => `${LOCAL_PROVIDER}://${userId}`

export type { UserObject }
interface Secret extends KubeObject {
  data?: Record<string, string>
}

/**
 * A username belongs to the user its claim names: a Secret `username-<hash>` in the password namespace,
 * created before the User. The apiserver's name uniqueness makes two users with one username impossible
 * through the edge, however many create it at once; a User made some other way with a taken username can
 * never log in as it.
 */
export const USERNAME_CLAIM_TYPE = 'drover.io/username-claim'
/** How long a claim may wait for its User before another user may take the name over. */
const CLAIM_SETTLE_MS = 60_000
const claimName = async (username: string) => `username-${await usernameHash(username)}`

/** Users labelled with this username's hash that really carry it (users from before claims existed). */
const USER = mgmt('User')
const conflict = (err: unknown) => err instanceof KubeError && err.status === 409

async function labelled(edge: KubeClient, username: string): Promise<UserObject[]> {
  const list = await edge.list<UserObject>(USER, { labelSelector: `${USERNAME_LABEL}=${await usernameHash(username)}` })
  return list.items.filter((u) => u.username?.toLowerCase() === username.toLowerCase())
}

export async function findUserByUsername(edge: KubeClient, username: string): Promise<UserObject | undefined> {
  const claim = await edge.find<Secret>(SECRET, await claimName(username), PASSWORD_NAMESPACE)
  if (claim) {
    const id = claim.data?.userId ? atob(claim.data.userId) : ''
    const user = id ? await edge.find<UserObject>(USER, id) : undefined
    return user && user.username === username ? user : undefined
  }
  // No claim (the bootstrap admin, users from before claims): exactly one match, or none — never a guess.
  const found = await labelled(edge, username)
  return found.length === 1 && found[0]!.username === username ? found[0]! : undefined
}

/** Claims `username` for `userId`, or throws 409. A claim whose user is gone is taken over. */
export async function claimUsername(edge: KubeClient, username: string, userId: string): Promise<void> {
  const name = await claimName(username)
  const others = (await labelled(edge, username)).filter((u) => u.metadata.name !== userId)
  const taken = new ApiError(409, `username "${username}" is taken`, 'NotUnique')
  const body = (resourceVersion?: string) => ({
    apiVersion: 'v1', kind: 'Secret', type: USERNAME_CLAIM_TYPE,
    metadata: { name, namespace: PASSWORD_NAMESPACE, ...(resourceVersion ? { resourceVersion } : {}) },
    data: { userId: btoa(userId) },
  })
  try {
    if (others.length > 0) throw taken
    await edge.create(SECRET, body())
    return
  } catch (err) {
    if (err === taken || !conflict(err)) throw err
  }
  const existing = await edge.find<Secret>(SECRET, name, PASSWORD_NAMESPACE)
  const holder = existing?.data?.userId ? atob(existing.data.userId) : ''
  if (!existing || holder === userId) throw taken
  // A young claim's user may still be on its way (the claim is written first): only an old one is stale.
  const age = Date.now() - Date.parse(existing.metadata.creationTimestamp ?? '')
  if (!(age > CLAIM_SETTLE_MS) || (await edge.find(USER, holder))) throw taken
  // The holder is gone: take the claim over, guarded by resourceVersion (a racing taker gets 409).
  await edge.update(SECRET, body(existing.metadata.resourceVersion)).catch((err: unknown) => {
    throw conflict(err) ? taken : err
  })
}

/** Frees `username` if `userId` holds it. */
export async function releaseUsername(edge: KubeClient, username: string, userId: string): Promise<void> {
  const name = await claimName(username)
  const claim = await edge.find<Secret>(SECRET, name, PASSWORD_NAMESPACE)
  if (claim?.data?.userId && atob(claim.data.userId) === userId) await edge.delete(SECRET, name, { namespace: PASSWORD_NAMESPACE }).catch(() => {})
}

export function peppers(env: Pick<Bindings, 'DROVER_PASSWORD_PEPPERS'>): Pepper[] {
  const list = parsePeppers(env.DROVER_PASSWORD_PEPPERS)
  if (list.length === 0) throw new Error('DROVER_PASSWORD_PEPPERS is not set: the edge cannot check passwords')
  return list
}

export async function storePassword(env: Pick<Bindings, 'DROVER_PASSWORD_PEPPERS'>, edge: KubeClient, userId: string, password: string): Promise<void> {
  const hash = await hashPassword(password, peppers(env)[0]!)
  const body = { apiVersion: 'v1', kind: 'Secret', type: 'Opaque', metadata: { name: userId, namespace: PASSWORD_NAMESPACE }, data: { password: btoa(hash) } }
  const existing = await edge.find<Secret>(SECRET, userId, PASSWORD_NAMESPACE)
  if (existing) await edge.update(SECRET, { ...body, metadata: { ...body.metadata, resourceVersion: existing.metadata.resourceVersion } })
  else await edge.create(SECRET, body)
}

export async function deletePassword(edge: KubeClient, userId: string): Promise<void> {
  await edge.delete(SECRET, userId, { namespace: PASSWORD_NAMESPACE }).catch(() => {})
}

/**
 * Checks a user's password: the stored KDF hash, or — for the bootstrap admin before its first login —
 * the bootstrap secret, which is then replaced by a hash. A hash made with older parameters is renewed.
 */
export async function checkPassword(env: Pick<Bindings, 'DROVER_PASSWORD_PEPPERS'>, edge: KubeClient, user: UserObject | undefined, password: string): Promise<boolean> {
  const list = peppers(env)
  if (!user) {
    await burnVerification(password, list)
    return false
  }
  const userId = user.metadata.name ?? ''
  const stored = await edge.find<Secret>(SECRET, userId, PASSWORD_NAMESPACE)
  const hash = stored?.data?.password ? atob(stored.data.password) : ''
  if (hash) {
    const result = await verifyPassword(password, hash, list)
    if (result.rehash) await storePassword(env, edge, userId, password)
    return result.ok
  }
  if (user.metadata.annotations?.[BOOTSTRAP_ANNOTATION] === 'true') {
    const bootstrap = await edge.find<Secret>(SECRET, BOOTSTRAP_SECRET.name, BOOTSTRAP_SECRET.namespace)
    const want = bootstrap?.data?.[BOOTSTRAP_SECRET.key] ? atob(bootstrap.data[BOOTSTRAP_SECRET.key]!) : ''
    await burnVerification(password, list)
    if (want && (await secretsEqual(password, want))) {
      await storePassword(env, edge, userId, password)
      return true
    }
    return false
  }
  await burnVerification(password, list)
  return false
}
