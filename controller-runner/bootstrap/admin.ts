import { randomBytes } from 'node:crypto'
import { CoreV1Api, CustomObjectsApi, type KubeConfig, type V1Secret } from '@kubernetes/client-node'
import { BOOTSTRAP_ANNOTATION, BOOTSTRAP_SECRET, USERNAME_LABEL, usernameHash } from '../../protocol/api/users.ts'
import { GROUP, VERSION } from '../../protocol/crds/index.ts'
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

const status = (err: unknown) => (err as { code?: number }).code

/**
 * The admin a fresh install starts with, as Rancher does it: a User `admin` bound to the `admin` global
 * role, whose first password is kept in the bootstrap Secret (given, or generated and shown once). The
 * edge checks that Secret on the admin's first login and from then on keeps only a KDF hash. Only the
 * edge holds the password pepper, so the runner never hashes. Idempotent.
 */
export async function ensureBootstrapAdmin(kc: KubeConfig, opts: { password?: string } = {}): Promise<BootstrapAdmin> {
  const core = kc.makeApiClient(CoreV1Api)
  const custom = kc.makeApiClient(CustomObjectsApi)
  const hash = await usernameHash(ADMIN)
  const users = (await custom.listClusterCustomObject({ group: GROUP, version: VERSION, plural: 'users', labelSelector: `${USERNAME_LABEL}=${hash}` })) as { items: { metadata: { name: string } }[] }
  let secret: V1Secret | undefined
  try {
    secret = await core.readNamespacedSecret({ namespace: BOOTSTRAP_SECRET.namespace, name: BOOTSTRAP_SECRET.name })
  } catch (err) {
    if (status(err) !== 404) throw err
  }
  const existing = users.items[0]
  const stored = secret?.data?.[BOOTSTRAP_SECRET.key] ? Buffer.from(secret.data[BOOTSTRAP_SECRET.key]!, 'base64').toString() : ''
  if (existing) return { userId: existing.metadata.name, username: ADMIN, password: stored, created: false, generated: false }

  const generated = !opts.password && !stored
  const password = stored || opts.password || generatePassword()
  if (!secret) {
    await core.createNamespacedSecret({
      namespace: BOOTSTRAP_SECRET.namespace,
      body: { metadata: { name: BOOTSTRAP_SECRET.name, namespace: BOOTSTRAP_SECRET.namespace }, type: 'Opaque', data: { [BOOTSTRAP_SECRET.key]: Buffer.from(password).toString('base64') } },
    })
  }
  const userId = `u-${randomBytes(8).toString('hex').slice(0, 10)}`
  await custom.createClusterCustomObject({
    group: GROUP, version: VERSION, plural: 'users',
    body: {
      apiVersion: `${GROUP}/${VERSION}`, kind: 'User',
      metadata: { name: userId, labels: { [USERNAME_LABEL]: hash }, annotations: { [BOOTSTRAP_ANNOTATION]: 'true' } },
      username: ADMIN, displayName: 'Default Admin', enabled: true, mustChangePassword: generated, principalIds: [`local://${userId}`],
    },
  })
  await custom.createClusterCustomObject({
    group: GROUP, version: VERSION, plural: 'globalrolebindings',
    body: { apiVersion: `${GROUP}/${VERSION}`, kind: 'GlobalRoleBinding', metadata: { name: `grb-${userId}-admin` }, globalRoleName: 'admin', userName: userId },
  })
  return { userId, username: ADMIN, password, created: true, generated }
}
