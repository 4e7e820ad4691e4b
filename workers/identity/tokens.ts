import type { Token } from '../../protocol/crds/index.ts'
import { isAlreadyExists, mgmt, type KubeClient } from '../../protocol/kube/index.ts'
import type { Bindings } from '../env.ts'
import { mgmtObject } from '../mgmt/management.ts'
import { randomId, saltedHash } from './compare.ts'
import { signToken, tokenKeys, type TokenKind } from './jwt.ts'
import { revokeTokens } from './revocation.ts'
import { KIND_LABEL, PROVIDER_LABEL, USER_ID_LABEL } from '../../protocol/api/tokens.ts'

export { KIND_LABEL, KUBECONFIG_FOR_LABEL, PROVIDER_LABEL, USER_ID_LABEL } from '../../protocol/api/tokens.ts'

export interface TokenSubject {
  userId: string
  username: string
  /** The user's principal id first, then its groups'. */
  principalIds: string[]
  /** Group principal ids, also the Kubernetes groups the user is impersonated with. */
  groups: string[]
  authProvider: string
}

export interface IssueRequest {
  kind: TokenKind
  subject: TokenSubject
  /** Milliseconds; 0 means no expiry (API keys only). */
  ttlMs: number
  clusterId?: string
  description?: string
  labels?: Record<string, string>
}

export interface Issued {
  /** `token-xxxxx:<secret>`: shown once, never stored. */
  value: string
  token: Token
}

/** Creates the Token CR (a salted hash, never the value) and signs its value. */
export async function issueToken(env: Pick<Bindings, 'DROVER_TOKEN_KEYS'>, edge: KubeClient, req: IssueRequest, now = Date.now()): Promise<Issued> {
  const keys = await tokenKeys(env.DROVER_TOKEN_KEYS)
  const expiresAtS = req.ttlMs > 0 ? Math.floor((now + req.ttlMs) / 1000) : undefined
  for (let attempt = 0; ; attempt++) {
    const name = `token-${randomId(5)}`
    const secret = await signToken(keys, { kind: req.kind, name, ...req.subject, ...(req.clusterId ? { clusterId: req.clusterId } : {}), ...(expiresAtS ? { expiresAt: expiresAtS } : {}) }, now)
    const body = mgmtObject('Token', {
      metadata: { name, labels: { ...req.labels, [USER_ID_LABEL]: req.subject.userId, [KIND_LABEL]: req.kind, [PROVIDER_LABEL]: req.subject.authProvider } },
      token: await saltedHash(secret),
      userId: req.subject.userId,
      authProvider: req.subject.authProvider,
      userPrincipal: { metadata: { name: req.subject.principalIds[0] ?? `local://${req.subject.userId}` }, principalType: 'user', provider: req.subject.authProvider, loginName: req.subject.username },
      // The groups signed into the token, readable where the signature is not (a group refresh compares them).
      groupPrincipals: req.subject.groups.map((g) => ({ metadata: { name: g }, principalType: 'group', provider: req.subject.authProvider })),
      ttl: req.ttlMs,
      expiresAt: expiresAtS ? new Date(expiresAtS * 1000).toISOString() : '',
      isDerived: req.kind !== 'session',
      description: req.description ?? '',
      clusterName: req.clusterId ?? '',
      enabled: true,
    })
    try {
      const token = await edge.create<Token>(mgmt('Token'), body)
      return { value: `${name}:${secret}`, token }
    } catch (err) {
      // Five random characters can collide; another name is as good.
      if (isAlreadyExists(err) && attempt < 3) continue
      throw err
    }
  }
}

/** Revokes (everywhere, within the revocation bound) and deletes the tokens' CRs. */
export async function removeTokens(env: Pick<Bindings, 'TOKENS'>, edge: KubeClient, names: string[]): Promise<void> {
  await revokeTokens(env, names)
  // A token already gone is as good as deleted.
  await Promise.all(names.map((name) => edge.delete(mgmt('Token'), name)))
}

/** Every token of a user (or with a label selector), as the edge. */
export async function tokensWhere(edge: KubeClient, labelSelector: string): Promise<Token[]> {
  return (await edge.list<Token>(mgmt('Token'), { labelSelector })).items
}
