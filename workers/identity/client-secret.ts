// External providers' secrets: client secrets (OIDC, GitHub), each in a Secret `<provider>-client-secret`,
// and directory service account passwords (read by the extension server), all in cattle-global-data and
// written by the edge only; the AuthConfig CR holds just a reference.
import { SECRET, type KubeClient } from '../../protocol/kube/index.ts'
import { ApiError } from '../errors.ts'
import type { KubeObject } from '../mgmt/management.ts'

/** The edge may write Secrets here (infra/management/rbac.ts, Role `drover-edge-global-data`). */
export const SECRET_NAMESPACE = 'cattle-global-data'

/** The reference a provider's AuthConfig keeps in `clientSecret`. */
export const clientSecretRef = (provider: string): string => `${SECRET_NAMESPACE}:${provider}-client-secret`

interface Secret extends KubeObject {
  data?: Record<string, string>
}

const utf8ToBase64 = (s: string) => btoa(String.fromCharCode(...new TextEncoder().encode(s)))
const base64ToUtf8 = (s: string) => new TextDecoder().decode(Uint8Array.from(atob(s), (ch) => ch.charCodeAt(0)))

/** Stores the provider's client secret (as the edge) and returns the reference its CR keeps. */
export async function storeClientSecret(edge: KubeClient, provider: string, value: string): Promise<string> {
  await storeProviderSecret(edge, provider, { name: `${provider}-client-secret`, key: 'clientSecret' }, value)
  return clientSecretRef(provider)
}

/** Creates or replaces one provider Secret in cattle-global-data holding `value` under `key` (as the edge). */
export async function storeProviderSecret(edge: KubeClient, provider: string, where: { name: string; key: string }, value: string): Promise<void> {
  const body = {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'Opaque',
    metadata: { name: where.name, namespace: SECRET_NAMESPACE, labels: { 'drover.io/auth-provider': provider } },
    data: { [where.key]: utf8ToBase64(value) },
  }
  const existing = await edge.find<Secret>(SECRET, where.name, SECRET_NAMESPACE)
  if (existing) await edge.update(SECRET, { ...body, metadata: { ...body.metadata, resourceVersion: existing.metadata.resourceVersion } })
  else await edge.create(SECRET, body)
}

/**
 * The client secret a provider's reference names. Only the provider's own Secret is honoured, whatever
 * the CR says, so a writer of one provider's config cannot point it at another Secret.
 */
export async function readClientSecret(edge: KubeClient, provider: string, ref: string): Promise<string> {
  if (ref !== clientSecretRef(provider)) throw new ApiError(422, `auth provider ${provider} has no usable client secret`, 'InvalidBodyContent')
  const [namespace, name] = ref.split(':') as [string, string]
  const secret = await edge.find<Secret>(SECRET, name, namespace)
  const data = secret?.data?.clientSecret
  if (!data) throw new ApiError(422, `auth provider ${provider} has no client secret stored`, 'InvalidBodyContent')
  return base64ToUtf8(data)
}
