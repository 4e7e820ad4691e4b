// `directorybindreviews.ext.cattle.io`: a login against a directory, asked by the edge (the only caller
// RBAC lets create them: a review is a password oracle). Answered in `status`, stored nowhere. Every
// refusal that concerns the user reads the same; the detail goes to the log only.
import * as v from 'valibot'
import { DIRECTORY_BIND_REVIEW, DIRECTORY_PROVIDERS, EXT_API_VERSION, type DirectoryBindReview, type DirectoryProvider, type DirectoryRefusal } from '../../protocol/api/ext.ts'
import type { KubeClient } from '../../protocol/kube/index.ts'
import type { Logger } from 'pino'
import type { DirectoryConfig } from '../ldap/ad-config.ts'
import { LdapConfigError } from '../ldap/config.ts'
import { authenticate, outward } from '../ldap/directory.ts'
import { StatusError, type CreateRequest, type ExtResource } from '../server/resource.ts'
import { DIALECTS } from './dialects.ts'
import { ConfigUnavailable, storedFields, storedPassword } from './stored-config.ts'

const MAX_PASSWORD_BYTES = 1024

const reviewSchema = v.object({
  apiVersion: v.literal(EXT_API_VERSION),
  kind: v.literal('DirectoryBindReview'),
  metadata: v.optional(v.looseObject({})),
  spec: v.object({
    provider: v.picklist(DIRECTORY_PROVIDERS),
    username: v.pipe(v.string(), v.maxLength(256)),
    password: v.pipe(v.string(), v.check((p) => Buffer.byteLength(p) <= MAX_PASSWORD_BYTES, `at most ${MAX_PASSWORD_BYTES} bytes`)),
    config: v.optional(v.record(v.string(), v.unknown())),
  }),
})

/** Parses an untrusted body into a review, or a 400 Status that names the first bad field. */
export function parseReview<S extends v.GenericSchema>(schema: S, body: unknown): v.InferOutput<S> {
  const parsed = v.safeParse(schema, body)
  if (parsed.success) return parsed.output
  const issue = parsed.issues[0]
  const path = issue.path?.map((p) => String(p.key)).join('.') ?? ''
  throw new StatusError(400, 'BadRequest', `${path ? `${path}: ` : ''}${issue.message}`)
}

type Spec = DirectoryBindReview['spec']

function answer(spec: Spec, status: NonNullable<DirectoryBindReview['status']>): DirectoryBindReview {
  // The password never goes back, not even to the edge that sent it.
  return { apiVersion: EXT_API_VERSION, kind: 'DirectoryBindReview', spec: { ...spec, password: '' }, status }
}

const refusal = (spec: Spec, refusal: DirectoryRefusal, message: string) => answer(spec, { authenticated: false, refusal, message })

/**
 * The config to bind with: the candidate (testAndApply), whose password, when left out, is the stored
 * one; otherwise the stored config, which must be enabled.
 */
async function configFor(mgmtClient: KubeClient, provider: DirectoryProvider, candidate: Record<string, unknown> | undefined): Promise<DirectoryConfig> {
  const dialect = DIALECTS[provider]
  const given = typeof candidate?.serviceAccountPassword === 'string' ? candidate.serviceAccountPassword : ''
  const fields = candidate ? { ...candidate, serviceAccountPassword: given || (await storedPassword(mgmtClient, provider)) } : await storedFields(mgmtClient, provider, { requireEnabled: true })
  // An empty password makes an LDAP bind anonymous, which many directories accept: never bind so.
  if (!fields.serviceAccountPassword) throw new ConfigUnavailable(`auth provider ${provider} has no service account password stored; set serviceAccountPassword`)
  return dialect.parse(fields)
}

export function directoryBindReviews(mgmtClient: KubeClient, log: Logger): ExtResource {
  return {
    type: DIRECTORY_BIND_REVIEW,
    verbs: ['create'],
    async create(req: CreateRequest) {
      const { spec } = parseReview(reviewSchema, req.body)
      let config: DirectoryConfig
      try {
        config = await configFor(mgmtClient, spec.provider, spec.config)
      } catch (err) {
        if (err instanceof LdapConfigError || err instanceof ConfigUnavailable) return refusal(spec, 'Invalid', err.message)
        throw err
      }
      const scope = DIALECTS[spec.provider].scope
      const result = await authenticate(config, spec.username, spec.password, { provider: scope })
      if (result.ok) {
        log.info({ provider: spec.provider, user: result.user.id, groups: result.groups.length, by: req.user.name }, 'directory login')
        return answer(spec, { authenticated: true, user: { ...result.user, provider: spec.provider }, groups: result.groups.map((g) => ({ ...g, provider: spec.provider })) })
      }
      log.info({ provider: spec.provider, reason: result.reason, detail: result.detail, by: req.user.name }, 'directory login refused')
      const out = outward(result)
      const kind: DirectoryRefusal = out.status === 401 ? 'Unauthorized' : out.status === 503 ? 'Unavailable' : 'Misconfigured'
      return refusal(spec, kind, out.message)
    },
  }
}
