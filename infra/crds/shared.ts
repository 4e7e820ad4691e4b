// Pieces that several kinds share. Each is one object, referenced, never copied: the TypeScript renderer
// turns a titled piece into one exported type and fails if two different pieces share a title.
import { bool, enumOf, int64, list, named, obj, str, stringMap, strings, type Schema } from './schema.ts'

const conditionCore = {
  type: str('Condition type, e.g. Ready or Connected.'),
  status: enumOf(['True', 'False', 'Unknown']),
}
const conditionDetail = {
  lastTransitionTime: str('When status last changed (RFC 3339).'),
  reason: str('Machine-readable, CamelCase reason for the last transition.'),
  message: str('Human-readable detail.'),
}

// Rancher's own condition shape (Norman types), used by most management kinds.
export const condition: Schema = named('Condition', {
  ...obj({
    ...conditionCore,
    lastUpdateTime: str('When the condition was last probed (RFC 3339).'),
    ...conditionDetail,
  }),
  required: ['type', 'status'],
})

// metav1.Condition, which Rancher uses for the newer role and binding statuses.
export const metaCondition: Schema = named('MetaCondition', {
  ...obj({ ...conditionCore, observedGeneration: int64(), ...conditionDetail }),
  required: ['type', 'status'],
})

export const conditions = list(condition)

export const conditionsStatus = obj({ conditions })

export const policyRule: Schema = named('PolicyRule', {
  ...obj({
    verbs: strings(),
    apiGroups: strings(),
    resources: strings(),
    resourceNames: strings(),
    nonResourceURLs: strings(),
  }),
  required: ['verbs'],
})

export const policyRules = (description?: string): Schema => list(policyRule, description)

// A principal is an identity at an auth provider; its id (e.g. `local://u-abcde`) is metadata.name.
export const principal: Schema = named('Principal', obj({
  metadata: obj({ name: str('Principal id, `<provider>_<kind>://<id>` or `local://<user>`.') }),
  displayName: str(),
  loginName: str(),
  profilePicture: str(),
  profileURL: str(),
  principalType: str('user or group.'),
  me: bool(),
  memberOf: bool(),
  provider: str(),
  extraInfo: stringMap(),
}))

// core/v1 ResourceList: quantities by resource name, always serialised as strings.
export const resources: Schema = named('ResourceList', stringMap('Quantities by resource name, e.g. {"cpu": "4"}.'))

export const envVar: Schema = named('EnvVar', { ...obj({ name: str(), value: str() }), required: ['name'] })

// k8s.io/apimachinery version.Info, as served by a cluster's /version.
export const versionInfo: Schema = named('VersionInfo', obj({
  major: str(),
  minor: str(),
  gitVersion: str(),
  gitCommit: str(),
  gitTreeState: str(),
  buildDate: str(),
  goVersion: str(),
  compiler: str(),
  platform: str(),
}))

// Role bindings are applied twice: as RBAC in the management cluster (local) and in the downstream
// cluster (remote); each side reports its own conditions.
export const bindingStatus: Schema = named('BindingStatus', obj({
  observedGenerationLocal: int64(),
  observedGenerationRemote: int64(),
  lastUpdateTime: str(),
  summary: str('Completed, InProgress or Error, over both sides.'),
  summaryLocal: str(),
  summaryRemote: str(),
  localConditions: list(metaCondition),
  remoteConditions: list(metaCondition),
}))
