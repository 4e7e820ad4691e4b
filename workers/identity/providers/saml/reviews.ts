// The edge's side of `samlresponsereviews`: sent as the edge through cluster `local`'s tunnel (only the
// edge may create them), answered in `status`.
import { EXT_API_VERSION, SAML_RESPONSE_REVIEW, type SamlResponseReview } from '../../../../protocol/api/ext.ts'
import { KubeError, type KubeClient } from '../../../../protocol/kube/index.ts'
import { ApiError } from '../../../errors.ts'

export type SamlStatus = NonNullable<SamlResponseReview['status']>

export async function samlReview(edge: KubeClient, spec: SamlResponseReview['spec']): Promise<SamlStatus> {
  const body: SamlResponseReview & { metadata: object } = { apiVersion: EXT_API_VERSION, kind: 'SamlResponseReview', metadata: {}, spec }
  try {
    const out = await edge.create<SamlResponseReview & { metadata: object }>(SAML_RESPONSE_REVIEW, body)
    if (!out.status || typeof out.status.authenticated !== 'boolean') throw new ApiError(502, 'the extension API server answered a SAML review without a status', 'BadGateway')
    return out.status
  } catch (err) {
    if (!(err instanceof KubeError)) throw err
    if (err.status === 404) throw new ApiError(503, `auth provider ${spec.provider} needs drover's extension API server (APIService v1.ext.cattle.io), which is not installed in the management cluster`, 'ServiceUnavailable')
    if (err.status === 503 || err.status === 502) throw new ApiError(503, `auth provider ${spec.provider}: the extension API server is unavailable; try again shortly`, 'ServiceUnavailable')
    throw err
  }
}

/** A config the extension server could not use: the admin's to fix, named in the message. */
export const invalidConfig = (provider: string, status: SamlStatus, during: 'login' | 'save'): ApiError =>
  during === 'save'
    ? new ApiError(422, `${provider}: ${status.message ?? 'the config is unusable'}`, 'InvalidBodyContent')
    : new ApiError(500, `auth provider ${provider} is misconfigured: ${status.message ?? 'the config is unusable'}`, 'ServerError')
