import type { User } from '../../protocol/crds/index.ts'
import type { Bindings } from '../env.ts'
import { crdPath, secretPath, type Kube, type KubeObject } from '../mgmt/kube.ts'
import { secretsEqual } from './compare.ts'
import { burnVerification, hashPassword, parsePeppers, verifyPassword, type Pepper } from './password.ts'

import { BOOTSTRAP_ANNOTATION, BOOTSTRAP_SECRET, PASSWORD_NAMESPACE, USERNAME_LABEL, usernameHash } from '../../protocol/api/users.ts'

export { PASSWORD_NAMESPACE, USERNAME_LABEL, usernameHash }

export type UserObject = User & KubeObject
interface Secret extends KubeObject {
  data?: Record<string, string>
}

export async function findUserByUsername(edge: Kube, username: string): Promise<UserObject | null> {
  const list = await edge.list<UserObject>(crdPath('User'), { labelSelector: `${USERNAME_LABEL}=${await usernameHash(username)}` })
  return list.items.find((u) => u.username === username) ?? null
}

export function peppers(env: Pick<Bindings, 'DROVER_PASSWORD_PEPPERS'>): Pepper[] {
  const list = parsePeppers(env.DROVER_PASSWORD_PEPPERS)
  if (list.length === 0) throw new Error('DROVER_PASSWORD_PEPPERS is not set: the edge cannot check passwords')
  return list
}

export async function storePassword(env: Pick<Bindings, 'DROVER_PASSWORD_PEPPERS'>, edge: Kube, userId: string, password: string): Promise<void> {
  const hash = await hashPassword(password, peppers(env)[0]!)
  const body = { apiVersion: 'v1', kind: 'Secret', type: 'Opaque', metadata: { name: userId, namespace: PASSWORD_NAMESPACE }, data: { password: btoa(hash) } }
  const path = secretPath(PASSWORD_NAMESPACE, userId)
  const existing = await edge.getOrNull<Secret>(path)
  if (existing) await edge.replace(path, { ...body, metadata: { ...body.metadata, resourceVersion: existing.metadata.resourceVersion } })
  else await edge.create(secretPath(PASSWORD_NAMESPACE), body)
}

export async function deletePassword(edge: Kube, userId: string): Promise<void> {
  await edge.delete(secretPath(PASSWORD_NAMESPACE, userId)).catch(() => {})
}

/**
 * Checks a user's password: the stored KDF hash, or — for the bootstrap admin before its first login —
 * the bootstrap secret, which is then replaced by a hash. A hash made with older parameters is renewed.
 */
export async function checkPassword(env: Pick<Bindings, 'DROVER_PASSWORD_PEPPERS'>, edge: Kube, user: UserObject | null, password: string): Promise<boolean> {
  const list = peppers(env)
  if (!user) {
    await burnVerification(password, list)
    return false
  }
  const userId = user.metadata.name ?? ''
  const stored = await edge.getOrNull<Secret>(secretPath(PASSWORD_NAMESPACE, userId))
  const hash = stored?.data?.password ? atob(stored.data.password) : ''
  if (hash) {
    const result = await verifyPassword(password, hash, list)
    if (result.rehash) await storePassword(env, edge, userId, password)
    return result.ok
  }
  if (user.metadata.annotations?.[BOOTSTRAP_ANNOTATION] === 'true') {
    const bootstrap = await edge.getOrNull<Secret>(secretPath(BOOTSTRAP_SECRET.namespace, BOOTSTRAP_SECRET.name))
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
