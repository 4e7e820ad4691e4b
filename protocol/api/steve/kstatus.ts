/**
 * The "standard" status of an object (the rules of kstatus, sigs.k8s.io/cli-utils, that Rancher's
 * summary consults last): is the controller done with it (Current), still at work (InProgress), stuck
 * (Failed), or is it being deleted (Terminating). state.ts turns this into `active`, `in-progress`,
 * `failed` or `removing`. Only the kinds whose rules differ from "current once observed" have them here.
 */
export type StandardStatus = 'Current' | 'InProgress' | 'Failed' | 'Terminating'

export interface StandardResult {
  status: StandardStatus
  message: string
}

type Obj = Record<string, unknown>

export function at(object: unknown, ...path: string[]): unknown {
  let value = object
  for (const key of path) {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined
    value = (value as Obj)[key]
  }
  return value
}

export function text(object: unknown, ...path: string[]): string {
  const value = at(object, ...path)
  return typeof value === 'string' ? value : typeof value === 'number' || typeof value === 'boolean' ? String(value) : ''
}

function int(object: unknown, fallback: number, ...path: string[]): number {
  const value = at(object, ...path)
  return typeof value === 'number' && Number.isFinite(value) ? value : fallback
}

export interface Condition {
  type: string
  status: string
  reason: string
  message: string
}

export function conditionsOf(object: unknown): Condition[] {
  const list = at(object, 'status', 'conditions')
  if (!Array.isArray(list)) return []
  return list
    .filter((entry): entry is Obj => entry !== null && typeof entry === 'object')
    .map((entry) => ({ type: text(entry, 'type'), status: text(entry, 'status'), reason: text(entry, 'reason'), message: text(entry, 'message') }))
}

const inProgress = (message: string): StandardResult => ({ status: 'InProgress', message })
const current = (message: string): StandardResult => ({ status: 'Current', message })

export function standardStatus(object: Obj): StandardResult {
  if (at(object, 'metadata', 'deletionTimestamp')) return { status: 'Terminating', message: 'Resource scheduled for deletion' }
  const kind = text(object, 'kind')
  const generation = at(object, 'metadata', 'generation')
  const observed = at(object, 'status', 'observedGeneration')
  if (typeof generation === 'number' && typeof observed === 'number' && observed !== generation) {
    return inProgress(`${kind} generation is ${generation}, but latest observed generation is ${observed}`)
  }
  const conditions = conditionsOf(object)
  const reconciling = conditions.find((c) => c.type === 'Reconciling' && c.status === 'True')
  if (reconciling) return inProgress(reconciling.message)
  const stalled = conditions.find((c) => c.type === 'Stalled' && c.status === 'True')
  if (stalled) return { status: 'Failed', message: stalled.message }
  const group = text(object, 'apiVersion').split('/').slice(0, -1).join('/')
  const rules = group === 'apps' ? APPS[kind] : group === 'batch' && kind === 'Job' ? job : group === '' ? CORE[kind] : undefined
  return rules ? rules(object, conditions) : current('Resource is current')
}

type Rules = (object: Obj, conditions: Condition[]) => StandardResult

const deployment: Rules = (object, conditions) => {
  if (conditions.some((c) => c.type === 'Progressing' && c.status === 'False' && c.reason === 'ProgressDeadlineExceeded')) {
    return { status: 'Failed', message: 'Progress deadline exceeded' }
  }
  const spec = int(object, 1, 'spec', 'replicas')
  const replicas = int(object, 0, 'status', 'replicas')
  const updated = int(object, 0, 'status', 'updatedReplicas')
  const ready = int(object, 0, 'status', 'readyReplicas')
  const available = int(object, 0, 'status', 'availableReplicas')
  if (spec > replicas) return inProgress(`Replicas: ${replicas}/${spec}`)
  if (spec > updated) return inProgress(`Updated: ${updated}/${spec}`)
  if (replicas > spec) return inProgress(`Pending termination: ${replicas - spec}`)
  if (updated > available) return inProgress(`Available: ${available}/${updated}`)
  if (spec > ready) return inProgress(`Ready: ${ready}/${spec}`)
  const progressing =
    at(object, 'spec', 'progressDeadlineSeconds') === undefined ||
    conditions.some((c) => c.type === 'Progressing' && c.status === 'True' && c.reason === 'NewReplicaSetAvailable')
  if (!progressing) return inProgress('ReplicaSet not Available')
  if (!conditions.some((c) => c.type === 'Available' && c.status === 'True')) return inProgress('Deployment not Available')
  return current(`Deployment is available. Replicas: ${replicas}`)
}

