import type { Logger } from 'pino'
import type { Pepper } from '../protocol/api/password.ts'
import type { KubeClient } from '../protocol/kube/client.ts'
import type { SubjectAccessReviewer } from './server/authorizer.ts'

/** What resources are built with: the management cluster (the server's own credentials) and the logger. */
export interface ExtContext {
  client: KubeClient
  logger: Logger
  /** The management cluster's decisions for a user (resources ask it beyond the request's own verb). */
  authorizer: Pick<SubjectAccessReviewer, 'authorize'>
  /** The edge's password peppers (`DROVER_PASSWORD_PEPPERS`), current first; empty: no password changes. */
  peppers: readonly Pepper[]
}
