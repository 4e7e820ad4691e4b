// The apiserver's error Status, as one exception type with the predicates reconcilers branch on.

export class KubeError extends Error {
  override name = 'KubeError'
  constructor(
    readonly status: number,
    /** The Status reason, e.g. NotFound, AlreadyExists, Conflict, Forbidden, Invalid. */
    readonly reason: string,
    message: string,
  ) {
    super(message)
  }

  static fromResponse(method: string, path: string, status: number, text: string): KubeError {
    let reason = ''
    let detail = text.slice(0, 500)
    try {
      const s = JSON.parse(text) as { reason?: string; message?: string }
      reason = s.reason ?? ''
      detail = s.message ?? detail
    } catch {
      // Not a Status (e.g. an edge error page): keep the text.
    }
    return new KubeError(status, reason, `${method} ${path}: ${status} ${reason} ${detail}`.trim())
  }
}

export const isAlreadyExists = (e: unknown) => e instanceof KubeError && e.status === 409 && e.reason === 'AlreadyExists'
