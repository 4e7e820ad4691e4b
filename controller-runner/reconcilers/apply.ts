// Create-or-update-on-diff, in one place. The desired object's top-level fields (other than apiVersion,
// kind, metadata, status) are owned and must equal; its labels, annotations and ownerReferences must be
// present (others on the live object are kept). Reads go to the server (not a cache) so the write is
// based on the newest resourceVersion; a concurrent writer makes the PUT fail with 409 and the
// reconcile is retried.
import { isAlreadyExists, type KubeClient, type KubeObject, type ResourceType } from '../../protocol/kube/index.ts'

export type ApplyOutcome = 'created' | 'updated' | 'recreated' | 'unchanged'

export interface ApplyOptions<T> {
  /** True when `current` cannot be updated into `desired` (immutable fields, e.g. a binding's roleRef). */
  recreate?: (current: T, desired: T) => boolean
  /** The live object when the caller already read it (skips the GET); `null`: known not to exist, so create first. */
  current?: T | null
}

const SKIP = new Set(['apiVersion', 'kind', 'metadata', 'status'])

/** Equality where a missing field, `undefined`, `[]` and `{}` are the same (the server omits empties). */
export function semanticEqual(a: unknown, b: unknown): boolean {
  if (isEmpty(a) && isEmpty(b)) return true
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false
    return a.every((x, i) => semanticEqual(x, b[i]))
  }
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)])
    for (const k of keys) if (!semanticEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])) return false
    return true
  }
  return a === b
}

function isEmpty(v: unknown): boolean {
  return v === undefined || v === null || (Array.isArray(v) && v.length === 0) || (typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length === 0)
}

const subset = (want: Record<string, string> | undefined, have: Record<string, string> | undefined) =>
  Object.entries(want ?? {}).every(([k, v]) => have?.[k] === v)

/** `current` updated to carry everything `desired` owns, or undefined when it already does. */
export function merged<T extends KubeObject>(current: T, desired: T): T | undefined {
  const cur = current as unknown as Record<string, unknown>
  const des = desired as unknown as Record<string, unknown>
  const owned = Object.keys(des).filter((k) => !SKIP.has(k))
  const refs = desired.metadata.ownerReferences ?? []
  const haveRefs = current.metadata.ownerReferences ?? []
  const missingRefs = refs.filter((r) => !haveRefs.some((h) => h.uid === r.uid))
  const same =
    owned.every((k) => semanticEqual(cur[k], des[k])) &&
    subset(desired.metadata.labels, current.metadata.labels) &&
    subset(desired.metadata.annotations, current.metadata.annotations) &&
    missingRefs.length === 0
  if (same) return undefined
  const next: Record<string, unknown> = { ...cur }
  for (const k of owned) next[k] = des[k]
  next.metadata = {
    ...current.metadata,
    labels: { ...current.metadata.labels, ...desired.metadata.labels },
    annotations: { ...current.metadata.annotations, ...desired.metadata.annotations },
    ...(missingRefs.length ? { ownerReferences: [...haveRefs, ...missingRefs] } : {}),
  }
  return next as unknown as T
}

export interface Applied<T> {
  outcome: ApplyOutcome
  /** The object as the server now has it. */
  object: T
}

/** Makes the object exist as desired, writing only when it differs. */
export async function apply<T extends KubeObject>(client: KubeClient, type: ResourceType, desired: T, opts: ApplyOptions<T> = {}): Promise<Applied<T>> {
  const { name, namespace } = desired.metadata
  const current = opts.current === undefined ? await client.find<T>(type, name!, namespace) : opts.current
  if (!current) {
    try {
      return { outcome: 'created', object: await client.create(type, desired) }
    } catch (e) {
      // Created meanwhile (a stale cache, or another writer): compare against what is there now.
      if (!isAlreadyExists(e)) throw e
      return apply(client, type, desired, { ...(opts.recreate ? { recreate: opts.recreate } : {}) })
    }
  }
  if (opts.recreate?.(current, desired)) {
    await client.delete(type, name!, { namespace, preconditions: { uid: current.metadata.uid! } })
    return { outcome: 'recreated', object: await client.create(type, desired) }
  }
  const next = merged(current, desired)
  if (!next) return { outcome: 'unchanged', object: current }
  return { outcome: 'updated', object: await client.update(type, next) }
}

/** Deletes each object of `objects` whose name is not in `keep` (the uid precondition spares a newer one of the same name). */
export async function pruneObjects(client: KubeClient, type: ResourceType, objects: readonly KubeObject[], keep: ReadonlySet<string>): Promise<number> {
  let n = 0
  for (const o of objects) {
    if (keep.has(o.metadata.name!)) continue
    if (await client.delete(type, o.metadata.name!, { namespace: o.metadata.namespace, preconditions: { uid: o.metadata.uid! } })) n++
  }
  return n
}

/** Deletes every object of `type` matching `labelSelector` whose name is not in `keep`. */
export async function prune(client: KubeClient, type: ResourceType, labelSelector: string, keep: ReadonlySet<string>, namespace?: string): Promise<number> {
  const { items } = await client.list<KubeObject>(type, { labelSelector, ...(namespace ? { namespace } : {}) })
  return pruneObjects(client, type, items, keep)
}
