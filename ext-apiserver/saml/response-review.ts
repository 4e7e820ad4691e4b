// `samlresponsereviews.ext.cattle.io`: the edge's SAML logins (DESIGN.md flow 7: workerd cannot check XML
// signatures safely). Without a response it answers the AuthnRequest redirect for a login about to start;
// with one it answers who the signed assertion names, by the configured attribute names, and the
// assertion's ID and expiry (the edge refuses a second use). Only the edge may create them (management
// RBAC). Stored nowhere; refusals go to the log with their reason.
import * as v from 'valibot'
import type { Logger } from 'pino'
import { EXT_API_VERSION, SAML_PROVIDERS, SAML_RESPONSE_REVIEW, type SamlResponseReview } from '../../protocol/api/ext.ts'
import type { KubeClient } from '../../protocol/kube/index.ts'
import { StatusError, type CreateRequest, type ExtResource } from '../server/resource.ts'
import { authnRequestUrl } from './authn-request.ts'
import { settingsFor, type SamlSettings } from './config.ts'
import { SamlConfigError } from './metadata.ts'
import { ResponseRefused, verifyResponse } from './verify.ts'

const url = v.pipe(v.string(), v.maxLength(2048), v.url())
/** xs:ID: what the edge generates, and nothing that could break out of an attribute. */
const requestId = v.pipe(v.string(), v.regex(/^[A-Za-z_][A-Za-z0-9_.-]{15,127}$/, 'an xs:ID of 16 to 128 characters'))

const reviewSchema = v.object({
  apiVersion: v.literal(EXT_API_VERSION),
  kind: v.literal('SamlResponseReview'),
  metadata: v.optional(v.looseObject({})),
  spec: v.object({
    provider: v.picklist(SAML_PROVIDERS),
    entityId: v.pipe(v.string(), v.minLength(1), v.maxLength(1024)),
    acsUrl: url,
    requestId,
    samlResponse: v.optional(v.pipe(v.string(), v.maxLength(512 * 1024), v.regex(/^[A-Za-z0-9+/=\s]*$/, 'base64'))),
    relayState: v.optional(v.pipe(v.string(), v.maxLength(80))),
    config: v.optional(v.record(v.string(), v.unknown())),
  }),
})

type Spec = SamlResponseReview['spec']
type Status = NonNullable<SamlResponseReview['status']>

function parseReview(body: unknown): v.InferOutput<typeof reviewSchema> {
  const parsed = v.safeParse(reviewSchema, body)
  if (parsed.success) return parsed.output
  const issue = parsed.issues[0]
  const path = issue.path?.map((p) => String(p.key)).join('.') ?? ''
  throw new StatusError(400, 'BadRequest', `${path ? `${path}: ` : ''}${issue.message}`)
}

// The response and the candidate config (its spKey) never go back.
const answer = (spec: Spec, status: Status): SamlResponseReview => ({
  apiVersion: EXT_API_VERSION,
  kind: 'SamlResponseReview',
  spec: { provider: spec.provider, entityId: spec.entityId, acsUrl: spec.acsUrl, requestId: spec.requestId },
  status,
})

/** The first value of an attribute, or ''. */
const first = (attrs: Record<string, string[]>, name: string) => (name ? (attrs[name]?.[0] ?? '') : '')

async function check(settings: SamlSettings, spec: Spec & { samlResponse: string }, log: Logger): Promise<Status> {
  const verified = await verifyResponse(settings, { entityId: spec.entityId, acsUrl: spec.acsUrl, requestId: spec.requestId, samlResponse: spec.samlResponse })
  const uid = first(verified.attributes, settings.uidField)
  if (!uid) {
    log.info({ provider: spec.provider, attributes: Object.keys(verified.attributes) }, 'saml assertion without the uid attribute')
    return { authenticated: false, refusal: 'Unauthorized', message: `the assertion carries no ${settings.uidField} attribute (uidField)` }
  }
  const groups = settings.groupsField ? [...new Set(verified.attributes[settings.groupsField] ?? [])] : []
  return {
    authenticated: true,
    user: { uid, displayName: first(verified.attributes, settings.displayNameField) || uid, userName: first(verified.attributes, settings.userNameField) || uid },
    groups,
    assertion: { id: verified.id, expiresAt: verified.expiresAt },
  }
}

export function samlResponseReviews(client: KubeClient, log: Logger): ExtResource {
  return {
    type: SAML_RESPONSE_REVIEW,
    verbs: ['create'],
    async create(req: CreateRequest) {
      const { spec } = parseReview(req.body)
      let settings: SamlSettings
      try {
        settings = await settingsFor(client, spec.provider, spec.config)
      } catch (err) {
        if (err instanceof SamlConfigError) return answer(spec, { authenticated: false, refusal: 'Invalid', message: err.message })
        throw err
      }
      const idp = { entityId: settings.idp.entityId, ssoUrl: settings.idp.ssoUrl, wantAuthnRequestsSigned: settings.idp.wantAuthnRequestsSigned }
      if (spec.samlResponse === undefined) {
        const redirectUrl = await authnRequestUrl(settings, { entityId: spec.entityId, acsUrl: spec.acsUrl, requestId: spec.requestId, relayState: spec.relayState ?? '' })
        return answer(spec, { authenticated: false, idp, redirectUrl })
      }
      try {
        const status = await check(settings, { ...spec, samlResponse: spec.samlResponse }, log)
        if (status.authenticated) log.info({ provider: spec.provider, uid: status.user?.uid, groups: status.groups?.length, by: req.user.name }, 'saml login')
        return answer(spec, { ...status, idp })
      } catch (err) {
        if (!(err instanceof ResponseRefused)) throw err
        log.info({ provider: spec.provider, reason: err.message, by: req.user.name }, 'saml response refused')
        return answer(spec, { authenticated: false, idp, refusal: err.refusal, message: err.message })
      }
    },
  }
}
