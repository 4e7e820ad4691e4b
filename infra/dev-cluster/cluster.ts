import { mkdir, readdir, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { GROUP, KINDS } from '../../protocol/crds/index.ts'
import { crdManifestFiles } from '../crds/index.ts'
import { managementAdmission, MUTATION_PROBE, mutationInEffect } from '../management/admission.ts'
import { ensureKubernetesBinaries, type KubernetesBinaries } from '../kubernetes/build.ts'
import { formatDuration, run, type Log } from '../kubernetes/progress.ts'
import { renderKubeconfig } from './kubeconfig.ts'
import { nodeManifests, renderKwokConfig, type PortForwardTarget } from './kwok-config.ts'
import { FRONT_PROXY_CLIENT, generatePki, writePki, type ClientName, type Pki, type PkiFiles } from './pki.ts'
import { criLogLine, podLogFile } from './pod-log.ts'
import { freePorts } from './ports.ts'
import { httpsGet } from './probe.ts'
import { startDetached, stopProcess, StartupError, waitReady } from './processes.ts'
import {
  checkName,
  clusterDir,
  clusterNames,
  DevClusterError,
  health,
  readRecord,
  writeRecord,
  type Component,
  type DevClusterRecord,
  type Mode,
} from './state.ts'

export interface UpOptions {
  /** `full` (default): etcd, apiserver, controller-manager, scheduler and kwok. `lite`: etcd and apiserver. */
  mode?: Mode
  nodes?: number
  portForwards?: PortForwardTarget[]
  env?: NodeJS.ProcessEnv
  log?: Log
  /** Start on the etcd data a previous `stop` kept (new ports and certificates, same objects). */
  keepData?: boolean
}

const PORT_ATTEMPTS = 4

/**
 * Starts a dev cluster and returns its record once it is usable: API ready, CRDs established, and in
 * full mode nodes Ready and the default service account present. Whatever fails, nothing is left running.
 */
export async function up(name: string, opts: UpOptions = {}): Promise<DevClusterRecord> {
  checkName(name)
  const env = opts.env ?? process.env
  const log = opts.log ?? (() => {})
  const mode = opts.mode ?? 'full'
  const existing = await readRecord(name, env)
  if (existing && health(existing) !== 'stopped') {
    throw new DevClusterError(
      `dev cluster "${name}" is already running (kubeconfig: ${existing.kubeconfig}); use it, or "drover dev-cluster down ${name}" first`,
    )
  }
  const dir = clusterDir(name, env)
  await clearDir(dir, opts.keepData ? ['etcd'] : [])
  await mkdir(dir, { recursive: true })
  const rec: DevClusterRecord = {
    name,
    mode,
    dir,
    server: '',
    kubeconfig: join(dir, 'admin.kubeconfig'),
    ports: {},
    components: [],
    startedAt: new Date().toISOString(),
    kubernetesVersion: '',
  }
  try {
    const k8s = await ensureKubernetesBinaries({ env, log })
    rec.kubernetesVersion = k8s.versions.kubernetes
    const started = Date.now()
    log(`starting dev cluster "${name}" (${mode})`)
    const pki = await generatePki(name)
    const files = await writePki(join(dir, 'pki'), pki)
    rec.frontProxy = { caCert: files.frontProxyCaCert, caKey: files.frontProxyCaKey, clientCert: files.frontProxyClientCert, clientKey: files.frontProxyClientKey }
    const c = new Starter(rec, k8s, pki, files, env, log)
    await c.etcd()
    await c.apiserver()
    await c.installCrds()
    if (mode === 'full') {
      await c.controllerManager()
      await c.scheduler()
      await c.kwok(opts.nodes ?? 2, opts.portForwards)
      await c.waitUsable()
    }
    await writeRecord(rec)
    log(`dev cluster "${name}" is up at ${rec.server} after ${formatDuration(Date.now() - started)}`)
    return rec
  } catch (e) {
    await stopComponents(rec.components)
    await clearDir(dir, opts.keepData ? ['etcd'] : [])
    throw e
  }
}

/** Empties a cluster directory except the entries named in `keep`. */
async function clearDir(dir: string, keep: string[]): Promise<void> {
  if (keep.length === 0) return rm(dir, { recursive: true, force: true })
  const entries = await readdir(dir).catch(() => [] as string[])
  for (const e of entries) if (!keep.includes(e)) await rm(join(dir, e), { recursive: true, force: true })
}

/** Stops every process of the dev cluster and keeps its etcd data for `up(name, { keepData: true })`. */
export async function stop(name: string, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  checkName(name)
  const rec = await readRecord(name, env)
  if (!rec) throw new DevClusterError(`no dev cluster named "${name}"; "drover dev-cluster list" shows the ones there are`)
  await stopComponents(rec.components)
}

class Starter {
  constructor(
    private rec: DevClusterRecord,
    private k8s: KubernetesBinaries,
    private pki: Pki,
    private files: PkiFiles,
    private env: NodeJS.ProcessEnv,
    private log: Log,
  ) {}

  private path(...p: string[]) {
    return join(this.rec.dir, ...p)
  }

  /** Starts one component, retrying on fresh ports when the ones it was given were taken meanwhile. */
  private async start(
    name: string,
    portNames: string[],
    args: (ports: number[]) => string[],
    ready: (ports: number[]) => Promise<boolean>,
  ): Promise<void> {
    const bin = this.k8s.bin[name === 'kwok' ? 'kwok' : (name as keyof KubernetesBinaries['bin'])]
    for (let attempt = 1; ; attempt++) {
      const ports = await freePorts(portNames.length)
      const log = this.path('logs', `${name}.log`)
      await mkdir(this.path('logs'), { recursive: true })
      const started = startDetached(bin, args(ports), log, { ...this.env, HOME: this.rec.dir })
      const component: Component = { name, bin, pid: started.pid, log }
      this.rec.components.push(component)
      portNames.forEach((p, i) => (this.rec.ports[p] = ports[i]!))
      await writeRecord(this.rec)
      try {
        await waitReady(name, started, bin, () => ready(ports), 90_000)
        this.log(`${name} ready`)
        return
      } catch (e) {
        await stopProcess(component.pid, bin)
        this.rec.components = this.rec.components.filter((c) => c !== component)
        if (e instanceof StartupError && e.portClash && attempt < PORT_ATTEMPTS) {
          this.log(`${name}: port taken, retrying on other ports (attempt ${attempt + 1})`)
          continue
        }
        throw e
      }
    }
  }

  async etcd() {
    await this.start(
      'etcd',
      ['etcdClient', 'etcdPeer'],
      ([client, peer]) => [
        '--name=default',
        `--data-dir=${this.path('etcd')}`,
        `--listen-client-urls=http://127.0.0.1:${client}`,
        `--advertise-client-urls=http://127.0.0.1:${client}`,
        `--listen-peer-urls=http://127.0.0.1:${peer}`,
        `--initial-advertise-peer-urls=http://127.0.0.1:${peer}`,
        `--initial-cluster=default=http://127.0.0.1:${peer}`,
        '--unsafe-no-fsync=true',
        '--quota-backend-bytes=2147483648',
        '--log-level=warn',
      ],
      async ([client]) => (await httpsGet(`http://127.0.0.1:${client}/health`, '')).body.includes('"true"'),
    )
  }

  async apiserver() {
    const f = this.files
    const liteArgs = this.rec.mode === 'lite' ? ['--disable-admission-plugins=ServiceAccount'] : []
    await this.start(
      'kube-apiserver',
      ['apiserver'],
      ([port]) => [
        `--etcd-servers=http://127.0.0.1:${this.rec.ports.etcdClient}`,
        '--bind-address=127.0.0.1',
        '--advertise-address=127.0.0.1',
        `--secure-port=${port}`,
        `--tls-cert-file=${f.apiserverCert}`,
        `--tls-private-key-file=${f.apiserverKey}`,
        `--client-ca-file=${f.caCert}`,
        '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
        `--service-account-key-file=${f.saPub}`,
        `--service-account-signing-key-file=${f.saKey}`,
        '--service-cluster-ip-range=10.0.0.0/24',
        '--authorization-mode=Node,RBAC',
        '--allow-privileged=true',
        '--endpoint-reconciler-type=none',
        '--kubelet-preferred-address-types=InternalIP',
        '--feature-gates=ExtendWebSocketsToKubelet=false',
        '--profiling=false',
        // The aggregation layer: extension API servers (APIService v1.ext.cattle.io) trust the
        // X-Remote-* headers only from a client certificate of this separate CA with this CN.
        `--requestheader-client-ca-file=${f.frontProxyCaCert}`,
        `--requestheader-allowed-names=${FRONT_PROXY_CLIENT}`,
        '--requestheader-username-headers=X-Remote-User',
        '--requestheader-group-headers=X-Remote-Group',
        '--requestheader-extra-headers-prefix=X-Remote-Extra-',
        `--proxy-client-cert-file=${f.frontProxyClientCert}`,
        `--proxy-client-key-file=${f.frontProxyClientKey}`,
        ...liteArgs,
      ],
      async ([port]) => (await httpsGet(`https://127.0.0.1:${port}/readyz`, this.pki.ca.certPem)).status === 200,
    )
    this.rec.server = `https://127.0.0.1:${this.rec.ports.apiserver}`
    await writeFile(this.rec.kubeconfig, this.kubeconfig('admin'), { mode: 0o600 })
  }

  private kubeconfig(client: ClientName): string {
    const id = this.pki.clients[client]
    return renderKubeconfig({
      cluster: `drover-dev-${this.rec.name}`,
      server: this.rec.server,
      caPem: this.pki.ca.certPem,
      user: client,
      certPem: id.certPem,
      keyPem: id.keyPem,
    })
  }

  private async componentKubeconfig(client: ClientName): Promise<string> {
    await mkdir(this.path('kubeconfigs'), { recursive: true })
    const file = this.path('kubeconfigs', `${client}.kubeconfig`)
    await writeFile(file, this.kubeconfig(client), { mode: 0o600 })
    return file
  }

  kubectl(args: string[], label?: string) {
    return run(this.k8s.bin.kubectl, ['--kubeconfig', this.rec.kubeconfig, ...args], { env: this.env, label, log: this.log })
  }

  async installCrds() {
    // With the CRDs, the invariants every writer of them is held to (infra/management/admission.ts).
    const policies = this.path('admission.json')
    await writeFile(policies, JSON.stringify({ apiVersion: 'v1', kind: 'List', items: managementAdmission() }))
    await this.kubectl(['apply', '--server-side', '--force-conflicts', ...[...crdManifestFiles(), policies].flatMap((f) => ['-f', f])])
    // `kubectl wait` fails outright ("conditions accessor error") on a CRD whose status is not written yet.
    await retry(() => this.kubectl(['wait', '--for=condition=Established', '--timeout=60s', 'crd', '--all']), 30)
    // Established is not yet servable: until each resource's watch cache is warm, lists and watches get
    // 429. kubectl retries those, so one successful list of every kind means clients can start at once.
    const resources = Object.values(KINDS).map((k) => `${k.plural}.${GROUP}`)
    await this.kubectl(['get', resources.join(','), '--all-namespaces', '--request-timeout=60s', '-o', 'name'])
    const probe = this.path('admission-probe.json')
    await writeFile(probe, JSON.stringify(MUTATION_PROBE))
    for (let i = 0; ; i++) {
      const out = await this.kubectl(['create', '--dry-run=server', '-o', 'json', '-f', probe]).catch((e: unknown) => (i < 240 ? '' : Promise.reject(e)))
      if (out && mutationInEffect(JSON.parse(out) as Parameters<typeof mutationInEffect>[0])) break
      if (i >= 240) throw new Error('admission policy drover-cluster-finalizer did not take effect within a minute')
      await sleep(250)
    }
    this.log('drover CRDs and admission policies installed')
  }

  async controllerManager() {
    const kc = await this.componentKubeconfig('kube-controller-manager')
    const f = this.files
    await this.start(
      'kube-controller-manager',
      [],
      () => [
        `--kubeconfig=${kc}`,
        '--secure-port=0',
        '--leader-elect=false',
        `--cluster-name=${this.rec.name}`,
        `--service-account-private-key-file=${f.saKey}`,
        `--root-ca-file=${f.caCert}`,
        `--cluster-signing-cert-file=${f.caCert}`,
        `--cluster-signing-key-file=${f.caKey}`,
        '--use-service-account-credentials=true',
        '--profiling=false',
      ],
      async () => (await this.kubectl(['get', 'serviceaccount', 'default', '-n', 'default', '-o', 'name']).catch(() => '')) !== '',
    )
  }

  async scheduler() {
    const kc = await this.componentKubeconfig('kube-scheduler')
    await this.start(
      'kube-scheduler',
      [],
      () => [`--kubeconfig=${kc}`, '--secure-port=0', '--leader-elect=false', '--profiling=false'],
      async () => true,
    )
  }

  async kwok(nodes: number, portForwards?: PortForwardTarget[]) {
    const kc = await this.componentKubeconfig('kwok')
    const config = this.path('kwok.yaml')
    const logsFile = podLogFile(this.rec.dir)
    await mkdir(this.path('exec'), { recursive: true })
    await writeFile(logsFile, criLogLine(`drover dev cluster ${this.rec.name}: container log`))
    await writeFile(config, await renderKwokConfig(this.k8s.kwokStages, { execDir: this.path('exec'), logsFile, portForwards }))
    const f = this.files
    await this.start(
      'kwok',
      ['kwok'],
      ([port]) => [
        `--kubeconfig=${kc}`,
        `--config=${config}`,
        '--manage-all-nodes=true',
        '--node-ip=127.0.0.1',
        `--node-port=${port}`,
        `--server-address=127.0.0.1:${port}`,
        `--tls-cert-file=${f.kwokCert}`,
        `--tls-private-key-file=${f.kwokKey}`,
        '--node-lease-duration-seconds=40',
        '--cidr=10.244.0.1/16',
      ],
      async ([port]) => (await httpsGet(`https://127.0.0.1:${port}/healthz`, this.pki.ca.certPem)).status === 200,
    )
    const manifest = this.path('nodes.yaml')
    await writeFile(manifest, nodeManifests(this.rec.name, nodes))
    await this.kubectl(['apply', '-f', manifest])
  }

  async waitUsable() {
    await this.kubectl(['wait', '--for=condition=Ready', '--timeout=60s', 'node', '--all'], 'waiting for kwok nodes to be Ready')
  }
}

async function retry<T>(fn: () => Promise<T>, attempts: number): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn()
    } catch (e) {
      if (i >= attempts) throw e
      await sleep(1000)
    }
  }
}

