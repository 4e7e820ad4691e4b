import { parseArgs } from 'node:util'
import { stopSignal } from './signals.ts'
import type { KubeConfig } from '@kubernetes/client-node'
import { connectUrl, runAgent } from '../agent/dialer.ts'
import { KubeConfigError, loadKubeConfig } from '../node/kube/kubeconfig.ts'
import { EdgeTrustError, edgeTrustSettings } from '../agent/edge-trust.ts'
import { createLogger } from '../node/log.ts'
import { parseListenAddress, startProbeServer } from '../node/http-server.ts'
import { agentRegistry } from '../agent/metrics.ts'
import { parseServiceAccount, ServiceAccountToken, type ServiceAccountRef } from '../agent/service-account.ts'
import { StartError, UsageError } from './usage.ts'

/**
 * `drover agent --server <url> --token <token> [--kubeconfig <path>] [--service-account <ns>/<name>]
 * [--ca-checksum <sha256>] [--tls-mode strict|system-store] [--metrics-addr HOST:PORT]`: an agent as a local process, for a cluster
 * with no nodes to run it, and the agent of the import manifest's Deployment. The token may come from
 * DROVER_AGENT_TOKEN instead, which keeps it out of `ps`; the checksum and mode from DROVER_CA_CHECKSUM
 * and DROVER_AGENT_TLS_MODE (the manifest sets both). With a checksum the agent trusts only the edge CA
 * it pins (strict, the default then); without one it trusts Node's store, NODE_EXTRA_CA_CERTS included
 * (agent/edge-trust.ts). With --service-account the kubeconfig (an admin's) is used only to request that
 * service account's tokens, and the agent serves as the service account — with the same least privilege
 * as an agent in a pod. Runs until SIGINT/SIGTERM, then closes
 * the tunnel cleanly.
 */
export async function agentCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      server: { type: 'string' },
      token: { type: 'string' },
      kubeconfig: { type: 'string' },
      'service-account': { type: 'string' },
      'ca-checksum': { type: 'string' },
      'tls-mode': { type: 'string' },
      'metrics-addr': { type: 'string' },
    },
  })
  if (positionals.length) throw new UsageError(`unexpected arguments: ${positionals.join(' ')}`)
  const server = values.server
  if (!server) throw new UsageError('agent needs --server <edge URL>')
  let url: URL
  try {
    url = new URL(server)
  } catch {
    throw new UsageError(`--server must be a URL, not "${server}"`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`--server must be an http:// or https:// URL, not "${server}"`)
  const token = values.token ?? process.env.DROVER_AGENT_TOKEN
  if (!token) throw new UsageError('agent needs --token <token> (or DROVER_AGENT_TOKEN in the environment)')
  if (values.kubeconfig === '') throw new UsageError('--kubeconfig needs a path')
  const trust = { caChecksum: values['ca-checksum'] ?? process.env.DROVER_CA_CHECKSUM, tlsMode: values['tls-mode'] ?? process.env.DROVER_AGENT_TLS_MODE }
  try {
    edgeTrustSettings(connectUrl(server).url, trust)
  } catch (e) {
    if (e instanceof EdgeTrustError) throw new UsageError(e.message)
    throw e
  }
  let serviceAccount: ServiceAccountRef | undefined
  if (values['service-account'] !== undefined) {
    try {
      serviceAccount = parseServiceAccount(values['service-account'])
    } catch (e) {
      throw new UsageError((e as Error).message)
    }
  }

  let metricsAddr: { host: string; port: number } | undefined
  if (values['metrics-addr'] !== undefined) {
    try {
      metricsAddr = parseListenAddress(values['metrics-addr'])
    } catch (e) {
      throw new UsageError(`--metrics-addr: ${(e as Error).message}`)
    }
  }

  let kubeConfig: KubeConfig
  try {
    kubeConfig = loadKubeConfig(values.kubeconfig)
  } catch (e) {
    if (e instanceof KubeConfigError) throw new StartError(e.message)
    throw e
  }

  const logger = createLogger('drover-agent')
  let saToken: ServiceAccountToken | undefined
  if (serviceAccount) {
    saToken = await ServiceAccountToken.start(kubeConfig, serviceAccount, { logger })
    kubeConfig = saToken.kubeConfig
  }
  const agent = runAgent({ server, token, logger, ...trust, kubeConfig })
  const probes = metricsAddr ? await startProbeServer(metricsAddr, agentRegistry(agent), () => agent.connected, 'not connected to the edge') : undefined
  if (probes) logger.info({ url: probes.url }, 'serving /healthz, /readyz and /metrics')
  const signal = await stopSignal()
  logger.info({ signal }, 'stopping the agent')
  await probes?.close()
  await agent.stop()
  saToken?.stop()
  return 0
}
