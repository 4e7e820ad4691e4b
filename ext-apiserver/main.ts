// The extension API server as a program: its files read, its management-cluster client built, its
// resources served. `drover ext-apiserver` (cli/ext-apiserver.ts) parses the flags and calls this.
import { readFile } from 'node:fs/promises'
import type { Logger } from 'pino'
import { parsePeppers, type Pepper } from '../protocol/api/password.ts'
import { KubeClient } from '../protocol/kube/client.ts'
import { kubeConfigTransport, loadKubeConfig } from '../node/kube/index.ts'
import { createLogger, errorText } from '../node/log.ts'
import type { ExtContext } from './context.ts'
import { requestHeaderFromCluster } from './request-header.ts'
import { SubjectAccessReviewer } from './server/authorizer.ts'
import type { ExtResource } from './server/resource.ts'
import { startExtServer, type ExtServer } from './server/server.ts'

export interface ExtApiServerOptions {
  listen: { host: string; port: number }
  servingCertFile: string
  servingKeyFile: string
  /**
   * The front proxy's CA (kube-apiserver `--requestheader-client-ca-file`); absent: the one the management
   * cluster publishes in ConfigMap kube-system/extension-apiserver-authentication (request-header.ts).
   */
  requestHeaderCaFile?: string
  /**
   * CNs allowed for the front proxy (kube-apiserver `--requestheader-allowed-names`); empty: any from the CA.
   * Absent: the ConfigMap's without a CA file, else `front-proxy-client`.
   */
  allowedNames?: readonly string[]
  /** The management cluster; absent: the pod's service account (else $KUBECONFIG). */
  kubeconfig?: string
  /**
   * The edge's `DROVER_PASSWORD_PEPPERS` (`id:base64[,…]`, current first): password changes hash as the
   * edge's local provider does. Absent: `passwordchangerequests` refuses with 503.
   */
  passwordPeppers?: string
}

/** A file cannot be read or the kubeconfig is unusable: reported without a stack. */
export class ExtApiServerConfigError extends Error {
  override name = 'ExtApiServerConfigError'
}

export interface StartOptions extends ExtApiServerOptions {
  /** The served resources, or how to build them from the context (the management client). */
  resources: readonly ExtResource[] | ((ctx: ExtContext) => readonly ExtResource[])
  logger?: Logger
}

export interface ExtApiServer extends ExtServer {
  context: ExtContext
}

export async function startExtApiServer(opts: StartOptions): Promise<ExtApiServer> {
  const logger = opts.logger ?? createLogger('drover-ext-apiserver')
  const [servingCert, servingKey, caFromFile] = await Promise.all([
    readPem('--serving-cert', opts.servingCertFile),
    readPem('--serving-key', opts.servingKeyFile),
    opts.requestHeaderCaFile === undefined ? undefined : readPem('--requestheader-client-ca', opts.requestHeaderCaFile),
  ])
  let transport: ReturnType<typeof kubeConfigTransport>
  try {
    transport = kubeConfigTransport(loadKubeConfig(opts.kubeconfig))
  } catch (e) {
    throw new ExtApiServerConfigError(errorText(e))
  }
  const client = new KubeClient(transport)
  let requestHeader: { caPem: string; allowedNames: readonly string[] }
  try {
    requestHeader = caFromFile === undefined ? await requestHeaderFromCluster(client) : { caPem: caFromFile, allowedNames: [FRONT_PROXY_CLIENT] }
  } catch (e) {
    transport.close()
    throw new ExtApiServerConfigError(`cannot learn the front proxy's CA from the management cluster: ${errorText(e)}`)
  }
  const allowedNames = opts.allowedNames ?? requestHeader.allowedNames
  let peppers: Pepper[]
  try {
    peppers = parsePeppers(opts.passwordPeppers)
  } catch (e) {
    transport.close()
    throw new ExtApiServerConfigError(`DROVER_PASSWORD_PEPPERS: ${errorText(e)}`)
  }
  const authorizer = new SubjectAccessReviewer(client, logger)
  const context: ExtContext = { client, logger, authorizer, peppers }
  const resources = typeof opts.resources === 'function' ? opts.resources(context) : opts.resources
  let server: ExtServer
  try {
    server = await startExtServer({
      host: opts.listen.host,
      port: opts.listen.port,
      servingCert,
      servingKey,
      requestHeaderCa: requestHeader.caPem,
      allowedNames,
      resources,
      authorizer,
      logger,
    })
  } catch (e) {
    transport.close()
    throw new ExtApiServerConfigError(`cannot serve on ${opts.listen.host}:${opts.listen.port}: ${errorText(e)}`)
  }
  logger.info({ url: server.url, resources: resources.map((r) => r.type.plural), allowedNames, requestHeaderCa: opts.requestHeaderCaFile ?? 'from the cluster' }, 'extension API server listening')
  const close = async () => {
    await server.close()
    transport.close()
  }
  return { ...server, context, close, [Symbol.asyncDispose]: close }
}

/** The CN kube-apiserver's front-proxy client certificate conventionally carries (kubeadm's, the dev clusters'). */
export const FRONT_PROXY_CLIENT = 'front-proxy-client'

async function readPem(flag: string, file: string): Promise<string> {
  try {
    const text = await readFile(file, 'utf8')
    if (!text.includes('-----BEGIN ')) throw new Error('not PEM')
    return text
  } catch (e) {
    throw new ExtApiServerConfigError(`${flag}: cannot read ${file}: ${errorText(e)}`)
  }
}