async function stopComponents(components: Component[]): Promise<void> {
  for (const c of [...components].reverse()) await stopProcess(c.pid, c.bin)
}

/** Stops every process of the dev cluster and deletes its data. */
export async function down(name: string, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  checkName(name)
  const rec = await readRecord(name, env)
  if (!rec) throw new DevClusterError(`no dev cluster named "${name}"; "drover dev-cluster list" shows the ones there are`)
  await stopComponents(rec.components)
  await rm(rec.dir, { recursive: true, force: true })
}

export interface ListedCluster {
  name: string
  health: ReturnType<typeof health>
  server: string
  kubeconfig: string
  mode: Mode
}

export async function list(env: NodeJS.ProcessEnv = process.env): Promise<ListedCluster[]> {
  const out: ListedCluster[] = []
  for (const name of await clusterNames(env)) {
    const rec = await readRecord(name, env)
    if (rec) out.push({ name, health: health(rec), server: rec.server, kubeconfig: rec.kubeconfig, mode: rec.mode })
  }
  return out
}

export async function kubeconfigPath(name: string, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  checkName(name)
  const rec = await readRecord(name, env)
  if (!rec) throw new DevClusterError(`no dev cluster named "${name}"; "drover dev-cluster list" shows the ones there are`)
  return rec.kubeconfig
}

/** Stops every dev cluster under the state directory (test teardown). */
export async function downAll(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  for (const name of await clusterNames(env)) await down(name, env).catch(() => {})
}
