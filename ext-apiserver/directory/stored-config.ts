// A directory provider's settings as the extension server binds with them: the AuthConfig of the
// provider's name in the management cluster, and its service account password, which lives in a Secret
// of `cattle-global-data` that the CR only names (Rancher's `<type>-serviceaccountpassword`).
import type { DirectoryProvider } from '../../protocol/api/ext.ts'
import { mgmt, SECRET, type KubeClient } from '../../protocol/kube/index.ts'

export const SECRET_NAMESPACE = 'cattle-global-data'
/** The Secret's data key, as Rancher names it after the field. */
export const PASSWORD_KEY = 'serviceaccountpassword'

/** Norman type of each provider's AuthConfig, which also names its password Secret. */
export const CONFIG_TYPES: Record<DirectoryProvider, string> = {
  openldap: 'openLdapConfig',
  freeipa: 'freeIpaConfig',
  activedirectory: 'activeDirectoryConfig',
}

/** `cattle-global-data:openldapconfig-serviceaccountpassword`: where the edge stores it, what the CR says. */
export function passwordSecretRef(provider: DirectoryProvider): string {
  return `${SECRET_NAMESPACE}:${CONFIG_TYPES[provider].toLowerCase()}-${PASSWORD_KEY}`
}

interface StoredConfig {
  metadata: { name?: string }
  enabled?: boolean
  serviceAccountPassword?: string
  [field: string]: unknown
}

interface Secret {
  metadata: { name?: string }
  data?: Record<string, string>
}

export class ConfigUnavailable extends Error {}

/**
 * The stored fields with the password read from its Secret. Only the provider's own Secret is honoured,
 * whatever reference the CR holds: a writer of the CR must not be able to point the server at another
 * Secret and have it used as a bind password.
 */
export async function storedFields(mgmtClient: KubeClient, provider: DirectoryProvider, opts: { requireEnabled: boolean }): Promise<Record<string, unknown>> {
  const cr = await mgmtClient.find<StoredConfig>(mgmt('AuthConfig'), provider)
  if (!cr) throw new ConfigUnavailable(`auth provider ${provider} is not configured`)
  if (opts.requireEnabled && cr.enabled !== true) throw new ConfigUnavailable(`auth provider ${provider} is not enabled`)
  const { metadata: _m, ...fields } = cr
  return { ...fields, serviceAccountPassword: await storedPassword(mgmtClient, provider) }
}

export async function storedPassword(mgmtClient: KubeClient, provider: DirectoryProvider): Promise<string> {
  const [namespace, name] = passwordSecretRef(provider).split(':') as [string, string]
  const secret = await mgmtClient.find<Secret>(SECRET, name, namespace)
  const value = secret?.data?.[PASSWORD_KEY]
  return value ? Buffer.from(value, 'base64').toString('utf8') : ''
}
