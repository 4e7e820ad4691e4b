/**
 * P8 of DESIGN.md: 1,000 Clusters created at once → every ClusterRegistrationToken has its manifest URL.
 * `npx tsx bench/controller-clusters.ts` (not an npm script yet). A lite dev cluster as the management
 * cluster; the Cluster reconciler driven by a small event loop standing in for the runtime's informer and
 * work queue (each create's response is the "add" event; 16 workers, the clusters controller's default).
 * TODO(lead): switch to the runtime's Manager once controller-runner/runtime exports one.
 */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Cluster, ClusterRegistrationToken, Setting } from '../protocol/crds/index.ts'
import { ClusterReconciler } from '../controller-runner/reconcilers/cluster.ts'
import { KubeClient } from '../controller-runner/reconcilers/kube/client.ts'
import { mgmt } from '../controller-runner/reconcilers/kube/resources.ts'
import { forEachLimited } from '../controller-runner/reconcilers/limit.ts'
import { Settings, SettingsReconciler } from '../controller-runner/reconcilers/settings.ts'
import { systemClock, type Cache } from '../controller-runner/runtime/types.ts'
import { devCluster } from '../test/support/dev-cluster.ts'

process.env.DROVER_STATE_DIR ??= mkdtempSync(join(tmpdir(), 'drover-bench-'))
const log = (s: string) => process.stderr.write(`[bench] ${s}\n`)
const N = Number(process.env.P8_CLUSTERS ?? 1000)
const WORKERS = 16
const CREATE_CONCURRENCY = 32
const CLUSTER = mgmt('Cluster')
const CRT = mgmt('ClusterRegistrationToken')

/** A store fed by hand, as an informer's would be by its watch. */
class Store<T extends { metadata: { name?: string } }> implements Cache<T> {
  readonly items = new Map<string, T>()
  get = (name: string) => this.items.get(name)
  list = () => [...this.items.values()]
  synced = () => true
}

async function main(): Promise<void> {
  log('starting a lite management cluster')
  await using mc = await devCluster('bench-p8', { mode: 'lite' })
  const client = KubeClient.fromKubeConfig(mc.kubeConfig)
  const settingsStore = new Store<Setting>()
  const settings = new Settings(settingsStore, { serverUrl: 'https://drover.bench' })
  await new SettingsReconciler({ settings, cache: settingsStore, client }).seed()
  for (const s of await client.list<Setting>(mgmt('Setting'))) settingsStore.items.set(s.metadata.name!, s)

  const clusters = new Store<Cluster>()
  const reconciler = new ClusterReconciler({ clusters, client, settings, clock: systemClock })
  const queue: string[] = []
  const waiting: (() => void)[] = []
  let creating = true
  let failures = 0
  const enqueue = (id: string) => {
    queue.push(id)
    waiting.shift()?.()
  }
  const worker = async () => {
    for (;;) {
      const id = queue.shift()
      if (id === undefined) {
        if (!creating) return
        await new Promise<void>((r) => waiting.push(r))
        continue
      }
      try {
        await reconciler.reconcile({ name: id })
      } catch {
        // Retried like the work queue would (a 409 after a concurrent write): re-read, requeue.
        failures++
        const fresh = await client.get<Cluster>(CLUSTER, id)
        if (fresh) clusters.items.set(id, fresh)
        queue.push(id)
      }
    }
  }

  const ids = Array.from({ length: N }, (_, i) => `c-p8-${String(i).padStart(4, '0')}`)
  log(`creating ${N} Clusters (${CREATE_CONCURRENCY} at a time) with ${WORKERS} reconcile workers`)
  const started = performance.now()
  const workers = Array.from({ length: WORKERS }, worker)
  await forEachLimited(ids, CREATE_CONCURRENCY, async (id) => {
    const created = await client.create<Cluster>(CLUSTER, { apiVersion: 'management.cattle.io/v3', kind: 'Cluster', metadata: { name: id }, spec: { displayName: id } })
    clusters.items.set(id, created)
    enqueue(id)
  })
  const created = performance.now()

  let ready = 0
  for (;;) {
    const crts = await client.list<ClusterRegistrationToken>(CRT)
    ready = crts.filter((c) => c.status?.manifestUrl && ids.includes(c.metadata.namespace!)).length
    if (ready >= N) break
    if (performance.now() - started > 300_000) throw new Error(`only ${ready}/${N} ready after 300 s`)
    await new Promise((r) => setTimeout(r, 250))
  }
  const done = performance.now()
  creating = false
  for (const w of waiting.splice(0)) w()
  await Promise.race([Promise.all(workers), new Promise((r) => setTimeout(r, 1000))])
  log(`creates took ${((created - started) / 1000).toFixed(1)} s; ${failures} reconciles retried`)
  process.stdout.write(`P8 ${N} Clusters → tokens and manifests ready in ${((done - started) / 1000).toFixed(1)} s (target ≤ 20 s)\n`)
}

await main()
process.exit(0)
