// Names, labels and finalizers the runner materialises with: names are the contract the edge relies on.
import type { KubeClient, KubeObject, ResourceType } from '../../protocol/kube/index.ts'
import { FINALIZERS, OWNER_LABELS } from '../../protocol/api/ownership.ts'
import { DEFAULT_REGISTRATION_TOKEN, registrationSecretName } from '../../protocol/api/registration.ts'

export const MANAGED_BY = { 'app.kubernetes.io/managed-by': 'drover' } as const

export { FINALIZERS, OWNER_LABELS }

export const ANNOTATIONS = {
  creatorId: 'field.cattle.io/creatorId',
  projectId: 'field.cattle.io/projectId',
} as const

export const names = {
  globalRoleClusterRole: (g: string) => `cattle-globalrole-${g}`,
  globalRoleBinding: (b: string) => `cattle-globalrolebinding-${b}`,
  globalAdminBinding: (b: string, roles: readonly string[], rt: string) => (roles.length === 1 ? `globaladmin-${b}` : `globaladmin-${b}-${rt}`),
  clusterMemberRole: (c: string) => `${c}-clustermember`,
  clusterOwnerRole: (c: string) => `${c}-clusterowner`,
  crtbManagementBinding: (c: string, crtb: string) => `crtb-${c}-${crtb}`,
  crtb: (crtb: string) => `crtb-${crtb}`,
  prtb: (prtb: string) => `prtb-${prtb}`,
  registrationToken: DEFAULT_REGISTRATION_TOKEN,
  registrationSecret: registrationSecretName,
  creatorBinding: 'creator-cluster-owner',
} as const

export const labels = (owner: keyof typeof OWNER_LABELS, value: string, extra: Record<string, string> = {}) => ({
  ...MANAGED_BY,
  [OWNER_LABELS[owner]]: value,
  ...extra,
})

export const selector = (owner: keyof typeof OWNER_LABELS, value: string) => `${OWNER_LABELS[owner]}=${value}`

/** An owner reference for garbage collection (owner cluster-scoped or in the same namespace). */
export function ownerRef(owner: KubeObject & { apiVersion?: string; kind?: string }) {
  return { apiVersion: owner.apiVersion!, kind: owner.kind!, name: owner.metadata.name!, uid: owner.metadata.uid!, blockOwnerDeletion: false }
}

/** Adds the finalizer with a resourceVersion-guarded merge patch; returns the updated object. */
export async function addFinalizer<T extends KubeObject>(client: KubeClient, ref: ResourceType, obj: T, finalizer: string): Promise<T> {
  const have = obj.metadata.finalizers ?? []
  if (have.includes(finalizer)) return obj
  return client.patch<T>(ref, obj.metadata.name!, { metadata: { resourceVersion: obj.metadata.resourceVersion, finalizers: [...have, finalizer] } }, { namespace: obj.metadata.namespace })
}

export async function removeFinalizer<T extends KubeObject>(client: KubeClient, ref: ResourceType, obj: T, finalizer: string): Promise<void> {
  const have = obj.metadata.finalizers ?? []
  if (!have.includes(finalizer)) return
  await client.patch(ref, obj.metadata.name!, { metadata: { resourceVersion: obj.metadata.resourceVersion, finalizers: have.filter((f) => f !== finalizer) } }, { namespace: obj.metadata.namespace })
}

/** A label value for names that may exceed 63 characters or hold characters labels do not allow. */
export function labelValue(s: string): string {
  const clean = s.replace(/[^A-Za-z0-9._-]/g, '_')
  return clean.length <= 63 ? clean.replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '') : clean.slice(0, 63).replace(/[^A-Za-z0-9]+$/g, '')
}
