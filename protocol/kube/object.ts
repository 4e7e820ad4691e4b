import type { ListMeta, ObjectMeta } from '../crds/meta.ts'

export type { ListMeta, ObjectMeta }

/** Any Kubernetes object as it is on the wire (timestamps are strings, unknown fields kept). */
export interface KubeObject {
  apiVersion?: string
  kind?: string
  metadata: ObjectMeta
}

export interface KubeList<T> {
  apiVersion?: string
  kind?: string
  metadata: ListMeta
  items: T[]
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK'

export interface WatchEvent<T> {
  type: WatchEventType
  object: T
}
