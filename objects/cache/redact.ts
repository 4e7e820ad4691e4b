// What the cache keeps of an object. Two rules, both applied before anything reaches SQLite:
// - managedFields go: every Steve client asks for `exclude=metadata.managedFields`, and they are often
//   the larger half of an object.
// - Types that carry credentials are never stored in clear. We keep only what a list shows — metadata,
//   the type, which keys there are — and drop the values, rather than encrypting: a cache that cannot
//   leak a secret needs no key management, and a caller who may read a value gets the object from the
//   apiserver by name (through the tunnel, as the caller). Cached objects of these types are therefore
//   not whole: `isRedacted` says which, so the edge never offers one as a basis for a write.
import type { ResourceType } from '../../protocol/kube/index.ts'

type Obj = Record<string, unknown>

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration'

/** Redaction per `group/kind`: returns the object as it may be stored. */
const REDACTIONS: Record<string, (object: Obj) => Obj> = {
  // Values become '' under their keys (the dashboard lists key names); last-applied holds them too.
  '/Secret': (o) => ({ ...withoutLastApplied(o), ...keysOnly(o, 'data'), ...keysOnly(o, 'stringData') }),
  // The salted hash of a token's secret part: nothing a list shows.
  'management.cattle.io/Token': (o) => without(withoutLastApplied(o), 'token'),
  'ext.cattle.io/Token': (o) => withStatus(withoutLastApplied(o), ['expiresAt', 'lastUsedAt', 'current', 'expired', 'lastActivitySeen']),
  // The registration token and the commands that embed it; only its expiry stays.
  'management.cattle.io/ClusterRegistrationToken': (o) => withStatus(withoutLastApplied(o), ['expiresAt']),
}

/** True when the cache keeps objects of this type without their secret values. */
export function isRedacted(type: Pick<ResourceType, 'group' | 'kind'>): boolean {
  return Object.hasOwn(REDACTIONS, `${type.group}/${type.kind}`)
}

/** The object as the cache stores it: no managedFields, and no credential values for redacted types. */
export function storable(type: Pick<ResourceType, 'group' | 'kind'>, object: Obj): Obj {
  const metadata = isObject(object.metadata) ? object.metadata : undefined
  let out: Obj = object
  if (metadata && Object.hasOwn(metadata, 'managedFields')) {
    const { managedFields: _dropped, ...rest } = metadata
    out = { ...object, metadata: rest }
  }
  const redact = REDACTIONS[`${type.group}/${type.kind}`]
  return redact ? redact(out) : out
}

function isObject(value: unknown): value is Obj {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

function without(object: Obj, key: string): Obj {
  if (!Object.hasOwn(object, key)) return object
  const { [key]: _dropped, ...rest } = object
  return rest
}

function keysOnly(object: Obj, key: string): Obj {
  const map = object[key]
  if (!isObject(map)) return {}
  return { [key]: Object.fromEntries(Object.keys(map).map((k) => [k, ''])) }
}

function withoutLastApplied(object: Obj): Obj {
  const metadata = object.metadata
  if (!isObject(metadata) || !isObject(metadata.annotations) || !Object.hasOwn(metadata.annotations, LAST_APPLIED)) return object
  return { ...object, metadata: { ...metadata, annotations: without(metadata.annotations, LAST_APPLIED) } }
}

function withStatus(object: Obj, keep: readonly string[]): Obj {
  const status = object.status
  if (!isObject(status)) return object
  return { ...object, status: Object.fromEntries(Object.entries(status).filter(([k]) => keep.includes(k))) }
}
