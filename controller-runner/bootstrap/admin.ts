import { randomBytes } from 'node:crypto'
import { BOOTSTRAP_ANNOTATION, BOOTSTRAP_SECRET, USERNAME_LABEL, usernameHash } from '../../protocol/api/users.ts'
import type { GlobalRoleBinding, User } from '../../protocol/crds/index.ts'
import { mgmt, SECRET, type KubeClient, type KubeObject } from '../../protocol/kube/index.ts'
import { generateToken } from '../reconcilers/registration.ts'

export interface BootstrapAdmin {
  userId: string
  username: string
  /** The bootstrap password; empty once the admin has set its own and the Secret is gone. */
  password: string
  /** True when this call created the admin (and, without a configured password, generated one). */
  created: boolean
  generated: boolean
}

const ADMIN = 'admin'
/** Letters and digits without the look-alikes (l, I, O, 0, 1): a password someone may have to type. */
const PASSWORD_ALPHABET = 'abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789'
const generatePassword = () => generateToken(20, PASSWORD_ALPHABET)

const USER = mgmt('User')
const GRB = mgmt('GlobalRoleBinding')

interface Secret extends KubeObject {
  type?: string
  data?: Record<string, string>
}

/**
 * The admin a fresh install starts with, as Rancher does it: a User `admin` bound to the `admin` global
 * role, whose first password is kept in the bootstrap Secret (given, or generated and shown once). The
 * edge checks that Secret on the admin's first login and from then on keeps only a KDF hash. Only the
 * edge holds the password pepper, so the runner never hashes. Idempotent. The runner passes its
 * leader-guarded client, so a replica that no longer leads creates no second admin.
 */
export async function ensureBootstrapAdmin(client: KubeClient, opts: { password?: string } = {}): Promise<BootstrapAdmin> {
  const hash = await usernameHash(ADMIN)
  const users = await client.list<User>(USER, { labelSelector: `${USERNAME_LABEL}=${hash}` })
  const secret = await client.find<Secret>(SECRET, BOOTSTRAP_SECRET.name, BOOTSTRAP_SECRET.namespace)
  const existing = users.items[0]
  const stored = secret?.data?.[BOOTSTRAP_SECRET.key] ? Buffer.from(secret.data[BOOTSTRAP_SECRET.key]!, 'base64').toString() : ''
  if (existing) return { userId: existing.metadata.name!, username: ADMIN, password: stored, created: false, generated: false }

  const generated = !opts.password && !stored
  const password = stored || opts.password || generatePassword()
  if (!secret) {
    await client.create<Secret>(SECRET, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: BOOTSTRAP_SECRET.name, namespace: BOOTSTRAP_SECRET.namespace },
      type: 'Opaque',
      data: { [BOOTSTRAP_SECRET.key]: Buffer.from(password).toString('base64') },
    })
  }
  const userId = `u-${randomBytes(8).toString('hex').slice(0, 10)}`
  await client.create<User>(USER, {
    apiVersion: 'management.cattle.io/v3',
    kind: 'User',
    metadata: { name: userId, labels: { [USERNAME_LABEL]: hash }, annotations: { [BOOTSTRAP_ANNOTATION]: 'true' } },
    username: ADMIN,
    displayName: 'Default Admin',
    enabled: true,
    mustChangePassword: generated,
    principalIds: [`local://${userId}`],
  })
  await client.create<GlobalRoleBinding>(GRB, {
    apiVersion: 'management.cattle.io/v3',
    kind: 'GlobalRoleBinding',
    metadata: { name: `grb-${userId}-admin` },
    globalRoleName: 'admin',
    userName: userId,
  })
  return { userId, username: ADMIN, password, created: true, generated }
}
