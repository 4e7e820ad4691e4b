// Where the front proxy's CA comes from when no file is given: kube-apiserver publishes its request-header
// settings in ConfigMap kube-system/extension-apiserver-authentication for aggregated apiservers (readable
// through the Role `extension-apiserver-authentication-reader`, bound in infra/management/rbac.ts).
import type { KubeClient } from '../protocol/kube/client.ts'
import type { KubeObject } from '../protocol/kube/object.ts'
import { CONFIG_MAP } from '../protocol/kube/resource.ts'

export const AUTHENTICATION_CONFIGMAP = { namespace: 'kube-system', name: 'extension-apiserver-authentication' } as const

/** The headers front-proxy.ts reads; a cluster configured with others would name no user to this server. */
const EXPECTED = {
  'requestheader-username-headers': 'X-Remote-User',
  'requestheader-group-headers': 'X-Remote-Group',
  'requestheader-extra-headers-prefix': 'X-Remote-Extra-',
} as const

/** The request-header CA (PEM) and allowed names; throws Error naming what is missing or different. */
export async function requestHeaderFromCluster(client: KubeClient): Promise<{ caPem: string; allowedNames: string[] }> {
  const where = `ConfigMap ${AUTHENTICATION_CONFIGMAP.namespace}/${AUTHENTICATION_CONFIGMAP.name}`
  const cm = await client.find<KubeObject & { data?: Record<string, string> }>(CONFIG_MAP, AUTHENTICATION_CONFIGMAP.name, AUTHENTICATION_CONFIGMAP.namespace)
  const data = cm?.data ?? {}
  const caPem = data['requestheader-client-ca-file']
  if (!caPem) throw new Error(`${where} has no requestheader-client-ca-file: the management kube-apiserver runs without --requestheader-client-ca-file (no aggregation layer); pass --requestheader-client-ca`)
  for (const [key, header] of Object.entries(EXPECTED)) {
    const configured = stringList(data[key], `${where} ${key}`)
    if (!configured.some((h) => h.toLowerCase() === header.toLowerCase())) throw new Error(`${where} ${key} is ${JSON.stringify(configured)}; this server reads ${header} (kube-apiserver --${key}=${header})`)
  }
  return { caPem, allowedNames: stringList(data['requestheader-allowed-names'], `${where} requestheader-allowed-names`) }
}

function stringList(json: string | undefined, what: string): string[] {
  if (json === undefined || json === '') return []
  let parsed: unknown
  try {
    parsed = JSON.parse(json)
  } catch {
    throw new Error(`${what} is not a JSON list: ${json.slice(0, 100)}`)
  }
  if (!Array.isArray(parsed) || !parsed.every((v) => typeof v === 'string')) throw new Error(`${what} is not a list of strings`)
  return parsed
}
