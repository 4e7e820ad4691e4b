// Checking an IdP's response to one AuthnRequest. @node-saml/node-saml (xml-crypto underneath) checks the
// XML signature of the assertion against the IdP's metadata keys, and refuses more than one assertion, so
// what is read afterwards is the signed assertion itself (it hands back only the XML that the signature
// covers: no wrapping). Around it, what the library leaves to us: issuer, the bearer confirmation's
// Recipient and InResponseTo, the response's Destination and status, and an expiry for replay checks.
import { DOMParser } from '@xmldom/xmldom'
import { SAML, ValidateInResponseTo, type CacheProvider, type Profile } from '@node-saml/node-saml'
import type { SamlSettings } from './config.ts'

/** Clock skew allowed on NotBefore/NotOnOrAfter. */
export const CLOCK_SKEW_MS = 60_000
/** An assertion older than this (by IssueInstant) is refused, whatever its NotOnOrAfter says. */
export const MAX_ASSERTION_AGE_MS = 60 * 60_000
const MAX_RESPONSE_CHARS = 512 * 1024
const PROTOCOL = 'urn:oasis:names:tc:SAML:2.0:protocol'
const SUCCESS = 'urn:oasis:names:tc:SAML:2.0:status:Success'
const BEARER = 'urn:oasis:names:tc:SAML:2.0:cm:bearer'

export interface ResponseCheck {
  entityId: string
  acsUrl: string
  requestId: string
  /** Base64 of the posted SAMLResponse. */
  samlResponse: string
}

export interface VerifiedAssertion {
  id: string
  expiresAt: number
  attributes: Record<string, string[]>
}

/** The response is not one the IdP signed for this login; `message` says which check failed (for the log and the caller). */
export class ResponseRefused extends Error {
  constructor(
    message: string,
    readonly refusal: 'Unauthorized' | 'Refused' = 'Unauthorized',
  ) {
    super(message)
  }
}

/** Only the expected request ID is known: InResponseTo can match nothing else. */
function oneRequest(requestId: string, now: number): CacheProvider {
  return {
    getAsync: async (key) => (key === requestId ? new Date(now).toISOString() : null),
    saveAsync: async () => null,
    removeAsync: async () => null,
  }
}

type XmlJs = Record<string, unknown> & { $?: Record<string, string>; _?: string }
const list = (v: unknown): XmlJs[] => (Array.isArray(v) ? (v as XmlJs[]) : [])
const text = (v: XmlJs | string | undefined): string => (typeof v === 'string' ? v : (v?._ ?? ''))

function ms(value: string | undefined, what: string): number | undefined {
  if (value === undefined) return undefined
  const t = Date.parse(value)
  if (Number.isNaN(t)) throw new ResponseRefused(`the assertion's ${what} is not a time`)
  return t
}

/** What the outer (possibly unsigned) Response says: only refusals are taken from it, never identity. */
function checkEnvelope(xml: string, check: ResponseCheck, idpEntityId: string): void {
  if (/<!DOCTYPE/i.test(xml)) throw new ResponseRefused('the response carries a DOCTYPE')
  const doc = new DOMParser({ onError: () => {} }).parseFromString(xml, 'text/xml')
  const root = doc.documentElement
  if (!root || root.localName !== 'Response' || root.namespaceURI !== PROTOCOL) throw new ResponseRefused('not a SAML Response')
  const status = Array.from(root.getElementsByTagNameNS(PROTOCOL, 'StatusCode'))[0]?.getAttribute('Value')
  if (status !== SUCCESS) throw new ResponseRefused(`the IdP answered ${String(status ?? 'no status').replace(/^.*:/, '').slice(0, 64)}`, 'Refused')
  const destination = root.getAttribute('Destination')
  if (destination && destination !== check.acsUrl) throw new ResponseRefused('the response is addressed to another Destination')
  const inResponseTo = root.getAttribute('InResponseTo')
  if (inResponseTo !== check.requestId) throw new ResponseRefused("the response's InResponseTo is not this login's request")
  const issuer = Array.from(root.childNodes).find((n) => n.localName === 'Issuer')
  if (issuer && issuer.textContent?.trim() !== idpEntityId) throw new ResponseRefused('the response was issued by another entity')
}

