// The contract between the runtime (queue, informers, leader election, controller loop) and the
// reconcilers, in controller-runtime's shape: a reconcile gets an identity, never an event, and reads the
// full current state from the caches each time (level-based).

import type { Configuration, KubeConfig } from '@kubernetes/client-node'
// Time as an interface, so leases, backoff and requeues are testable without sleeping (the tunnel's own).
import { systemClock, type Clock } from '../../protocol/tunnel/clock.ts'

export { systemClock, type Clock }
import type { Logger } from 'pino'

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

/** A Kubernetes resource type, addressed the way the API paths need it. `group: ''` is the core group. */
export interface Kind {
  group: string
  version: string
  plural: string
  namespaced: boolean
}

/** The minimum the runtime reads from an object: its identity. Any Kubernetes object type fits. */
export interface HasMeta {
  metadata?: { name?: string; namespace?: string }
}

/** A secondary kind whose changes enqueue requests for the controller's own kind (a Secret → its Cluster). */
export interface Watch<T extends HasMeta = HasMeta> {
  kind: Kind
  map(obj: T): Request[]
}

export interface ControllerSpec {
  /** Names the controller in logs and metrics (`[a-z0-9-]+`). */
  name: string
  /** The primary kind: each of its changes enqueues its own namespace/name. */
  kind: Kind
  reconciler: Reconciler
  watches?: Watch[]
  /** Concurrent reconciles (different keys only; one key is never reconciled twice at once). Default 1. */
  workers?: number
}

/** Leadership as the reconcilers see it; every mutating call through `ControllerContext.api` goes through it. */
export interface WriteGuard {
  /** True while this replica leads and its last successful renewal was sent less than renewDeadline ago. */
  fresh(): boolean
  /** Aborted the moment the current leadership term ends (already aborted when not leading). */
  signal(): AbortSignal
  /** Runs a write that is not a client-node API call: only when fresh(), else throws NotLeaderError. */
  guard<T>(fn: (signal: AbortSignal) => Promise<T>): Promise<T>
}

/** Thrown instead of sending a write when this replica is not (or no longer surely) the leader. */
export class NotLeaderError extends Error {
  override name = 'NotLeaderError'
}

/** A client-node generated API class (`CoreV1Api`, `CustomObjectsApi`, `KubernetesObjectApi`, …). */
export type ApiConstructor<T> = new (configuration: Configuration) => T

/** What a runner's wiring gets (`drover runner` narrows it with `fromControllerContext`): caches, guarded clients and the runner's settings. */
export interface ControllerContext {
  /** The informer cache of a kind: one per kind, shared by all controllers, running on every replica. */
  cache<T extends HasMeta>(kind: Kind): Cache<T>
  /** A client for the management cluster whose mutating calls are leader-guarded (see write-guard.ts). */
  api<T>(type: ApiConstructor<T>): T
  writes: WriteGuard
  /** This replica's leader-election identity (`<hostname>_<uuid>`). */
  identity: string
  /** The management cluster's config, for reads a cache cannot serve. Write through `api()` only. */
  kubeConfig: KubeConfig
  /** `--server-url`: the public URL of the edge, for manifest URLs. */
  serverUrl?: string
  /** `--edge-url` / `--edge-token` / `--edge-ca`: how the runner reaches downstream clusters. */
  edge?: EdgeConfig
  logger: Logger
  clock: Clock
}

export interface EdgeConfig {
  url: string
  token: string
  /** PEM of the CA the edge's certificate chains to, when it is not a public one. */
  ca?: string
}
