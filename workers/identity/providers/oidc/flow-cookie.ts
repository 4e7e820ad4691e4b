// The OIDC login's flow cookie (../../flow-cookie.ts, purpose `oidc`): state, nonce and PKCE verifier.
import { FLOW_TTL_S, openFlowClaims, sealFlowClaims } from '../../flow-cookie.ts'

export { FLOW_TTL_S }
export const FLOW_COOKIE = 'R_OIDC_FLOW'
const PURPOSE = 'oidc'

export interface Flow {
  state: string
  nonce: string
  /** PKCE code verifier. */
  verifier: string
  /** Same-origin path to return to after login. */
  redirect: string
  /** The redirect_uri sent to the provider; the code exchange must repeat it. */
  redirectUri: string
}

export function sealFlow(keysJson: string | undefined, flow: Flow, now = Date.now()): Promise<string> {
  return sealFlowClaims(keysJson, PURPOSE, { st: flow.state, nn: flow.nonce, cv: flow.verifier, rd: flow.redirect, ru: flow.redirectUri }, now)
}

/** The flow a cookie holds, or null when it is missing, expired, tampered with or not ours. Never throws on bad input. */
export async function openFlow(keysJson: string | undefined, value: string | undefined, now = Date.now()): Promise<Flow | null> {
  const c = await openFlowClaims(keysJson, PURPOSE, value, ['st', 'nn', 'cv', 'rd', 'ru'], now)
  return c ? { state: c.st!, nonce: c.nn!, verifier: c.cv!, redirect: c.rd!, redirectUri: c.ru! } : null
}
