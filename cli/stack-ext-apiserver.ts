// `drover start`'s extension API server: a `drover ext-apiserver` child on a free loopback port, as the
// service account the management RBAC binds (not the admin), registered behind APIService v1.ext.cattle.io
// once it answers, and unregistered before it stops — an APIService with no server behind it fails
// discovery for every kubectl and blocks namespace deletion.
import { X509Certificate } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { KubeConfig } from '@kubernetes/client-node'
import { Agent, fetch } from 'undici'
import { stringify } from 'yaml'
import { EXT_APISERVICE } from '../protocol/api/ext.ts'
import { generateServingPki } from '../infra/dev-cluster/pki.ts'
import { freePort } from '../infra/dev-cluster/ports.ts'
import { frontProxyOf, readRecord } from '../infra/dev-cluster/state.ts'
import { EXT_SERVICE, extApiServiceManifests, extServingNames } from '../infra/management/ext-apiservice.ts'
import { EXT_APISERVER_ACCOUNT } from '../infra/management/rbac.ts'
import { kubectl } from './management-setup.ts'
import { spawnDrover, type Child } from './stack-processes.ts'
import { StartError } from './usage.ts'

export interface StackExtApiServerOptions {
  /** The management cluster, as an identity that may create service accounts and their tokens. */
  adminKubeconfig: string
  /** The front proxy's CA (dev clusters: `frontProxyOf(record).caCert`); absent: the cluster's published one. */
  requestHeaderCaFile?: string
  /** Where the serving PKI, the server's kubeconfig and its log live (`.drover/`). */
  dir: string
  log: (line: string) => void
  /** The edge's DROVER_PASSWORD_PEPPERS, for passwordchangerequests (passed in the environment, never argv). */
  passwordPeppers?: string
}

export interface StackExtApiServer {
  /** `https://127.0.0.1:<port>`: the server itself; clients reach it through the management apiserver. */
  url: string
  pid: number
  /** Unregisters the APIService, then stops the process. */
  stop(): Promise<void>
}

const TLS_FILE = 'ext-apiserver-tls.json'
/** The server's own credential: long enough for any local session; every start issues a new one. */
const TOKEN_DURATION = '8760h'
const MIN_VALIDITY_MS = 7 * 24 * 3600 * 1000

/**
 * The serving CA, certificate and key, kept across starts so the APIService's caBundle stays the same;
 * made again when missing or within a week of expiring.
 */
export async function servingPki(dir: string): Promise<{ caPem: string; certPem: string; keyPem: string }> {
  const file = join(dir, TLS_FILE)
  if (existsSync(file)) {
    try {
      const kept = JSON.parse(await readFile(file, 'utf8')) as { caPem: string; certPem: string; keyPem: string }
      const cert = new X509Certificate(kept.certPem)
      if (Date.parse(cert.validTo) - Date.now() > MIN_VALIDITY_MS && extServingNames().every((n) => cert.checkHost(n))) return kept
    } catch {
      // unreadable: made again below
    }
  }
  const pki = await generateServingPki(EXT_SERVICE.name, { dns: extServingNames() })
  await writeFile(file, JSON.stringify(pki, null, 2) + '\n', { mode: 0o600 })
  return pki
}

/**
 * A kubeconfig for the management cluster as service account cattle-system/drover-ext-apiserver (bound
 * to ClusterRole drover-ext-apiserver and its Roles by `managementRbac()`), with a token from the
 * TokenRequest API: works on a dev cluster and on any cluster `--kubeconfig` names, needs no CA key.
 */
export async function serviceAccountKubeconfig(adminKubeconfig: string): Promise<string> {
  const { namespace, name } = EXT_APISERVER_ACCOUNT
  const account = { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace, labels: { 'app.kubernetes.io/managed-by': 'drover', 'app.kubernetes.io/part-of': 'drover' } } }
  await kubectl(adminKubeconfig, ['apply', '--server-side', '--force-conflicts', '--field-manager=drover-start', '-f', '-'], JSON.stringify(account))
  const token = (await kubectl(adminKubeconfig, ['create', 'token', '-n', namespace, name, `--duration=${TOKEN_DURATION}`])).trim()
  const admin = new KubeConfig()
  admin.loadFromFile(adminKubeconfig)
  const cluster = admin.getCurrentCluster()
  if (!cluster) throw new StartError(`${adminKubeconfig} has no current cluster`)
  const caData = cluster.caData ?? (cluster.caFile ? Buffer.from(await readFile(cluster.caFile)).toString('base64') : undefined)
  const user = `system:serviceaccount:${namespace}:${name}`
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'management', cluster: { server: cluster.server, ...(caData ? { 'certificate-authority-data': caData } : {}), ...(cluster.skipTLSVerify ? { 'insecure-skip-tls-verify': true } : {}) } }],
    users: [{ name: user, user: { token } }],
    contexts: [{ name: 'management', context: { cluster: 'management', user } }],
    'current-context': 'management',
  })
}