const statefulSet: Rules = (object) => {
  if (text(object, 'spec', 'updateStrategy', 'type') === 'OnDelete') return current('StatefulSet is using the ondelete update strategy')
  const spec = int(object, 1, 'spec', 'replicas')
  const replicas = int(object, 0, 'status', 'replicas')
  const ready = int(object, 0, 'status', 'readyReplicas')
  const currentReplicas = int(object, 0, 'status', 'currentReplicas')
  const updated = int(object, 0, 'status', 'updatedReplicas')
  if (spec > replicas) return inProgress(`Replicas: ${replicas}/${spec}`)
  if (spec > ready) return inProgress(`Ready: ${ready}/${spec}`)
  const partition = int(object, -1, 'spec', 'updateStrategy', 'rollingUpdate', 'partition')
  if (partition !== -1) {
    if (updated < spec - partition) return inProgress(`updated: ${updated}/${spec - partition}`)
    return current(`Partitioned roll out complete. updated: ${updated}/${spec - partition}`)
  }
  if (spec > currentReplicas) return inProgress(`current: ${currentReplicas}/${spec}`)
  if (text(object, 'status', 'currentRevision') !== text(object, 'status', 'updateRevision')) {
    return inProgress('Waiting for updated revision to match current')
  }
  return current(`All replicas scheduled as expected. Replicas: ${replicas}`)
}

const daemonSet: Rules = (object) => {
  const desired = at(object, 'status', 'desiredNumberScheduled')
  if (typeof desired !== 'number') return inProgress('Missing .status.desiredNumberScheduled')
  const scheduled = int(object, 0, 'status', 'currentNumberScheduled')
  const updated = int(object, 0, 'status', 'updatedNumberScheduled')
  const available = int(object, 0, 'status', 'numberAvailable')
  const ready = int(object, 0, 'status', 'numberReady')
  if (desired > scheduled) return inProgress(`Current: ${scheduled}/${desired}`)
  if (desired > updated) return inProgress(`Updated: ${updated}/${desired}`)
  if (desired > available) return inProgress(`Available: ${available}/${desired}`)
  if (desired > ready) return inProgress(`Ready: ${ready}/${desired}`)
  return current(`All replicas scheduled as expected. Replicas: ${desired}`)
}

const replicaSet: Rules = (object, conditions) => {
  const spec = int(object, 1, 'spec', 'replicas')
  const labeled = int(object, 0, 'status', 'fullyLabeledReplicas')
  const available = int(object, 0, 'status', 'availableReplicas')
  const ready = int(object, 0, 'status', 'readyReplicas')
  if (conditions.some((c) => c.type === 'ReplicaFailure' && c.status === 'True')) return inProgress('Replica Failure condition. Check Pods')
  if (spec > labeled) return inProgress(`Labelled: ${labeled}/${spec}`)
  if (spec > available) return inProgress(`Available: ${available}/${spec}`)
  if (spec > ready) return inProgress(`Ready: ${ready}/${spec}`)
  return current(`ReplicaSet is available. Replicas: ${spec}`)
}

const job: Rules = (object, conditions) => {
  const parallelism = int(object, 1, 'spec', 'parallelism')
  const completions = int(object, parallelism, 'spec', 'completions')
  const succeeded = int(object, 0, 'status', 'succeeded')
  const active = int(object, 0, 'status', 'active')
  const failed = int(object, 0, 'status', 'failed')
  if (conditions.some((c) => c.type === 'Complete' && c.status === 'True')) return current(`Job Completed. succeeded: ${succeeded}/${completions}`)
  if (conditions.some((c) => c.type === 'Failed' && c.status === 'True')) return { status: 'Failed', message: `Job Failed. failed: ${failed}/${completions}` }
  return inProgress(`Job in progress. success:${succeeded}, active: ${active}, failed: ${failed}`)
}

const pod: Rules = (object, conditions) => {
  const phase = text(object, 'status', 'phase')
  if (phase === 'Succeeded') return current('Pod has completed successfully')
  if (phase === 'Failed') return { status: 'Failed', message: 'Pod has completed, but not successfully' }
  if (phase === 'Running' && conditions.some((c) => c.type === 'Ready' && c.status === 'True')) return current('Pod is Ready')
  return inProgress(phase === 'Running' ? 'Pod is running but is not Ready' : 'Pod is in the Pending phase')
}

const pvc: Rules = (object) => {
  const phase = text(object, 'status', 'phase')
  return phase === 'Bound' ? current('PVC is Bound') : inProgress(`PVC is not Bound. phase: ${phase}`)
}

const APPS: Record<string, Rules> = { Deployment: deployment, StatefulSet: statefulSet, DaemonSet: daemonSet, ReplicaSet: replicaSet }
const CORE: Record<string, Rules> = { Pod: pod, PersistentVolumeClaim: pvc }
