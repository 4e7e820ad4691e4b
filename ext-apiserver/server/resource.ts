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
}