async function untilReady(url: string, caPem: string, child: Child, deadlineMs: number): Promise<void> {
  const dispatcher = new Agent({ connect: { ca: caPem } })
  try {
    const deadline = Date.now() + deadlineMs
    for (;;) {
      if (child.process.exitCode !== null || child.process.signalCode !== null) throw new StartError(`it exited (code ${child.process.exitCode ?? child.process.signalCode}) before answering`)
      const status = await fetch(`${url}/readyz`, { dispatcher }).then((r) => r.status, () => 0)
      if (status === 200) return
      if (Date.now() > deadline) throw new StartError(`${url}/readyz did not answer 200 within ${deadlineMs / 1000} s`)
      await sleep(200)
    }
  } finally {
    await dispatcher.close()
  }
}

async function unregister(kubeconfig: string): Promise<void> {
  await kubectl(kubeconfig, ['delete', '--ignore-not-found', '--wait=false', `apiservice/${EXT_APISERVICE}`])
  await kubectl(kubeconfig, ['delete', '--ignore-not-found', '--wait=false', '-n', EXT_SERVICE.namespace, `service/${EXT_SERVICE.name}`])
}

/**
 * Starts the server, registers it (ExternalName Service to localhost — the management apiserver must run on
 * this machine — and the APIService) and waits until the aggregator reports it Available. Throws a
 * StartError naming the log when any of that fails, after undoing it. Should the process die later, its
 * APIService is removed and `onExit` says so; the rest of the stack keeps running.
 */
export async function startStackExtApiServer(opts: StackExtApiServerOptions, onExit: (message: string) => void): Promise<StackExtApiServer> {
  const own = join(opts.dir, 'ext-apiserver')
  await mkdir(own, { recursive: true, mode: 0o700 })
  const pki = await servingPki(opts.dir)
  const certFile = join(own, 'serving.crt')
  const keyFile = join(own, 'serving.key')
  const kubeconfigFile = join(own, 'kubeconfig')
  await writeFile(certFile, pki.certPem)
  await writeFile(keyFile, pki.keyPem, { mode: 0o600 })
  await writeFile(kubeconfigFile, await serviceAccountKubeconfig(opts.adminKubeconfig), { mode: 0o600 })
  const logFile = join(opts.dir, 'logs', 'ext-apiserver.log')
  const port = await freePort()
  const url = `https://127.0.0.1:${port}`
  const args = ['ext-apiserver', '--listen', `127.0.0.1:${port}`, '--serving-cert', certFile, '--serving-key', keyFile, '--kubeconfig', kubeconfigFile]
  if (opts.requestHeaderCaFile) args.push('--requestheader-client-ca', opts.requestHeaderCaFile)
  let stopping = false
  const child = spawnDrover('ext-apiserver', args, opts.passwordPeppers ? { DROVER_PASSWORD_PEPPERS: opts.passwordPeppers } : {}, logFile, (code) => {
    if (stopping) return
    void unregister(opts.adminKubeconfig).catch(() => {})
    onExit(`the extension API server exited (code ${code}): LDAP/AD and SAML logins fail until the next start; APIService ${EXT_APISERVICE} was removed so kubectl discovery keeps working; its log is ${logFile}`)
  })
  const stop = async () => {
    stopping = true
    // Unregistered first: between the two, discovery would otherwise name a server that is gone.
    await unregister(opts.adminKubeconfig).catch(() => {})
    await child.stop()
  }
  try {
    stopping = true // failures during start-up are thrown, not reported through onExit
    await untilReady(url, pki.caPem, child, 30_000)
    const namespace = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: EXT_SERVICE.namespace } }
    const items = [namespace, ...extApiServiceManifests({ caPem: pki.caPem, localPort: port })]
    await kubectl(opts.adminKubeconfig, ['apply', '--server-side', '--force-conflicts', '--field-manager=drover-start', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items }))
    opts.log(`waiting for APIService ${EXT_APISERVICE} to become Available…`)
    try {
      await kubectl(opts.adminKubeconfig, ['wait', '--for=condition=Available', '--timeout=60s', `apiservice/${EXT_APISERVICE}`])
    } catch (e) {
      const status = await kubectl(opts.adminKubeconfig, ['get', `apiservice/${EXT_APISERVICE}`, '-o', 'jsonpath={.status.conditions}']).catch(() => '')
      throw new StartError(`${(e as Error).message} ${status}`.trim())
    }
    stopping = false
  } catch (e) {
    await stop()
    throw new StartError(`the extension API server did not come up: ${(e as Error).message}; its log is ${logFile}`)
  }
  return { url, pid: child.process.pid!, stop }
}

/**
 * The front proxy's CA file for the server: a dev cluster's own (its record); for a cluster `--kubeconfig`
 * names, none — the server reads the one the cluster publishes — but only when that apiserver runs on this
 * machine, since the ExternalName Service points it at localhost.
 */
export async function requestHeaderCaFor(adminKubeconfig: string, devCluster: string | undefined): Promise<string | undefined> {
  if (devCluster !== undefined) {
    const rec = await readRecord(devCluster)
    if (!rec) throw new StartError(`dev cluster "${devCluster}" has no record`)
    return frontProxyOf(rec).caCert
  }
  const kc = new KubeConfig()
  kc.loadFromFile(adminKubeconfig)
  const host = new URL(kc.getCurrentCluster()?.server ?? 'https://unknown').hostname
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(host)) {
    throw new StartError(`not started: the management apiserver (${host}) is not on this machine, so it cannot reach a local process; run the Helm chart's ext server there (extApiServer.enabled)`)
  }
  return undefined
}
