import { parseArgs } from 'node:util'
import { ExtApiServerConfigError, startExtApiServer, type ExtApiServerOptions } from '../ext-apiserver/main.ts'
import { extResources } from '../ext-apiserver/resources.ts'
import { parseListenAddress } from '../node/http-server.ts'
import { createLogger } from '../node/log.ts'
import { stopSignal } from './signals.ts'
import { UsageError } from './usage.ts'

/**
 * `drover ext-apiserver`: the extension API server behind `APIService v1.ext.cattle.io`. Flags (each also
 * from the environment variable named):
 *   --listen HOST:PORT           (DROVER_EXT_LISTEN, default 0.0.0.0:8443)
 *   --serving-cert PEM-FILE, --serving-key PEM-FILE   (DROVER_EXT_SERVING_CERT, DROVER_EXT_SERVING_KEY)
 *   --requestheader-client-ca PEM-FILE   the front proxy's CA (DROVER_EXT_REQUESTHEADER_CA; default: the
 *                                one the cluster publishes in ConfigMap kube-system/extension-apiserver-authentication)
 *   --requestheader-allowed-names A,B    its allowed CNs (DROVER_EXT_REQUESTHEADER_ALLOWED_NAMES; default:
 *                                front-proxy-client with a CA file, else the ConfigMap's; "" allows any CN from that CA)
 *   --kubeconfig PATH            the management cluster (else in-cluster, else $KUBECONFIG)
 * Environment only (a secret): DROVER_PASSWORD_PEPPERS, the edge's password peppers, for password changes.
 */
export function parseExtApiServerArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): ExtApiServerOptions {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      listen: { type: 'string' },
      'serving-cert': { type: 'string' },
      'serving-key': { type: 'string' },
      'requestheader-client-ca': { type: 'string' },
      'requestheader-allowed-names': { type: 'string' },
      kubeconfig: { type: 'string' },
    },
  })
  if (positionals.length) throw new UsageError(`unexpected arguments: ${positionals.join(' ')}`)
  const required = (flag: string, v: string | undefined, envName: string): string => {
    if (!v) throw new UsageError(`--${flag} is required (or ${envName} in the environment)`)
    return v
  }
  let listen
  try {
    listen = parseListenAddress(values.listen ?? env.DROVER_EXT_LISTEN ?? '0.0.0.0:8443')
  } catch (e) {
    throw new UsageError(`--listen: ${(e as Error).message}`)
  }
  if (values.kubeconfig === '') throw new UsageError('--kubeconfig needs a path')
  const names = values['requestheader-allowed-names'] ?? env.DROVER_EXT_REQUESTHEADER_ALLOWED_NAMES
  const ca = values['requestheader-client-ca'] ?? env.DROVER_EXT_REQUESTHEADER_CA
  if (ca === '') throw new UsageError('--requestheader-client-ca needs a path')
  return {
    listen,
    servingCertFile: required('serving-cert', values['serving-cert'] ?? env.DROVER_EXT_SERVING_CERT, 'DROVER_EXT_SERVING_CERT'),
    servingKeyFile: required('serving-key', values['serving-key'] ?? env.DROVER_EXT_SERVING_KEY, 'DROVER_EXT_SERVING_KEY'),
    ...(ca ? { requestHeaderCaFile: ca } : {}),
    ...(names !== undefined ? { allowedNames: names.split(',').map((n) => n.trim()).filter(Boolean) } : {}),
    ...(values.kubeconfig ? { kubeconfig: values.kubeconfig } : {}),
    ...(env.DROVER_PASSWORD_PEPPERS ? { passwordPeppers: env.DROVER_PASSWORD_PEPPERS } : {}),
  }
}

export async function extApiServerCommand(argv: string[]): Promise<number> {
  const opts = parseExtApiServerArgs(argv)
  const logger = createLogger('drover-ext-apiserver')
  let server
  try {
    server = await startExtApiServer({ ...opts, resources: extResources, logger })
  } catch (e) {
    if (e instanceof ExtApiServerConfigError) {
      process.stderr.write(`drover: ${e.message}\n`)
      return 1
    }
    throw e
  }
  const signal = await stopSignal()
  logger.info({ signal }, 'stopping the extension API server')
  await server.close()
  return 0
}
