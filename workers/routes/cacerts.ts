import { Hono } from 'hono'
import { EDGE_IDENTITY } from '../../protocol/api/identities.ts'
import type { AppEnv } from '../env.ts'
import { ApiError } from '../errors.ts'
import { setting } from '../mgmt/settings.ts'

/**
 * `GET /cacerts`: the `cacerts` setting's PEM text, unauthenticated, as Rancher serves it. Agents with a CA
 * checksum fetch it before dialing and trust it only if its SHA-256 equals that checksum, so the body
 * must be the setting's text byte for byte — the text workers/routes/import.ts hashes for the manifest.
 */
export const cacerts = new Hono<AppEnv>().get('/', async (c) => {
  const pem = await setting(c.var.management.as(EDGE_IDENTITY), 'cacerts')
  // The import manifest carries no checksum in this case either (import.ts).
  if (!pem.trim()) throw new ApiError(404, 'no CA is configured: the cacerts setting is empty')
  return c.text(pem, 200, { 'cache-control': 'no-store' })
})
