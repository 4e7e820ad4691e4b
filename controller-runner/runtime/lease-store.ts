import { ApiException, CoordinationV1Api, V1MicroTime, type KubeConfig, type Middleware, type V1Lease } from '@kubernetes/client-node'
import { makeApi } from './kube.ts'
import { LeaseConflictError, type LeaseRecord, type LeaseStore } from './leader-election.ts'

/** The per-call AbortSignal, as client-node middleware (the generated clients take no signal argument). */
function signalMiddleware(signal: AbortSignal): Middleware {
  return {
    pre: async (ctx) => (ctx.setSignal(signal), ctx),
    post: async (res) => res,
  }
}

/**
 * A coordination.k8s.io/v1 Lease as the elector's LeaseStore. Updates are PUTs carrying the
 * resourceVersion the elector read, so two candidates racing for an expired Lease cannot both win: the
 * second gets 409 Conflict (LeaseConflictError), like client-go's LeaseLock.
 */
export class KubeLeaseStore implements LeaseStore {
  constructor(
    private readonly kc: KubeConfig,
    readonly namespace: string,
    readonly name: string,
  ) {}

  /** A client per call, each with its own signal (cheap: configuration only, no connection state). */
  private api(signal: AbortSignal): CoordinationV1Api {
    return makeApi(this.kc, CoordinationV1Api, [signalMiddleware(signal)])
  }

  async get(signal: AbortSignal): Promise<{ record: LeaseRecord; resourceVersion: string } | undefined> {
    try {
      const lease = await this.api(signal).readNamespacedLease({ name: this.name, namespace: this.namespace })
      return { record: toRecord(lease), resourceVersion: lease.metadata?.resourceVersion ?? '' }
    } catch (e) {
      if (e instanceof ApiException && e.code === 404) return undefined
      throw e
    }
  }

  async create(record: LeaseRecord, signal: AbortSignal): Promise<string> {
    const body: V1Lease = { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: this.name, namespace: this.namespace }, spec: toSpec(record) }
    try {
      const lease = await this.api(signal).createNamespacedLease({ namespace: this.namespace, body })
      return lease.metadata?.resourceVersion ?? ''
    } catch (e) {
      throw conflict(e)
    }
  }

  async update(record: LeaseRecord, resourceVersion: string, signal: AbortSignal): Promise<string> {
    const body: V1Lease = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: this.name, namespace: this.namespace, resourceVersion },
      spec: toSpec(record),
    }
    try {
      const lease = await this.api(signal).replaceNamespacedLease({ name: this.name, namespace: this.namespace, body })
      return lease.metadata?.resourceVersion ?? ''
    } catch (e) {
      throw conflict(e)
    }
  }
}

function conflict(e: unknown): unknown {
  return e instanceof ApiException && e.code === 409 ? new LeaseConflictError('the Lease changed since it was read') : e
}

/** MicroTime fields must be sent as V1MicroTime: a plain Date serializes with milliseconds, which the apiserver rejects. */
function toSpec(r: LeaseRecord): V1Lease['spec'] {
  return {
    holderIdentity: r.holderIdentity,
    leaseDurationSeconds: r.leaseDurationSeconds,
    acquireTime: new V1MicroTime(r.acquireTime.getTime()),
    renewTime: new V1MicroTime(r.renewTime.getTime()),
    leaseTransitions: r.leaseTransitions,
  }
}

function toRecord(lease: V1Lease): LeaseRecord {
  const s = lease.spec ?? {}
  const date = (d: unknown) => (d instanceof Date ? d : new Date(typeof d === 'string' ? d : 0))
  return {
    holderIdentity: s.holderIdentity ?? '',
    leaseDurationSeconds: s.leaseDurationSeconds ?? 0,
    acquireTime: date(s.acquireTime),
    renewTime: date(s.renewTime),
    leaseTransitions: s.leaseTransitions ?? 0,
  }
}
