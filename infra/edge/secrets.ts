import { randomBytes, randomUUID } from 'node:crypto'
import { exportJWK, generateKeyPair } from 'jose'

/** The secrets an edge needs (see workers/env.ts), generated for a local stack or a new install. */
export interface EdgeSecrets {
  DROVER_TOKEN_KEYS: string
  DROVER_PASSWORD_PEPPERS: string
  DROVER_LOCAL_AGENT_TOKEN: string
  DROVER_RUNNER_TOKEN: string
}

export async function generateEdgeSecrets(): Promise<EdgeSecrets> {
  const { privateKey } = await generateKeyPair('ES256', { extractable: true })
  const jwk = { ...(await exportJWK(privateKey)), kid: randomUUID().slice(0, 8), alg: 'ES256' }
  return {
    DROVER_TOKEN_KEYS: JSON.stringify([jwk]),
    DROVER_PASSWORD_PEPPERS: `p1:${randomBytes(32).toString('base64')}`,
    DROVER_LOCAL_AGENT_TOKEN: randomBytes(32).toString('base64url'),
    DROVER_RUNNER_TOKEN: randomBytes(32).toString('base64url'),
  }
}
