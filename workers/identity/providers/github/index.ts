// GitHub (and GitHub Enterprise Server) as an OAuth app, Rancher's `github` provider.
import { EDGE_IDENTITY } from '../../../../protocol/api/identities.ts'
import { publicLinks, type IdentityProvider, type PrincipalEntry } from '../../provider.ts'
import { authorizeUrl, CONFIG_TYPE, ORG_PRINCIPAL_PREFIX, PROVIDER, PUBLIC_COLLECTION, TEAM_PRINCIPAL_PREFIX, USER_PRINCIPAL_PREFIX } from './config.ts'
import { presentConfig, testAndApply, writeConfig } from './config-write.ts'
import { cachedSettings, githubLogin } from './login.ts'

const PRINCIPAL_ID = /^github_(user|org|team):\/\/([1-9]\d{0,15})$/

export const githubProvider: IdentityProvider = {
  id: PROVIDER,
  publicCollection: PUBLIC_COLLECTION,
  async publicEntry(c) {
    let settings
    try {
      settings = await cachedSettings(c.var.management.as(EDGE_IDENTITY))
    } catch {
      return null // the management cluster is unreachable: list what needs no lookup
    }
    if (!settings?.enabled) return null
    const { self, login } = publicLinks(c, githubProvider)
    // redirectUrl is Rancher's: GitHub's authorize URL with the client id. drover's own flow (state in a
    // sealed cookie) starts at `<self>/login`.
    return { id: PROVIDER, type: 'githubProvider', baseType: 'authProvider', redirectUrl: authorizeUrl(settings), links: { self, login: `${self}/login` }, actions: { login } }
  },
  login: githubLogin,
  config: {
    type: CONFIG_TYPE,
    present: presentConfig,
    write: writeConfig,
    actions: {
      disable: async (c) => (await writeConfig(c, { enabled: false })).saved,
      testAndApply,
    },
  },
  /**
   * GitHub's directory (`GET /search/users?q=`) answers only with a user's access token, and the edge
   * keeps none (it drops the token once a login has read the user's orgs and teams). So a search finds
   * a principal only when it is asked for by its exact id (`github_team://42`), while the provider is
   * enabled; names cannot be resolved.
   */
  async searchPrincipals(c, name, type) {
    const m = PRINCIPAL_ID.exec(name)
    if (!m || !(await cachedSettings(c.var.management.as(EDGE_IDENTITY)))?.enabled) return []
    const principalType: PrincipalEntry['principalType'] = m[1] === 'user' ? 'user' : 'group'
    if (type && type !== principalType) return []
    const prefix = { user: USER_PRINCIPAL_PREFIX, org: ORG_PRINCIPAL_PREFIX, team: TEAM_PRINCIPAL_PREFIX }[m[1] as 'user' | 'org' | 'team']
    return [{ id: `${prefix}${m[2]}`, principalType, provider: PROVIDER, displayName: name }]
  },
}
