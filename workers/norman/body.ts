import * as v from 'valibot'
import { ApiError } from '../errors.ts'
import { readAtMost } from '../read-limited.ts'

export const MAX_BODY_BYTES = 1 << 20
/** Deeper JSON than any drover resource needs is refused before parsing: it only costs stack and CPU. */
export const MAX_JSON_DEPTH = 32

/** Reads at most `max` bytes; a larger body is a 413 and the rest of it is never buffered. */
export async function readLimited(req: Request, max: number): Promise<string> {
  const declared = Number(req.headers.get('content-length') ?? NaN)
  if (declared > max) throw new ApiError(413, `request body is larger than ${max} bytes`)
  if (!req.body) return ''
  const all = await readAtMost(req.body, max)
  if (!all) throw new ApiError(413, `request body is larger than ${max} bytes`)
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(all)
  } catch {
    throw new ApiError(422, 'request body is not valid UTF-8', 'InvalidBodyContent')
  }
}

function tooDeep(text: string, limit: number): boolean {
  let depth = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i)
    if (inString) {
      if (ch === 92) i++ // backslash: skip the escaped character
      else if (ch === 34) inString = false
    } else if (ch === 34) inString = true
    else if (ch === 123 || ch === 91) {
      if (++depth > limit) return true
    } else if (ch === 125 || ch === 93) depth--
  }
  return false
}

/** `application/json` or a `+json` type (`application/merge-patch+json`), with or without parameters. */
const JSON_MEDIA_TYPE = /^application\/(?:[a-z0-9!#$&^_.-]+\+)?json$/

function unsupportedMediaType(type: string | null): ApiError {
  const got = type === null ? 'no Content-Type' : `Content-Type ${JSON.stringify(type.slice(0, 100))}`
  return new ApiError(415, `request body must be JSON sent as Content-Type: application/json (got ${got})`)
}

/**
 * The body as JSON. A JSON content type is required, so a cross-site HTML form (which can only send
 * form, multipart or text/plain bodies) can never be read as JSON; an empty body may come without one.
 */
export async function jsonBody(req: Request, max = MAX_BODY_BYTES): Promise<unknown> {
  const type = req.headers.get('content-type')
  if (type !== null && !JSON_MEDIA_TYPE.test(type.split(';', 1)[0]!.trim().toLowerCase())) throw unsupportedMediaType(type)
  const text = await readLimited(req, max)
  if (!text.trim()) return {}
  if (type === null) throw unsupportedMediaType(type)
  if (tooDeep(text, MAX_JSON_DEPTH)) throw new ApiError(422, `request body nests deeper than ${MAX_JSON_DEPTH} levels`, 'InvalidBodyContent')
  try {
    return JSON.parse(text) as unknown
  } catch {
    throw new ApiError(422, 'request body is not valid JSON', 'InvalidBodyContent')
  }
}

/** Untrusted input through one schema, once; a failure names the field, as Rancher's 422s do. */
export function parseInput<S extends v.GenericSchema>(schema: S, input: unknown): v.InferOutput<S> {
  const result = v.safeParse(schema, input)
  if (result.success) return result.output
  const issue = result.issues[0]
  const path = issue.path?.map((p) => String(p.key)).join('.')
  const missing = issue.kind === 'schema' && issue.received === 'undefined'
  throw new ApiError(422, path ? `${path}: ${issue.message}` : issue.message, missing ? 'MissingRequired' : 'InvalidBodyContent')
}

export async function parseBody<S extends v.GenericSchema>(req: Request, schema: S): Promise<v.InferOutput<S>> {
  return parseInput(schema, await jsonBody(req))
}
