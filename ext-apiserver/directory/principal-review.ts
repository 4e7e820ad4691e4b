// `directoryprincipalreviews.ext.cattle.io`: the enabled directory's principals, searched by name for
// `/v3/principals?action=search`, or one user looked up with its groups now for a group refresh. Asked by
// the edge only (RBAC); read through the service account; answered in `status`, stored nowhere.
import type { Logger } from 'pino'
import * as v from 'valibot'
import { DIRECTORY_PRINCIPAL_REVIEW, DIRECTORY_PROVIDERS, EXT_API_VERSION, type DirectoryPrincipalReview, type DirectoryProvider } from '../../protocol/api/ext.ts'
import type { KubeClient } from '../../protocol/kube/index.ts'
import type { DirectoryConfig } from '../ldap/ad-config.ts'
import { LdapConfigError } from '../ldap/config.ts'
import type { LdapPrincipal } from '../ldap/principal.ts'
import { lookupGroups, searchPrincipals } from '../ldap/search.ts'
import { StatusError, type CreateRequest, type ExtResource } from '../server/resource.ts'
import { configFor, parseReview, refusalOf } from './config.ts'
import { DIALECTS } from './dialects.ts'
import { ConfigUnavailable } from './stored-config.ts'

const reviewSchema = v.object({
  apiVersion: v.literal(EXT_API_VERSION),
  kind: v.literal('DirectoryPrincipalReview'),
  metadata: v.optional(v.looseObject({})),
  spec: v.object({
    provider: v.picklist(DIRECTORY_PROVIDERS),
    name: v.optional(v.pipe(v.string(), v.maxLength(256))),
    principalType: v.optional(v.picklist(['user', 'group'])),
    principalId: v.optional(v.pipe(v.string(), v.maxLength(2048))),
  }),
})

type Spec = DirectoryPrincipalReview['spec']
type Status = NonNullable<DirectoryPrincipalReview['status']>

const withProvider = (provider: DirectoryProvider) => (p: LdapPrincipal) => ({ ...p, provider })

/** The DN of one of this provider's user principal ids, or a 400 naming what is wrong with it. */
function userDn(provider: DirectoryProvider, id: string): string {
  const prefix = `${DIALECTS[provider].scope}_user://`
  if (!id.startsWith(prefix) || id.length === prefix.length) throw new StatusError(400, 'BadRequest', `spec.principalId: must be a user principal of ${provider} (${prefix}<dn>)`)
  return id.slice(prefix.length)
}

async function answer(config: DirectoryConfig, spec: Spec): Promise<Status> {
  const scope = DIALECTS[spec.provider].scope
  if (spec.principalId !== undefined) {
    const found = await lookupGroups(config, userDn(spec.provider, spec.principalId), { provider: scope })
    if (!found.ok) return { principals: [], ...refusalOf(found), ...(found.reason === 'not-found' || found.reason === 'disabled' ? { message: 'the user no longer exists or is disabled' } : {}) }
    return { principals: [withProvider(spec.provider)(found.user)], groups: found.groups.map(withProvider(spec.provider)) }
  }
  const found = await searchPrincipals(config, spec.name ?? '', spec.principalType, { provider: scope })
  if (!found.ok) return { principals: [], ...refusalOf(found) }
  return { principals: found.principals.map(withProvider(spec.provider)) }
}

export function directoryPrincipalReviews(mgmtClient: KubeClient, log: Logger): ExtResource {
  return {
    type: DIRECTORY_PRINCIPAL_REVIEW,
    verbs: ['create'],
    async create(req: CreateRequest) {
      const { spec } = parseReview(reviewSchema, req.body)
      if ((spec.name === undefined) === (spec.principalId === undefined)) throw new StatusError(400, 'BadRequest', 'spec: give either name (a search) or principalId (a lookup)')
      const out = (status: Status): DirectoryPrincipalReview => ({ apiVersion: EXT_API_VERSION, kind: 'DirectoryPrincipalReview', spec, status })
      let config: DirectoryConfig
      try {
        config = await configFor(mgmtClient, spec.provider, undefined)
      } catch (err) {
        if (err instanceof LdapConfigError || err instanceof ConfigUnavailable) return out({ principals: [], refusal: 'Invalid', message: err.message })
        throw err
      }
      const status = await answer(config, spec)
      if (status.refusal) log.info({ provider: spec.provider, refusal: status.refusal, by: req.user.name }, 'directory principal review refused')
      return out(status)
    },
  }
}
