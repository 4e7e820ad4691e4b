import type { Logger } from 'pino'
import type { KubeClient } from '../protocol/kube/client.ts'

/** What resources are built with: the management cluster (the server's own credentials) and the logger. */
export interface ExtContext {
  client: KubeClient
  logger: Logger
}
