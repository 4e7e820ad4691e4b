// What the extension server's HTTP layer (server/) asks of a resource: its discovery entry and handlers.
// The layer authenticates the front proxy, authorizes the original user (SubjectAccessReview against the
// management cluster) and parses JSON before a handler runs; a handler sees only a checked request.
import type { ResourceType } from '../../protocol/kube/resource.ts'

/** The user the aggregator vouches for (front-proxy headers `X-Remote-User`, `-Group`, `-Extra-*`). */
export interface RequestUser {
  name: string
  groups: string[]
  extra: Record<string, string[]>
}

export interface CreateRequest {
  /** The parsed JSON body (untrusted: the handler validates it). */
  body: unknown
  user: RequestUser
  /** `?dryRun=All` */
  dryRun: boolean
  signal: AbortSignal
}

/** A named object: `GET`, `DELETE` (`?dryRun=All` for delete). */
export interface ObjectRequest {
  name: string
  user: RequestUser
  dryRun: boolean
  signal: AbortSignal
}

/** `PUT` (or a merge `PATCH`, applied by the HTTP layer to what `get` answers): the whole new object. */
export interface UpdateRequest extends ObjectRequest {
  /** Untrusted: the handler validates it. */
  body: unknown
}

/** `GET` on the collection; a resource that cannot filter refuses selectors with a 400. */
export interface ListRequest {
  user: RequestUser
  /** Only `metadata.name=<name>` (what `kubectl delete --wait` and `kubectl get <name> -w` send) is understood. */
  fieldSelector?: string
  labelSelector?: string
  signal: AbortSignal
}

/** A Kubernetes `Status` failure: the HTTP layer answers `{kind: 'Status', status: 'Failure', code, reason, message}`. */
export class StatusError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
  ) {
    super(message)
  }
}

export interface ExtResource {
  type: ResourceType
  /** Discovery verbs; requests with other verbs get 405 MethodNotAllowed. */
  verbs: readonly string[]
  /** `POST` to the collection: the object to answer with (201). */
  create?(req: CreateRequest): Promise<unknown>
  /** The object (200); a StatusError 404 for one that does not exist or the caller may not see. */
  get?(req: ObjectRequest): Promise<unknown>
  /** The items the caller may see (the layer wraps them in a `<Kind>List`). */
  list?(req: ListRequest): Promise<unknown[]>
  /** The updated object (200). */
  update?(req: UpdateRequest): Promise<unknown>
  /** The deleted object (200). */
  delete?(req: ObjectRequest): Promise<unknown>
}
