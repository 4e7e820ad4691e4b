/** A kubeconfig for one cluster through the edge, as YAML (every value a quoted scalar). */
export function kubeconfigYaml(opts: { clusterId: string; clusterName: string; server: string; token: string; caData?: string }): string {
  const q = (s: string) => JSON.stringify(s)
  const name = opts.clusterName || opts.clusterId
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    `- name: ${q(name)}`,
    '  cluster:',
    `    server: ${q(opts.server)}`,
    ...(opts.caData ? [`    certificate-authority-data: ${q(opts.caData)}`] : []),
    'users:',
    `- name: ${q(name)}`,
    '  user:',
    `    token: ${q(opts.token)}`,
    'contexts:',
    `- name: ${q(name)}`,
    '  context:',
    `    user: ${q(name)}`,
    `    cluster: ${q(name)}`,
    `current-context: ${q(name)}`,
    '',
  ].join('\n')
}
