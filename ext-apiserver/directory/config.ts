// What both directory reviews share: the config to bind with (stored, or a testAndApply candidate), the
// parsing of an untrusted review, and a directory refusal as the review's status says it.
import type { DirectoryProvider, DirectoryRefusal } from '../../protocol/api/ext.ts'
import type { KubeClient } from '../../protocol/kube/index.ts'
import type { DirectoryConfig } from '../ldap/ad-config.ts'
import { outward, type LdapRefusal } from '../ldap/directory.ts'
import { DIALECTS } from './dialects.ts'
import { ConfigUnavailable, storedFields, storedPassword } from './stored-config.ts'

/** Parses an untrusted body into a review, or a 400 Status that names the first bad field. */
export { parseObject as parseReview } from '../server/parse.ts'

/**
 * The config to bind with: the candidate (testAndApply), whose password, when left out, is the stored
 * one; otherwise the stored config, which must be enabled.
 */
export async function configFor(mgmtClient: KubeClient, provider: DirectoryProvider, candidate: Record<string, unknown> | undefined): Promise<DirectoryConfig> {
  const dialect = DIALECTS[provider]
  const given = typeof candidate?.serviceAccountPassword === 'string' ? candidate.serviceAccountPassword : ''
  const fields = candidate ? { ...candidate, serviceAccountPassword: given || (await storedPassword(mgmtClient, provider)) } : await storedFields(mgmtClient, provider, { requireEnabled: true })
  // An empty password makes an LDAP bind anonymous, which many directories accept: never bind so.
  if (!fields.serviceAccountPassword) throw new ConfigUnavailable(`auth provider ${provider} has no service account password stored; set serviceAccountPassword`)
  return dialect.parse(fields)
}

/** A refusal as a review reports it; the detail stays in the log. */
export function refusalOf(result: LdapRefusal): { refusal: DirectoryRefusal; message: string } {
  const out = outward(result)
  return { refusal: out.status === 401 ? 'Unauthorized' : out.status === 503 ? 'Unavailable' : 'Misconfigured', message: out.message }
}
