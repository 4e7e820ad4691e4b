import type { Context } from 'hono'
import { HTTPException } from 'hono/http-exception'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import { errorBody } from '../protocol/api/error.ts'
import { KubeError } from '../protocol/kube/index.ts'

/** Rancher's Norman error codes for the statuses we return. */
const CODES: Partial<Record<number, string>> = {
  400: 'InvalidBodyContent',
  401: 'Unauthorized',
  403: 'PermissionDenied',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  409: 'Conflict',
  413: 'RequestEntityTooLarge',
  415: 'UnsupportedMediaType',
  422: 'InvalidFormat',
  429: 'TooManyRequests',
  500: 'ServerError',
  502: 'BadGateway',
  503: 'ServiceUnavailable',
}

/** The one exception the edge throws; `onError` turns it into Rancher's error body. */
export class ApiError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    message: string,
    readonly code: string = CODES[status] ?? 'ServerError',
  ) {
    super(message)
  }

  /** Sent as Retry-After (seconds) with the error. */
  retryAfterMs?: number
}

/**
 * An apiserver's answer (or a tunnel object's own error, such as no agent: its message is kept) as
 * Rancher's Norman codes, so clients see the same errors as from Rancher.
 */
export function fromKubeError(err: KubeError): ApiError {
  // KubeError's message starts with `<METHOD> <path>:`.
  const what = /^(\S+ \S+):/.exec(err.message)?.[1] ?? 'the request'
  const message = typeof err.body?.message === 'string' && err.body.message ? err.body.message : `${what}: HTTP ${err.status}`
  switch (err.status) {
    case 400:
    case 422:
      return new ApiError(422, message, 'InvalidBodyContent')
    case 401:
    case 403:
      return new ApiError(403, message, 'PermissionDenied')
    case 404:
      return new ApiError(404, message, 'NotFound')
    case 409:
      return new ApiError(409, message, err.reason === 'AlreadyExists' ? 'AlreadyExists' : 'Conflict')
    case 429:
      return new ApiError(429, message, 'TooManyRequests')
    case 502:
    case 503:
      return new ApiError(503, `the cluster is unreachable: ${message}`, 'ServiceUnavailable')
    default:
      return new ApiError(502, `the management cluster answered HTTP ${err.status} for ${what}`, 'BadGateway')
  }
}

/** The edge's one translation of errors into responses. */
export function onError(thrown: Error, c: Context): Response {
  const err = thrown instanceof KubeError ? fromKubeError(thrown) : thrown
  if (err instanceof ApiError) {
    if (err.retryAfterMs !== undefined) c.header('retry-after', String(Math.ceil(err.retryAfterMs / 1000)))
    return c.json(errorBody(err.status, err.code, err.message), err.status)
  }
  if (err instanceof HTTPException) {
    const status = err.status
    return c.json(errorBody(status, CODES[status] ?? 'ServerError', err.message || 'request failed'), status)
  }
  // Unknown errors may carry internals: log them, tell the client only that it failed.
  console.error('unhandled error', err)
  return c.json(errorBody(500, 'ServerError', 'internal error'), 500)
}

export function notFound(c: Context): Response {
  return c.json(errorBody(404, 'NotFound', `no route for ${c.req.method} ${new URL(c.req.url).pathname}`), 404)
}
