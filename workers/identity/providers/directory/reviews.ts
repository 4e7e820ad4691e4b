// The edge's side of the extension server's reviews: sent as the edge through cluster `local`'s tunnel
// (management RBAC lets only the edge create them), answered in `status`.
import { DIRECTORY_BIND_REVIEW, DIRECTORY_PRINCIPAL_REVIEW, EXT_API_VERSION, type DirectoryBindReview, type DirectoryPrincipalReview, type DirectoryProvider } from '../../../../protocol/api/ext.ts'
import { KubeError, type KubeClient } from '../../../../protocol/kube/index.ts'
import { ApiError } from '../../../errors.ts'

export type BindStatus = NonNullable<DirectoryBindReview['status']>

/**
 * A bind against the directory. The aggregator answers 404 while no extension server is registered and
 * 503 while it is down: both say what to do instead of a bare gateway error.
 */
export async function bindReview(edge: KubeClient, spec: DirectoryBindReview['spec']): Promise<BindStatus> {
  const body: DirectoryBindReview & { metadata: object } = { apiVersion: EXT_API_VERSION, kind: 'DirectoryBindReview', metadata: {}, spec }
  try {
    const out = await edge.create<DirectoryBindReview & { metadata: object }>(DIRECTORY_BIND_REVIEW, body)
    if (!out.status || typeof out.status.authenticated !== 'boolean') throw new ApiError(502, 'the extension API server answered a bind review without a status', 'BadGateway')
    return out.status
  } catch (err) {
    throw extServerError(err, spec.provider)
  }
}

export function extServerError(err: unknown, provider: DirectoryProvider): unknown {
  if (!(err instanceof KubeError)) return err
  if (err.status === 404) return new ApiError(503, `auth provider ${provider} needs drover's extension API server (APIService v1.ext.cattle.io), which is not installed in the management cluster`, 'ServiceUnavailable')
  if (err.status === 503 || err.status === 502) return new ApiError(503, `auth provider ${provider}: the extension API server is unavailable; try again shortly`, 'ServiceUnavailable')
  return err
}

export type PrincipalStatus = NonNullable<DirectoryPrincipalReview['status']>

/** A principal search or a user's groups now, through the extension server. */
export async function principalReview(edge: KubeClient, spec: DirectoryPrincipalReview['spec']): Promise<PrincipalStatus> {
  const body: DirectoryPrincipalReview & { metadata: object } = { apiVersion: EXT_API_VERSION, kind: 'DirectoryPrincipalReview', metadata: {}, spec }
  try {
    const out = await edge.create<DirectoryPrincipalReview & { metadata: object }>(DIRECTORY_PRINCIPAL_REVIEW, body)
    if (!out.status || !Array.isArray(out.status.principals)) throw new ApiError(502, 'the extension API server answered a principal review without a status', 'BadGateway')
    return out.status
  } catch (err) {
    throw extServerError(err, spec.provider)
  }
}
