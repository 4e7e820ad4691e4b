// `directorybindreviews.ext.cattle.io`: a login against a directory, asked by the edge (the only caller
// RBAC lets create them: a review is a password oracle). Answered in `status`, stored nowhere. Every
// refusal that concerns the user reads the same; the detail goes to the log only.
import * as v from 'valibot'
import { DIRECTORY_BIND_REVIEW, DIRECTORY_PROVIDERS, EXT_API_VERSION, type DirectoryBindReview, type DirectoryRefusal } from '../../protocol/api/ext.ts'
import type { KubeClient } from '../../protocol/kube/index.ts'
import type { Logger } from 'pino'
import type { DirectoryConfig } from '../ldap/ad-config.ts'
import { LdapConfigError } from '../ldap/config.ts'
import { authenticate } from '../ldap/directory.ts'
import type { CreateRequest, ExtResource } from '../server/resource.ts'
import { configFor, parseReview, refusalOf } from './config.ts'
import { DIALECTS } from './dialects.ts'
import { ConfigUnavailable } from './stored-config.ts'

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

type Spec = DirectoryBindReview['spec']

function answer(spec: Spec, status: NonNullable<DirectoryBindReview['status']>): DirectoryBindReview {
  // The password never goes back, not even to the edge that sent it.
  return { apiVersion: EXT_API_VERSION, kind: 'DirectoryBindReview', spec: { ...spec, password: '' }, status }
}

const refusal = (spec: Spec, refusal: DirectoryRefusal, message: string) => answer(spec, { authenticated: false, refusal, message })

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
      const result = await authenticate(config, spec.username, spec.password, { provider: DIALECTS[spec.provider].scope })
      if (result.ok) {
        log.info({ provider: spec.provider, user: result.user.id, groups: result.groups.length, by: req.user.name }, 'directory login')
        return answer(spec, { authenticated: true, user: { ...result.user, provider: spec.provider }, groups: result.groups.map((g) => ({ ...g, provider: spec.provider })) })
      }
      log.info({ provider: spec.provider, reason: result.reason, detail: result.detail, by: req.user.name }, 'directory login refused')
      const out = refusalOf(result)
      return refusal(spec, out.refusal, out.message)
    },
  }
}
