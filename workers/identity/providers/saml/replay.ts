// One use per SAML assertion, across every isolate: the ReplayGuard object of the assertion (its issuer
// and ID) records it until it expires.
import type { Bindings } from '../../../env.ts'
import { ApiError } from '../../../errors.ts'
import { sha256 } from '../../compare.ts'

/** Throws 401 when the assertion was presented before. */
export async function spendAssertion(env: Pick<Bindings, 'REPLAY'>, provider: string, issuer: string, assertionId: string, expiresAt: number, now = Date.now()): Promise<void> {
  // Hashed: issuer and ID are the IdP's strings, of any length.
  const key = Array.from(await sha256(`saml\n${provider}\n${issuer}\n${assertionId}`), (b) => b.toString(16).padStart(2, '0')).join('')
  const stub = env.REPLAY.get(env.REPLAY.idFromName(key))
  if (!(await stub.claim(expiresAt, now))) throw new ApiError(401, `${provider} login failed: this SAML assertion was used before`, 'Unauthorized')
}
