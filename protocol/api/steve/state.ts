/**
 * `metadata.state` of a Steve resource: `{name, error, transitioning, message}`, by the rules of
 * Rancher's summary (wrangler `pkg/summary`), applied in its order so the dashboard shows what it
 * shows under Rancher:
 *  1. `status.display` / `status.summary` maps, when an object carries its own summary.
 *  2. Error conditions: per kind (Node pressure conditions True; Deployment `ReplicaFailure` True or
 *     `Progressing` False; ReplicaSet `ReplicaFailure` True), else `Stalled`/`Failed` True; any
 *     condition with reason `Error`. The state becomes `error` unless one is set.
 *  3. Transitioning conditions: a known "step" condition (`PodScheduled` → scheduling,
 *     `Initialized` → initializing, …) False is an error in that step, Unknown is the step in progress;
 *     `Reconciling` True is in progress; `Completed`/`Available` False are in progress, Unknown an error;
 *     `Ready` False, if nothing else said, is `unavailable` (transitioning), Ready Unknown an error.
 *  4. `spec.active`; then `status.phase` (`Succeeded` → succeeded and `Bound` → bound always win,
 *     other phases when nothing else was said: a Running pod is `running`, a namespace `active`).
 *  5. Deletion: a `deletionTimestamp` makes it `removing`, "waiting on" its first finalizer, and an
 *     error once five minutes have passed (wrangler's rule for Norman's `removed`, applied to the field
 *     Kubernetes has).
 *  6. Otherwise the standard status (kstatus.ts): `active`, `in-progress`, `failed` or `removing`,
 *     with its message ("Resource is current", "Deployment is available. Replicas: 3", …).
 *  7. A LoadBalancer Service without an address is `pending`.
 * The name is lower case, messages are trimmed, de-duplicated and joined with ":" (as Steve does).
 * Left out: Rancher's own types (clusters, CAPI machines), which have summarizers of their own.
 */
import { at, conditionsOf, standardStatus, text, type Condition } from './kstatus.ts'

export interface SteveState {
  name: string
  error: boolean
  transitioning: boolean
  message: string
}

interface Summary {
  state: string
  error: boolean
  transitioning: boolean
  messages: string[]
}

/** True → fine, False → error in this step, Unknown → the step is under way. */
const STEP_CONDITIONS: Record<string, string> = {
  Active: 'activating', AddonDeploy: 'provisioning', AgentDeployed: 'provisioning', BackingNamespaceCreated: 'configuring',
  Built: 'building', CertsGenerated: 'provisioning', ConfigOK: 'configuring', Created: 'creating',
  CreatorMadeOwner: 'configuring', DefaultNamespaceAssigned: 'configuring', DefaultNetworkPolicyCreated: 'configuring',
  DefaultProjectCreated: 'configuring', DockerProvisioned: 'provisioning', Deployed: 'deploying', Drained: 'draining',
  Downloaded: 'downloading', etcd: 'provisioning', Inactive: 'deactivating', Initialized: 'initializing',
  Installed: 'installing', NodesCreated: 'provisioning', Pending: 'pending', PodScheduled: 'scheduling',
  Provisioned: 'provisioning', Reconciled: 'reconciling', Refreshed: 'refreshed', Registered: 'registering',
  Removed: 'removing', Saved: 'saving', Updated: 'updating', Updating: 'updating', Upgraded: 'upgrading',
  Waiting: 'waiting', InitialRolesPopulated: 'activating', ScalingActive: 'pending', AbleToScale: 'pending',
  RunCompleted: 'running', Processed: 'processed',
}
/** True → fine, False → under way, Unknown → error. */
const SETTLING_CONDITIONS: Record<string, string> = { Completed: 'activating', Ready: 'unavailable', Available: 'updating', MachinesReady: 'updating' }

/** Condition types whose listed statuses are errors, by apiVersion and kind; the fallback for all others. */
const ERROR_CONDITIONS: Record<string, Record<string, string[]>> = {
  'helm.cattle.io/v1 HelmChart': { JobCreated: [], Failed: ['True'] },
  'v1 Node': { OutOfDisk: ['True'], MemoryPressure: ['True'], DiskPressure: ['True'], NetworkUnavailable: ['True'] },
  'apps/v1 Deployment': { ReplicaFailure: ['True'], Progressing: ['False'] },
  'apps/v1 ReplicaSet': { ReplicaFailure: ['True'] },
}
const FALLBACK_ERROR_CONDITIONS: Record<string, string[]> = { Stalled: ['True'], Failed: ['True'] }

const REMOVING_ERROR_AFTER_MS = 5 * 60_000

/** The state of a raw Kubernetes object; `now` (ms) decides whether a deletion has been stuck too long. */
export function objectState(object: Record<string, unknown>, now: number = Date.now()): SteveState {
  const conditions = conditionsOf(object)
  let summary: Summary = { state: '', error: false, transitioning: false, messages: [] }
  summary = ownSummary(object, summary)
  summary = errorConditions(object, conditions, summary)
  summary = transitioningConditions(conditions, summary)
  summary = activeAndPhase(object, summary)
  summary = removing(object, conditions, summary, now)
  summary = standard(object, summary)
  summary = loadBalancer(object, summary)
  const messages = [...new Set(summary.messages.map((message) => message.trim()).filter((message) => message !== ''))]
  return { name: (summary.state || 'active').toLowerCase(), error: summary.error, transitioning: summary.transitioning, message: messages.join(':') }
}

