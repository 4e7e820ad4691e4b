/**
 * Steve's error answer. Rancher's apiserver writes every failure of `/v1` as
 * `{type: "error", status, code, message}` (the same shape as Norman's, protocol/api/error.ts), with
 * `fieldName` when one field is at fault. Everything in this folder throws `SteveError`; the worker
 * turns it into this body in one place.
 */
import { errorBody, type ApiErrorBody } from '../error.ts'

export interface SteveErrorBody extends ApiErrorBody {
  fieldName?: string
}

/** The codes we answer with: Steve's own names (rancher/apiserver's validation codes) where one fits. */
export const STEVE_ERROR_CODES = {
  /** A query parameter the list cannot be answered with (filter, sort, paging, revision, continue). */
  BadRequest: 400,
  Unauthorized: 401,
  PermissionDenied: 403,
  NotFound: 404,
  MethodNotAllowed: 405,
  Conflict: 409,
  InvalidBodyContent: 422,
  ServerError: 500,
  ClusterUnavailable: 503,
} as const

export type SteveErrorCode = keyof typeof STEVE_ERROR_CODES

export class SteveError extends Error {
  readonly status: number
  readonly code: string
  readonly fieldName: string | undefined

  constructor(status: number, code: string, message: string, fieldName?: string) {
    super(message)
    this.name = 'SteveError'
    this.status = status
    this.code = code
    this.fieldName = fieldName
  }

  static of(code: SteveErrorCode, message: string, fieldName?: string): SteveError {
    return new SteveError(STEVE_ERROR_CODES[code], code, message, fieldName)
  }

  body(): SteveErrorBody {
    const body: SteveErrorBody = errorBody(this.status, this.code, this.message)
    if (this.fieldName !== undefined) body.fieldName = this.fieldName
    return body
  }
}

/** A 400 for a query parameter; `param` names it in the body's `fieldName`. */
export function badQuery(param: string, message: string): SteveError {
  return SteveError.of('BadRequest', message, param)
}

export function isSteveError(value: unknown): value is SteveError {
  return value instanceof SteveError
}
