// A kubeconfig for several clusters through the edge, as YAML: every value a JSON-quoted scalar (valid
// YAML), so no name or token can break the document. Contexts, clusters and users are named by cluster id.

export interface KubeconfigEntry {
  clusterId: string
  /** `<server-url>/k8s/clusters/<id>` */
  server: string
  token: string
}

export function kubeconfigYaml(entries: readonly KubeconfigEntry[], currentContext: string, caPem?: string): string {
  const q = (s: string) => JSON.stringify(s)
  const ca = caPem ? Buffer.from(caPem, 'utf8').toString('base64') : ''
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    ...entries.flatMap((e) => [`- name: ${q(e.clusterId)}`, '  cluster:', `    server: ${q(e.server)}`, ...(ca ? [`    certificate-authority-data: ${q(ca)}`] : [])]),
    'users:',
    ...entries.flatMap((e) => [`- name: ${q(e.clusterId)}`, '  user:', `    token: ${q(e.token)}`]),
    'contexts:',
    ...entries.flatMap((e) => [`- name: ${q(e.clusterId)}`, '  context:', `    user: ${q(e.clusterId)}`, `    cluster: ${q(e.clusterId)}`]),
    `current-context: ${q(currentContext)}`,
    '',
  ].join('\n')
}
