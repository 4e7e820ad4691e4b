import { describe, expect, it } from 'vitest'
import { StartError, UsageError } from '../usage.ts'
import { EdgeClient } from './edge-client.ts'
import { DIRECTORY_KINDS } from '../../workers/identity/providers/directory/kinds.ts'
import { chooseProvider, loginPath, passwordLogin, PASSWORD_PROVIDER_TYPES } from './log-in.ts'

const local = { id: 'local', type: 'localProvider' }
const oidc = { id: 'genericoidc', type: 'genericOIDCProvider' }
const ldap = { id: 'openldap', type: 'openLdapProvider' }

describe('choosing the login provider', () => {
  it('takes the one asked for, or the only one enabled', async () => {
    expect(await chooseProvider([local, ldap], 'openldap', 'https://e')).toBe(ldap)
    expect(await chooseProvider([oidc], undefined, 'https://e')).toBe(oidc)
  })

  it('names the enabled ones when the one asked for is not', async () => {
    await expect(chooseProvider([local, oidc], 'activedirectory', 'https://e')).rejects.toThrow(/"activedirectory" is not enabled on https:\/\/e; enabled: local, genericoidc/)
  })

  it('asks for --provider when several are enabled and nobody is at a terminal', async () => {
    // vitest's stdin is not a terminal
    await expect(chooseProvider([local, oidc], undefined, 'https://e')).rejects.toThrow(UsageError)
  })

  it('refuses a browser provider before sending anything', async () => {
    await using edge = new EdgeClient('https://edge.invalid', {})
    const run = passwordLogin(edge, oidc, 'u', 'p')
    await expect(run).rejects.toThrow(StartError)
    await expect(run).rejects.toThrow(/genericoidc logs in through a web browser/)
  })
})

describe('login paths', () => {
  it('are where the edge mounts each username/password provider', () => {
    expect(loginPath(local)).toBe('/v3-public/localProviders/local?action=login')
    for (const kind of Object.values(DIRECTORY_KINDS)) {
      expect(PASSWORD_PROVIDER_TYPES.has(kind.providerType)).toBe(true)
      expect(loginPath({ id: kind.id, type: kind.providerType })).toBe(`/v3-public/${kind.publicCollection}/${kind.id}?action=login`)
    }
  })
})