/** The bearer confirmation must be for our ACS and our request. */
function checkConfirmation(assertion: XmlJs, check: ResponseCheck): number | undefined {
  const confirmations = list(list(assertion.Subject)[0]?.SubjectConfirmation).filter((c) => c.$?.Method === BEARER)
  const data = confirmations.map((c) => list(c.SubjectConfirmationData)[0]).filter((d): d is XmlJs => d !== undefined)
  const ours = data.find((d) => d.$?.Recipient === check.acsUrl && d.$?.InResponseTo === check.requestId)
  if (!ours) throw new ResponseRefused("the assertion's bearer confirmation is not for this ACS URL and request (Recipient, InResponseTo)")
  return ms(ours.$?.NotOnOrAfter, 'SubjectConfirmationData NotOnOrAfter')
}

function attributesOf(profile: Profile): Record<string, string[]> {
  const out: Record<string, string[]> = {}
  const raw = (profile.attributes ?? {}) as Record<string, unknown>
  for (const [name, value] of Object.entries(raw)) {
    const values = (Array.isArray(value) ? value : [value]).filter((x): x is string => typeof x === 'string')
    if (values.length) out[name] = values
  }
  return out
}

export async function verifyResponse(settings: SamlSettings, check: ResponseCheck, now = Date.now()): Promise<VerifiedAssertion> {
  if (check.samlResponse.length > MAX_RESPONSE_CHARS) throw new ResponseRefused('the response is too large')
  const xml = Buffer.from(check.samlResponse, 'base64').toString('utf8')
  checkEnvelope(xml, check, settings.idp.entityId)
  const saml = new SAML({
    idpCert: settings.idp.signingCerts,
    issuer: check.entityId,
    audience: check.entityId,
    callbackUrl: check.acsUrl,
    wantAssertionsSigned: true,
    wantAuthnResponseSigned: false,
    validateInResponseTo: ValidateInResponseTo.always,
    cacheProvider: oneRequest(check.requestId, now),
    acceptedClockSkewMs: CLOCK_SKEW_MS,
    maxAssertionAgeMs: MAX_ASSERTION_AGE_MS,
  })
  let profile: Profile | null
  try {
    ;({ profile } = await saml.validatePostResponseAsync({ SAMLResponse: check.samlResponse }))
  } catch (err) {
    throw new ResponseRefused(String((err as Error).message ?? err).replace(/\s+/g, ' ').slice(0, 200))
  }
  if (!profile) throw new ResponseRefused('the response carries no assertion')
  const assertion = ((profile.getAssertion?.() ?? {}) as { Assertion?: XmlJs }).Assertion
  if (!assertion) throw new ResponseRefused('the response carries no assertion')
  const issuer = text(list(assertion.Issuer)[0])
  if (issuer !== settings.idp.entityId) throw new ResponseRefused('the assertion was issued by another entity than the IdP of the metadata')
  const id = assertion.$?.ID ?? ''
  if (!id) throw new ResponseRefused('the assertion has no ID')
  const confirmedUntil = checkConfirmation(assertion, check)
  const conditions = list(assertion.Conditions)[0]
  const issuedAt = ms(assertion.$?.IssueInstant, 'IssueInstant')
  const limits = [confirmedUntil, ms(conditions?.$?.NotOnOrAfter, 'Conditions NotOnOrAfter'), issuedAt === undefined ? undefined : issuedAt + MAX_ASSERTION_AGE_MS]
  const known = limits.filter((t): t is number => t !== undefined)
  if (known.length === 0) throw new ResponseRefused('the assertion carries no expiry')
  return { id, expiresAt: Math.min(...known) + CLOCK_SKEW_MS, attributes: attributesOf(profile) }
}
