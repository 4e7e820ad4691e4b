import { readFile } from 'node:fs/promises'
import { stringify } from 'yaml'

export interface PortForwardTarget {
  /** Container ports this applies to; all ports when absent. */
  ports?: number[]
  address: string
  port: number
}

export interface KwokOptions {
  /** Working directory for `kubectl exec` commands (kwok runs them on this host). */
  execDir: string
  /** File served by `kubectl logs` and `kubectl attach`, followed as it grows. */
  logsFile: string
  /** Where `kubectl port-forward` connects; without targets every port is an echo (`cat`). */
  portForwards?: PortForwardTarget[]
}

/**
 * kwok's configuration: the node and pod lifecycle stages from its own module, and how it answers the
 * kubelet API the apiserver proxies to (exec runs locally, logs and attach serve a file, port-forward
 * connects to a target or echoes).
 */
export async function renderKwokConfig(stagesFile: string, o: KwokOptions): Promise<string> {
  const stages = await readFile(stagesFile, 'utf8')
  const meta = (name: string) => ({ apiVersion: 'kwok.x-k8s.io/v1alpha1', metadata: { name } })
  const forwards = o.portForwards?.length
    ? o.portForwards.map((f) => ({ ...(f.ports ? { ports: f.ports } : {}), target: { address: f.address, port: f.port } }))
    : [{ command: ['cat'] }]
  const docs = [
    { ...meta('dev-exec'), kind: 'ClusterExec', spec: { execs: [{ local: { workDir: o.execDir } }] } },
    { ...meta('dev-logs'), kind: 'ClusterLogs', spec: { logs: [{ logsFile: o.logsFile, follow: true }] } },
    { ...meta('dev-attach'), kind: 'ClusterAttach', spec: { attaches: [{ logsFile: o.logsFile }] } },
    { ...meta('dev-port-forward'), kind: 'ClusterPortForward', spec: { forwards } },
  ]
  return [stages.trim(), ...docs.map((d) => stringify(d).trim())].join('\n---\n') + '\n'
}

export function nodeManifests(clusterName: string, count: number): string {
  const nodes = Array.from({ length: count }, (_, i) => {
    const name = `${clusterName}-node-${i}`
    return {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        name,
        annotations: { 'kwok.x-k8s.io/node': 'fake', 'node.alpha.kubernetes.io/ttl': '0' },
        labels: { 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64', type: 'kwok' },
      },
      status: {
        capacity: { cpu: '8', memory: '32Gi', pods: '110', 'ephemeral-storage': '100Gi' },
        allocatable: { cpu: '8', memory: '32Gi', pods: '110', 'ephemeral-storage': '100Gi' },
      },
    }
  })
  return nodes.map((n) => stringify(n).trim()).join('\n---\n') + '\n'
}
