// A request body read whole, within a limit, and parsed as JSON: the only shape handlers get.
import type { IncomingMessage } from 'node:http'
import { statusError } from './status.ts'

export const MAX_BODY_BYTES = 1024 * 1024

/** The parsed body; a StatusError 413 (too large), 415 (not JSON) or 400 (malformed) otherwise. */
export async function readJsonBody(req: IncomingMessage, limit = MAX_BODY_BYTES, types: readonly string[] = ['application/json']): Promise<unknown> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase()
  if (!types.includes(type)) throw statusError(415, `the body must be ${types.join(' or ')}, not "${type || 'none'}"`)
  // Refused before reading: Node then discards the unread body, so the client still reads this answer.
  const declared = Number(req.headers['content-length'])
  if (declared > limit) throw statusError(413, `the body is larger than ${limit} bytes`)
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > limit) throw statusError(413, `the body is larger than ${limit} bytes`)
    chunks.push(chunk)
  }
  if (size === 0) throw statusError(400, 'the body is empty; send a JSON object')
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown
  } catch (e) {
    throw statusError(400, `the body is not valid JSON: ${(e as Error).message}`)
  }
}
