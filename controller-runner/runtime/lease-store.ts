import { isAlreadyExists, isConflict, LEASE, type KubeClient, type KubeObject } from '../../protocol/kube/index.ts'
import { LeaseConflictError, type LeaseRecord, type LeaseStore } from './leader-election.ts'

interface Lease extends KubeObject {
  spec?: {
    holderIdentity?: string
    leaseDurationSeconds?: number
    /** MicroTime: RFC 3339 with exactly six fractional digits. */
    acquireTime?: string
    renewTime?: string
    leaseTransitions?: number
  }
}

/**
 * A coordination.k8s.io/v1 Lease as the elector's LeaseStore. Updates are PUTs carrying the
 * resourceVersion the elector read, so two candidates racing for an expired Lease cannot both win: the
 * second gets 409 Conflict (LeaseConflictError), like client-go's LeaseLock. The client must not be the
 * leader-guarded one (the Lease is how leadership is won); every call carries the elector's signal,
 * which includes a timeout.
 */
export class KubeLeaseStore implements LeaseStore {
  constructor(
    private readonly client: KubeClient,
    readonly namespace: string,
    readonly name: string,
  ) {}

  async get(signal: AbortSignal): Promise<{ record: LeaseRecord; resourceVersion: string } | undefined> {
    const lease = await this.client.find<Lease>(LEASE, this.name, this.namespace, { signal })
    return lease ? { record: toRecord(lease), resourceVersion: lease.metadata.resourceVersion ?? '' } : undefined
  }

  async create(record: LeaseRecord, signal: AbortSignal): Promise<string> {
    try {
      const lease = await this.client.create<Lease>(LEASE, this.lease(record), { signal })
      return lease.metadata.resourceVersion ?? ''
    } catch (e) {
      throw conflict(e)
    }
  }

  async update(record: LeaseRecord, resourceVersion: string, signal: AbortSignal): Promise<string> {
    const lease = this.lease(record)
    lease.metadata.resourceVersion = resourceVersion
    try {
      return (await this.client.update<Lease>(LEASE, lease, { signal })).metadata.resourceVersion ?? ''
    } catch (e) {
      throw conflict(e)
    }
  }

  private lease(r: LeaseRecord): Lease {
    return {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: this.name, namespace: this.namespace },
      spec: {
        holderIdentity: r.holderIdentity,
        leaseDurationSeconds: r.leaseDurationSeconds,
        acquireTime: microTime(r.acquireTime),
        renewTime: microTime(r.renewTime),
        leaseTransitions: r.leaseTransitions,
      },
    }
  }
}

/** 409 either way: created meanwhile (AlreadyExists) or changed since it was read (Conflict). */
function conflict(e: unknown): unknown {
  return isConflict(e) || isAlreadyExists(e) ? new LeaseConflictError('the Lease changed since it was read') : e
}

/** metav1.MicroTime's wire format, `2006-01-02T15:04:05.000000Z`: the apiserver rejects milliseconds. */
export function microTime(d: Date): string {
  return d.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z')
}

function toRecord(lease: Lease): LeaseRecord {
  const s = lease.spec ?? {}
  return {
    holderIdentity: s.holderIdentity ?? '',
    leaseDurationSeconds: s.leaseDurationSeconds ?? 0,
    acquireTime: parseTime(s.acquireTime),
    renewTime: parseTime(s.renewTime),
    leaseTransitions: s.leaseTransitions ?? 0,
  }
}

/** A MicroTime (or any RFC 3339 time); the epoch when missing or unreadable, which reads as long expired. */
function parseTime(s: string | undefined): Date {
  const ms = Date.parse(s ?? '')
  return new Date(Number.isFinite(ms) ? ms : 0)
}
