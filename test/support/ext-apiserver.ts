import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Logger } from 'pino'
import { EXT_APISERVICE } from '../../protocol/api/ext.ts'
import { startExtApiServer, type ExtApiServer, type StartOptions } from '../../ext-apiserver/main.ts'
import { FRONT_PROXY_CLIENT, generateServingPki } from '../../infra/dev-cluster/pki.ts'
import { frontProxyOf } from '../../infra/dev-cluster/state.ts'
import { EXT_SERVICE, extApiServiceManifests, extServingNames } from '../../infra/management/ext-apiservice.ts'
import type { DevCluster } from './dev-cluster.ts'
import { silentLogger } from './logger.ts'

export interface TestExtApiServer extends AsyncDisposable {
  server: ExtApiServer
  /** `https://127.0.0.1:<port>`: the ext server itself, not through the aggregator. */
  url: string
  /** PEM of the CA its serving certificate chains to (the APIService's caBundle). */
  servingCaPem: string
  /** The dev cluster's front-proxy PKI (PEM file paths), for requests made as the aggregator. */
  frontProxy: NonNullable<DevCluster['record']['frontProxy']>
}

/**
 * Starts the extension API server in this process on a free loopback port, against `cluster`: trusting
 * its front-proxy CA, authorizing through its apiserver (admin credentials), serving `resources`. Then
 * registers it (ExternalName Service to localhost + APIService v1.ext.cattle.io) and waits until the
 * aggregator reports the APIService Available. Disposing unregisters it and stops the server.
 */
export async function startTestExtApiServer(
  cluster: DevCluster,
  resources: StartOptions['resources'],
  opts: { logger?: Logger; passwordPeppers?: string } = {},
): Promise<TestExtApiServer> {
  const frontProxy = frontProxyOf(cluster.record)
  const dir = await mkdtemp(join(tmpdir(), 'drover-ext-'))
  const serving = await generateServingPki('drover-ext-apiserver', { dns: extServingNames() })
  const certFile = join(dir, 'serving.crt')
  const keyFile = join(dir, 'serving.key')
  await writeFile(certFile, serving.certPem)
  await writeFile(keyFile, serving.keyPem, { mode: 0o600 })
  let server: ExtApiServer | undefined
  const stop = async () => {
    await cluster.kubectl(['delete', '--ignore-not-found', '--wait=false', `apiservice/${EXT_APISERVICE}`])
    await cluster.kubectl(['delete', '--ignore-not-found', '--wait=false', '-n', EXT_SERVICE.namespace, `service/${EXT_SERVICE.name}`])
    await server?.close()
    await rm(dir, { recursive: true, force: true })
  }
  try {
    server = await startExtApiServer({
      listen: { host: '127.0.0.1', port: 0 },
      servingCertFile: certFile,
      servingKeyFile: keyFile,
      requestHeaderCaFile: frontProxy.caCert,
      allowedNames: [FRONT_PROXY_CLIENT],
      kubeconfig: cluster.kubeconfigPath,
      resources,
      logger: opts.logger ?? silentLogger,
      ...(opts.passwordPeppers ? { passwordPeppers: opts.passwordPeppers } : {}),
    })
    const namespace = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: EXT_SERVICE.namespace } }
    const items = [namespace, ...extApiServiceManifests({ caPem: serving.caPem, localPort: server.port })]
    const applied = await cluster.kubectl(['apply', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items }) })
    if (applied.code !== 0) throw new Error(`applying the APIService failed: ${applied.stderr}`)
    const available = await cluster.kubectl(['wait', '--for=condition=Available', '--timeout=90s', `apiservice/${EXT_APISERVICE}`])
    if (available.code !== 0) {
      const status = await cluster.kubectl(['get', `apiservice/${EXT_APISERVICE}`, '-o', 'jsonpath={.status}'])
      throw new Error(`APIService ${EXT_APISERVICE} did not become Available: ${available.stderr} ${status.stdout}`)
    }
  } catch (e) {
    await stop()
    throw e
  }
  return { server, url: server.url, servingCaPem: serving.caPem, frontProxy, [Symbol.asyncDispose]: stop }
}
