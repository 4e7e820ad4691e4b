// The apiserver's Status as one exception type, for both runtimes, with the predicates callers branch on.

/** The fields of a metav1.Status that errors carry. */
export interface Status {
  kind?: string
  status?: string
  code?: number
  reason?: string
  message?: string
  details?: { name?: string; kind?: string; causes?: { reason?: string; message?: string; field?: string }[] }
}

export class KubeError extends Error {
  override name = 'KubeError'
  constructor(
    /** The HTTP status (or, for a watch ERROR event, the Status code). */
    readonly status: number,
    /** The Status reason: NotFound, AlreadyExists, Conflict, Forbidden, Invalid, Expired, … ('' when none). */
    readonly reason: string,
    message: string,
    /** The Status as the server sent it, when it sent one (its `message` is safe to show the caller). */
    readonly body?: Status,
  ) {
    super(message)
  }

  /** From a non-2xx response's text; a body that is not a Status (an edge's error page) is kept as text. */
  static fromResponse(method: string, path: string, status: number, text: string): KubeError {
    let body: Status | undefined
    try {
      const parsed = JSON.parse(text) as unknown
      if (parsed && typeof parsed === 'object') body = parsed as Status
    } catch {
      body = undefined
    }
    const reason = typeof body?.reason === 'string' ? body.reason : ''
    const detail = typeof body?.message === 'string' ? body.message : text.slice(0, 500)
    return new KubeError(status, reason, `${method} ${path.split('?')[0]}: ${status} ${reason} ${detail}`.replace(/\s+/g, ' ').trim(), body)
  }
}

export const isNotFound = (e: unknown): boolean => e instanceof KubeError && e.status === 404
/** 409 of either kind: AlreadyExists (create) or Conflict (stale resourceVersion). */
export const isConflict = (e: unknown): boolean => e instanceof KubeError && e.status === 409 && e.reason !== 'AlreadyExists'
export const isAlreadyExists = (e: unknown): boolean => e instanceof KubeError && e.status === 409 && e.reason === 'AlreadyExists'
export const isForbidden = (e: unknown): boolean => e instanceof KubeError && e.status === 403
/** 410 Gone: the resourceVersion a list or watch asked for is compacted away; relist. */
export const isGone = (e: unknown): boolean => e instanceof KubeError && e.status === 410
