import * as v from 'valibot'
import { StatusError } from './resource.ts'

/** Parses an untrusted body with a schema, or a 400 Status that names the first bad field. */
export function parseObject<S extends v.GenericSchema>(schema: S, body: unknown): v.InferOutput<S> {
  const parsed = v.safeParse(schema, body)
  if (parsed.success) return parsed.output
  const issue = parsed.issues[0]
  const path = issue.path?.map((p) => String(p.key)).join('.') ?? ''
  throw new StatusError(400, 'BadRequest', `${path ? `${path}: ` : ''}${issue.message}`)
}