function ownSummary(object: Record<string, unknown>, summary: Summary): Summary {
  const own = [at(object, 'status', 'display'), at(object, 'status', 'summary')].find(
    (value): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length > 0,
  )
  if (!own) return summary
  const next = { ...summary, messages: [...summary.messages] }
  if ('state' in own) next.state = text(own, 'state')
  if ('transitioning' in own) next.transitioning = own.transitioning === true || own.transitioning === 'true'
  if ('error' in own) next.error = own.error === true || own.error === 'true'
  if ('message' in own) next.messages.push(text(own, 'message'))
  return next
}

function errorConditions(object: Record<string, unknown>, conditions: Condition[], summary: Summary): Summary {
  const mapping = ERROR_CONDITIONS[`${text(object, 'apiVersion')} ${text(object, 'kind')}`] ?? FALLBACK_ERROR_CONDITIONS
  const next = { ...summary, messages: [...summary.messages] }
  for (const c of conditions) {
    if (c.reason === 'Error' || mapping[c.type]?.includes(c.status)) {
      next.error = true
      next.messages.push(c.message)
      if (next.state === 'active' || next.state === '') next.state = 'error'
    }
  }
  return next
}

function transitioningConditions(conditions: Condition[], summary: Summary): Summary {
  const next = { ...summary, messages: [...summary.messages] }
  const set = (state: string, flag: 'error' | 'transitioning', message: string): void => {
    next.state = state
    next[flag] = true
    next.messages.push(message)
  }
  for (const c of conditions) {
    const step = STEP_CONDITIONS[c.type]
    if (step === undefined) continue
    if (c.status === 'False') set(step, 'error', c.message)
    else if (c.status === 'Unknown' && next.state === '') set(step, 'transitioning', c.message)
  }
  for (const c of conditions) {
    if (next.state !== '') break
    if (c.type === 'Reconciling' && c.status === 'True') set('reconciling', 'transitioning', c.message)
  }
  let notReady: Condition | undefined
  for (const c of conditions) {
    if (next.state !== '') break
    if (c.type === 'Ready' && c.status === 'False') {
      notReady = c
      continue
    }
    const settling = SETTLING_CONDITIONS[c.type]
    if (settling === undefined) continue
    if (c.status === 'False') set(settling, 'transitioning', c.message)
    else if (c.status === 'Unknown') set(settling, 'error', c.message)
  }
  if (next.state === '' && notReady) set('unavailable', 'transitioning', notReady.message)
  return next
}

function activeAndPhase(object: Record<string, unknown>, summary: Summary): Summary {
  const next = { ...summary }
  const active = text(object, 'spec', 'active')
  if (next.state === '' && (active === 'true' || active === 'false')) next.state = active === 'true' ? 'active' : 'inactive'
  const phase = text(object, 'status', 'phase')
  if (phase === 'Succeeded' || phase === 'Bound') {
    next.state = phase === 'Succeeded' ? 'succeeded' : 'bound'
    next.transitioning = false
  } else if (phase !== '' && next.state === '') {
    next.state = phase
  }
  return next
}

function removing(object: Record<string, unknown>, conditions: Condition[], summary: Summary, now: number): Summary {
  const since = text(object, 'metadata', 'deletionTimestamp')
  if (since === '') return summary
  const next = { ...summary, state: 'removing', transitioning: true, messages: [...summary.messages] }
  for (const c of conditions) {
    if (c.type === 'Removed' && (c.status === 'Unknown' || c.status === 'False') && c.message !== '') next.messages.push(c.message)
  }
  const finalizers = at(object, 'metadata', 'finalizers')
  const first = Array.isArray(finalizers) && typeof finalizers[0] === 'string' ? finalizers[0] : undefined
  if (first === undefined) return next
  const name = first.split('controller.cattle.io/').pop() as string
  next.messages.push(`waiting on ${name === 'foregroundDeletion' ? 'object cleanup' : name}`)
  const started = Date.parse(since)
  if (Number.isFinite(started) && started + REMOVING_ERROR_AFTER_MS < now) next.error = true
  return next
}

function standard(object: Record<string, unknown>, summary: Summary): Summary {
  if (summary.state !== '') return summary
  const result = standardStatus(object)
  const next = { ...summary, messages: [...summary.messages, result.message] }
  if (result.status === 'InProgress') return { ...next, state: 'in-progress', transitioning: true }
  if (result.status === 'Failed') return { ...next, state: 'failed', error: true }
  if (result.status === 'Terminating') return { ...next, state: 'removing', transitioning: true }
  return { ...next, state: 'active' }
}

function loadBalancer(object: Record<string, unknown>, summary: Summary): Summary {
  if (summary.state !== 'active' && summary.state !== '') return summary
  if (text(object, 'kind') !== 'Service' || text(object, 'spec', 'type') !== 'LoadBalancer') return summary
  const ingress = at(object, 'status', 'loadBalancer', 'ingress')
  if (Array.isArray(ingress) && ingress.length > 0) return summary
  return { ...summary, state: 'pending', transitioning: true, messages: [...summary.messages, 'Load balancer is being provisioned'] }
}
