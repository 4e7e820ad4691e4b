// The parts of Kubernetes ObjectMeta and ListMeta that drover reads or writes. Kept here, not taken from
// @kubernetes/client-node, so that protocol/ stays free of runtime-specific dependencies. Timestamps are
// RFC 3339 strings, as on the wire.
export interface OwnerReference {
  apiVersion: string
  kind: string
  name: string
  uid: string
  controller?: boolean
  blockOwnerDeletion?: boolean
}

export interface ObjectMeta {
  name?: string
  generateName?: string
  namespace?: string
  uid?: string
  resourceVersion?: string
  generation?: number
  creationTimestamp?: string
  deletionTimestamp?: string
  deletionGracePeriodSeconds?: number
  labels?: Record<string, string>
  annotations?: Record<string, string>
  ownerReferences?: OwnerReference[]
  finalizers?: string[]
  managedFields?: unknown[]
}

export interface ListMeta {
  resourceVersion?: string
  continue?: string
  remainingItemCount?: number
}
