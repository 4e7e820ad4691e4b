// The contract between the runtime (queue, informers, leader election, controller loop) and the
// reconcilers, in controller-runtime's shape: a reconcile gets an identity, never an event, and reads the
// full current state from the caches each time (level-based).

import type { Logger } from 'pino'
import type { KubeClient, KubeObject, ResourceType, Transport } from '../../protocol/kube/index.ts'
// Time as an interface, so leases, backoff and requeues are testable without sleeping (the tunnel's own).
import { systemClock, type Clock } from '../../protocol/tunnel/clock.ts'

export { systemClock, type Clock }
export { NotLeaderError } from '../../protocol/kube/index.ts'

/** What to reconcile: the object's identity. Cluster-scoped kinds leave `namespace` undefined. */
export interface Request {
  namespace?: string
  name: string
}

/** `requeueAfter` (ms): come back later even without a change. Nothing: done until the next event. */
export interface Result {
  requeueAfter?: number
}

export interface Reconciler {
  reconcile(req: Request): Promise<Result | void>
}

/** Thrown by a reconciler when retrying cannot help (bad spec): logged and counted, not requeued. */
export class TerminalError extends Error {
  override name = 'TerminalError'
}

/** A read-only view of an informer's store. */
export interface Cache<T> {
  get(name: string, namespace?: string): T | undefined
  list(namespace?: string): T[]
  /** True once the first list has been stored. */
  synced(): boolean
}

// ---- Registration seam: the specs `buildReconcilers(ctx)` in controller-runner/reconcilers/index.ts returns. ----

/** A secondary type whose changes enqueue requests for the controller (a Secret → its Cluster). */
export interface Watch<T extends KubeObject = KubeObject> {
  type: ResourceType
  map(obj: T): Request[]
}

export interface ControllerSpec {
  /** Names the controller in logs and metrics (`[a-z0-9-]+`). */
  name: string
  /** The primary type: each of its changes enqueues its own namespace/name. */
  type: ResourceType
  reconciler: Reconciler
  watches?: Watch[]
  /** Concurrent reconciles (different keys only; one key is never reconciled twice at once). Default 1. */
  workers?: number
}

/** Clients through the edge (`--edge-url`), their writes leader-guarded like the management client's. */
export interface EdgeClients {
  /** Downstream cluster `id`'s API (`<edge>/k8s/clusters/<id>`), as `system:drover:runner`. */
  cluster(id: string): KubeClient
  /** The edge's own API (`/v3/connect/<id>`, `/v3/system/...`). */
  api: Transport
}

/** What a runner's wiring gets (`drover runner` narrows it with `fromControllerContext`). */
export interface ControllerContext {
  /** The informer cache of a type: one per type, shared by all controllers, running on every replica. */
  cache<T extends KubeObject>(type: ResourceType): Cache<T>
  /** The management cluster. Every write is leader-guarded at the moment it is sent (see write-guard.ts). */
  client: KubeClient
  /** Undefined without `--edge-url`: downstream clusters are then unreachable. */
  edge?: EdgeClients
  /** This replica's leader-election identity (`<hostname>_<uuid>`). */
  identity: string
  /** `--server-url`: the public URL of the edge, for manifest URLs. */
  serverUrl?: string
  logger: Logger
  clock: Clock
}

/** `--edge-url` / `--edge-token` / `--edge-ca`. */
export type { EdgeAccess as EdgeConfig } from '../../node/kube/index.ts'
