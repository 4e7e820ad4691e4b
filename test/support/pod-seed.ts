// Many pods in a dev cluster quickly, as bench/v1.ts seeds them: plain POSTs straight to the apiserver with
// the cluster's admin credentials over a keep-alive pool, 24 at a time (no kubelet needed: a pod that is
// never scheduled is still a pod to list). Used by the UI's scale test and bench/ui-scale.ts.
import { Agent as HttpsAgent, request as httpsRequest, type RequestOptions } from 'node:https'
import { KubeConfig } from '@kubernetes/client-node'
import type { DevCluster } from './dev-cluster.ts'

export interface PodApi extends Disposable {
  call(method: string, path: string, body?: unknown, contentType?: string): Promise<{ status: number; text: string }>
}

export async function podApi(cluster: DevCluster): Promise<PodApi> {
  const kube = new KubeConfig()
  kube.loadFromFile(cluster.kubeconfigPath)
  const tls: RequestOptions = {}
  await kube.applyToHTTPSOptions(tls)
  const agent = new HttpsAgent({ keepAlive: true, maxSockets: 32, ca: tls.ca, cert: tls.cert, key: tls.key })
  return {
    call: (method, path, body, contentType = 'application/json') =>
      new Promise((resolve, reject) => {
        const r = httpsRequest(`${cluster.server}${path}`, { ...tls, agent, method, headers: body ? { 'content-type': contentType } : {} }, (res) => {
          const chunks: Buffer[] = []
          res.on('data', (d: Buffer) => chunks.push(d))
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }))
          res.on('error', reject)
        })
        r.on('error', reject)
        r.end(body ? JSON.stringify(body) : undefined)
      }),
    [Symbol.dispose]: () => agent.destroy(),
  }
}

export const podName = (i: number) => `pod-${String(i).padStart(6, '0')}`

export function seedPod(i: number, namespace: string) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: podName(i), namespace, labels: { app: `app-${i % 20}`, tier: i % 3 ? 'web' : 'db' } },
    spec: { nodeName: `node-${i % 20}`, containers: [{ name: 'main', image: `registry.example/app-${i % 20}:1.${i % 7}` }] },
  }
}

/** Creates pods `from`…`to - 1`, spread over `namespaces` (by index modulo their count). */
export async function seedPods(api: PodApi, from: number, to: number, namespaces: readonly string[], log: (s: string) => void = () => {}): Promise<void> {
  let next = from
  let done = 0
  await Promise.all(
    Array.from({ length: 24 }, async () => {
      while (next < to) {
        const i = next++
        const p = seedPod(i, namespaces[i % namespaces.length]!)
        const r = await api.call('POST', `/api/v1/namespaces/${p.metadata.namespace}/pods`, p)
        if (r.status !== 201) throw new Error(`creating ${p.metadata.name}: ${r.status} ${r.text.slice(0, 300)}`)
        if (++done % 5000 === 0) log(`${from + done} pods`)
      }
    }),
  )
}
