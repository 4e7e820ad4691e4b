// What the runner may adopt and delete: only namespaces and ClusterRoles that carry its owner label from
// their creation. A name that is already taken by something else is refused — terminal, with a Warning
// event — never merged into (a Cluster or Project named after `cattle-system` must not capture it).
import { TerminalError } from '../runtime/types.ts'
import { EVENT, isAlreadyExists, NAMESPACE, type KubeClient, type KubeObject } from '../../protocol/kube/index.ts'
import { labels, OWNER_LABELS } from './meta.ts'

type Owner = keyof typeof OWNER_LABELS

export const ownedBy = (obj: KubeObject | undefined, owner: Owner, value: string): boolean => obj?.metadata.labels?.[OWNER_LABELS[owner]] === value

/** A Warning event on `about` (cluster-scoped objects' events live in `default`), then a TerminalError. */
export async function refuse(client: KubeClient, about: KubeObject & { apiVersion?: string; kind?: string }, reason: string, message: string): Promise<never> {
  const ns = about.metadata.namespace ?? 'default'
  const now = new Date().toISOString()
  await client
    .create(EVENT, {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { generateName: `${about.metadata.name}.`, namespace: ns },
      involvedObject: { apiVersion: about.apiVersion, kind: about.kind, name: about.metadata.name, namespace: about.metadata.namespace, uid: about.metadata.uid },
      reason,
      message,
      type: 'Warning',
      source: { component: 'drover-controller-runner' },
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
    } as KubeObject)
    .catch(() => {}) // the refusal stands whether or not the event could be written
  throw new TerminalError(`${about.kind} ${about.metadata.namespace ? `${about.metadata.namespace}/` : ''}${about.metadata.name}: ${message}`)
}

/**
 * The namespace `name`, created with the owner label if missing. One that exists without this owner's
 * label belongs to someone else: refused. Labels are only ever set at creation, and the management
 * cluster's admission policy lets nobody but the runner set them. `likelyMissing` (a new owner): create
 * first and read only when it exists, which saves a request per new object.
 */
export async function ensureOwnedNamespace(client: KubeClient, about: KubeObject & { apiVersion?: string; kind?: string }, name: string, owner: Owner, value: string, opts: { likelyMissing?: boolean } = {}): Promise<void> {
  const existing = opts.likelyMissing ? undefined : await client.find<KubeObject>(NAMESPACE, name)
  if (existing && ownedBy(existing, owner, value)) return
  if (!existing) {
    try {
      await client.create(NAMESPACE, { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: labels(owner, value) } } as KubeObject)
      return
    } catch (err) {
      if (!isAlreadyExists(err)) throw err
      if (ownedBy(await client.find<KubeObject>(NAMESPACE, name), owner, value)) return
    }
  }
  await refuse(client, about, 'NamespaceTaken', `namespace ${name} already exists and was not created for this ${about.kind}; it is left alone`)
}

/** Deletes the namespace only when it carries this owner's label (it was created for the owner). */
export async function deleteOwnedNamespace(client: KubeClient, name: string, owner: Owner, value: string): Promise<void> {
  const ns = await client.find<KubeObject>(NAMESPACE, name)
  if (ns && ownedBy(ns, owner, value)) await client.delete(NAMESPACE, name, { preconditions: { uid: ns.metadata.uid! } })
}
