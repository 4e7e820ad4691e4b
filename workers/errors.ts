import type { Context } from 'hono'
import { HTTPException } from 'hono/http-exception'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import { errorBody } from '../protocol/api/error.ts'

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

export function onError(err: Error, c: Context): Response {
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
