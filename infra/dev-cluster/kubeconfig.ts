import { stringify } from 'yaml'

export interface KubeconfigInput {
  cluster: string
  server: string
  caPem: string
  user: string
  certPem: string
  keyPem: string
}

const b64 = (s: string) => Buffer.from(s).toString('base64')

/** A self-contained kubeconfig (certificates inline), so it can be copied anywhere. */
export function renderKubeconfig(k: KubeconfigInput): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: k.cluster, cluster: { server: k.server, 'certificate-authority-data': b64(k.caPem) } }],
    users: [{ name: k.user, user: { 'client-certificate-data': b64(k.certPem), 'client-key-data': b64(k.keyPem) } }],
    contexts: [{ name: k.cluster, context: { cluster: k.cluster, user: k.user } }],
    'current-context': k.cluster,
    preferences: {},
  })
}
