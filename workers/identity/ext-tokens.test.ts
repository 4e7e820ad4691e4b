// Ext tokens at the edge, against a real management apiserver (test/support/management-relay.ts): the
// Token CRs are real, as are the TokenState objects revocation asks.
import { env } from 'cloudflare:test'
import { beforeAll, describe, expect, it } from 'vitest'
import { EDGE_IDENTITY } from '../../protocol/api/identities.ts'
import { EXT_TOKEN_KIND, extTokenValue, KIND_LABEL, randomSecret, saltedHash, USER_ID_LABEL } from '../../protocol/api/tokens.ts'
import type { Token } from '../../protocol/crds/index.ts'
import { mgmt } from '../../protocol/kube/index.ts'
import type { Bindings } from '../env.ts'
import { mgmtObject, tunnelManagement } from '../mgmt/management.ts'
import { CredentialCache } from './credential-cache.ts'
import { droverAuthenticator } from './drover-authenticator.ts'
import { randomId } from './compare.ts'
import { REVOCATION_CACHE_MS, revokeTokens, revokeUserTokens } from './revocation.ts'

const bindings: Bindings = env
const management = tunnelManagement(() => env.MANAGEMENT)
const edge = management.as(EDGE_IDENTITY)
/** Only the extension server may make ext tokens (admission policy drover-ext-token-credentials). */
const extServer = management.as({ user: 'system:serviceaccount:cattle-system:drover-ext-apiserver', groups: ['system:serviceaccounts', 'system:serviceaccounts:cattle-system', 'system:authenticated'], extra: {} })

interface Made {
  name: string
  secret: string
  value: string
}

/** A Token CR as the extension server makes one; `fields` override. */
async function extToken(userId: string, fields: Record<string, unknown> = {}, kind = EXT_TOKEN_KIND): Promise<Made> {
  const name = `token-${randomId(8)}`
  const secret = randomSecret()
  await extServer.create<Token>(mgmt('Token'), mgmtObject('Token', {
    metadata: { name, labels: { [USER_ID_LABEL]: userId, [KIND_LABEL]: kind } },
    token: await saltedHash(secret),
    userId,
    authProvider: 'local',
    userPrincipal: { metadata: { name: `local://${userId}` }, principalType: 'user', provider: 'local', loginName: `${userId}-login` },
    groupPrincipals: [{ metadata: { name: 'local://group-a' }, principalType: 'group', provider: 'local' }],
    ttl: 0,
    expiresAt: '',
    enabled: true,
    clusterName: '',
    ...fields,
  }) as Token)
  return { name, secret, value: extTokenValue(name, secret) }
}

/** A fresh authenticator (its own cache) with a clock the test moves. */
function authenticator() {
  let now = Date.now()
  const auth = droverAuthenticator(bindings, management, { cache: new CredentialCache(), now: () => now })
  return { auth, later: (ms: number) => (now += ms) }
}

describe('ext tokens at the edge (ext/<name>:<secret>, checked against the Token CR)', () => {
  beforeAll(async () => {
    // The first request starts the management cluster (a few seconds).
    await edge.list(mgmt('Token'), { limit: 1 })
  }, 180_000)

  it('accepts a valid one as its user, with the groups and principal it was made with', async () => {
    const t = await extToken('u-ext-ok')
    const p = await authenticator().auth.user(t.value)
    expect(p).toMatchObject({
      clusters: '*',
      identity: { user: 'u-ext-ok', groups: ['system:authenticated', 'system:cattle:authenticated', 'local://group-a'], extra: { principalid: ['local://u-ext-ok'], username: ['u-ext-ok-login'] } },
      token: { name: t.name, kind: 'ext', userId: 'u-ext-ok' },
    })
  })

  it('scopes a cluster token to its cluster', async () => {
    const t = await extToken('u-ext-cluster', { clusterName: 'c-abcde' })
    expect((await authenticator().auth.user(t.value))?.clusters).toEqual(['c-abcde'])
  })

  it('refuses a wrong secret, a malformed value, a deleted, disabled, expired or non-ext token', async () => {
    const { auth } = authenticator()
    const t = await extToken('u-ext-refused')
    expect(await auth.user(`ext/${t.name}:${t.secret.slice(0, -1)}x`)).toBeNull()
    expect(await auth.user(`ext/${t.name}:${randomSecret()}`)).toBeNull()
    for (const bad of [`ext/${t.name}`, `ext/${t.name}:`, `ext/:${t.secret}`, `ext/Token-ABCDE:${t.secret}`, `ext/${t.name}:${'x'.repeat(300)}`, `ext/../${t.name}:${t.secret}`, `${t.name}:${t.secret}`]) {
      expect(await auth.user(bad), bad).toBeNull()
    }
    const unknown = `ext/token-${randomId(8)}:${t.secret}`
    expect(await auth.user(unknown)).toBeNull()
    const disabled = await extToken('u-ext-refused', { enabled: false })
    expect(await auth.user(disabled.value)).toBeNull()
    const expired = await extToken('u-ext-refused', { ttl: 1000, expiresAt: new Date(Date.now() - 1000).toISOString() })
    expect(await auth.user(expired.value)).toBeNull()
    // A token the edge issued (its value is a JWT) is never accepted in the ext form, whatever its hash.
    const session = await extToken('u-ext-refused', {}, 'session')
    expect(await auth.user(session.value)).toBeNull()
    // The valid one still passes: the refusals above were about each token, not the user.
    expect(await auth.user(t.value)).not.toBeNull()
  })

  it('stops a token whose CR is deleted, or that is revoked by name or with its user, within the revocation bound', async () => {
    const { auth, later } = authenticator()
    const deleted = await extToken('u-ext-gone')
    expect(await auth.user(deleted.value)).not.toBeNull()
    await edge.delete(mgmt('Token'), deleted.name)
    later(REVOCATION_CACHE_MS) // the cached answer's bound
    expect(await auth.user(deleted.value)).toBeNull()

    const byName = await extToken('u-ext-name')
    expect(await auth.user(byName.value)).not.toBeNull()
    await revokeTokens(bindings, [byName.name])
    expect(await auth.user(byName.value)).toBeNull()

    const other = authenticator()
    const byUser = await extToken('u-ext-user')
    expect(await other.auth.user(byUser.value)).not.toBeNull()
    // Creation timestamps have whole seconds: revoke clearly after this one was made.
    await revokeUserTokens(bindings, 'u-ext-user', Date.now() + 1000)
    other.later(REVOCATION_CACHE_MS)
    expect(await other.auth.user(byUser.value)).toBeNull()
  })

  it('caches a verified token: a CR disabled after the check takes effect at the next verification', async () => {
    const { auth, later } = authenticator()
    const t = await extToken('u-ext-cache')
    expect(await auth.user(t.value)).not.toBeNull()
    await edge.patch(mgmt('Token'), t.name, { enabled: false })
    expect(await auth.user(t.value)).not.toBeNull() // the cached answer, within its bound
    later(REVOCATION_CACHE_MS)
    expect(await auth.user(t.value)).toBeNull()
  })
})
