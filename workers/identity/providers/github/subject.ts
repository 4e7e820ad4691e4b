// From what GitHub says about a token's user to the identity a session carries: `github_user://<id>`, and
// the user's organizations and teams as `github_org://<id>` / `github_team://<id>` group principals,
// which are also the Kubernetes groups the user is impersonated with. Numeric ids, as Rancher uses: a
// login or slug can be renamed and then taken by someone else, an id cannot.
import type { KubeClient } from '../../../../protocol/kube/index.ts'
import { ApiError } from '../../../errors.ts'
import { groupsFit, MAX_GROUP_CHARS, subjectForLogin } from '../../external-login.ts'
import type { TokenSubject } from '../../tokens.ts'
import type { GithubIdentity } from './client.ts'
import { ORG_PRINCIPAL_PREFIX, PROVIDER, TEAM_PRINCIPAL_PREFIX, USER_PRINCIPAL_PREFIX, type GithubSettings } from './config.ts'

/** The group principal ids of an identity, deduplicated and sorted (orgs, then teams). */
export function groupPrincipals(identity: Pick<GithubIdentity, 'orgs' | 'teams'>): string[] {
  const orgs = [...new Set(identity.orgs.map((o) => `${ORG_PRINCIPAL_PREFIX}${o.id}`))].sort()
  const teams = [...new Set(identity.teams.map((t) => `${TEAM_PRINCIPAL_PREFIX}${t.id}`))].sort()
  return [...orgs, ...teams]
}

export function subjectFor(edge: KubeClient, settings: GithubSettings, identity: GithubIdentity): Promise<TokenSubject> {
  const groups = groupPrincipals(identity)
  if (!groupsFit(groups)) {
    throw new ApiError(422, `${PROVIDER} login failed: the user is in more organizations and teams than a session can carry (${MAX_GROUP_CHARS} characters of group ids)`, 'InvalidBodyContent')
  }
  const { user } = identity
  return subjectForLogin(edge, settings, {
    provider: PROVIDER,
    userPrincipal: `${USER_PRINCIPAL_PREFIX}${user.id}`,
    groups,
    displayName: user.name || user.login,
    username: user.login,
  })
}
