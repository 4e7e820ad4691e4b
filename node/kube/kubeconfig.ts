// Where a Node program finds its cluster. client-node stays for this (kubeconfig files, in-cluster
// service-account config, exec/auth-provider credentials); requests go through the protocol/kube client.
import { KubeConfig } from '@kubernetes/client-node'
import { errorText } from '../log.ts'

/** The kubeconfig cannot be found or names no cluster: a usage problem, reported without a stack. */
export class KubeConfigError extends Error {
  override name = 'KubeConfigError'
}

/** `path`, else the pod's service account (in-cluster), else `$KUBECONFIG`. */
export function loadKubeConfig(path?: string, env: NodeJS.ProcessEnv = process.env): KubeConfig {
  const kc = new KubeConfig()
  if (path) {
    try {
      kc.loadFromFile(path)
    } catch (e) {
      throw new KubeConfigError(`cannot load the kubeconfig ${path}: ${errorText(e)}`)
    }
  }
  else if (env.KUBERNETES_SERVICE_HOST) kc.loadFromCluster()
  else if (env.KUBECONFIG) kc.loadFromDefault()
  else throw new KubeConfigError('no cluster to talk to: pass --kubeconfig PATH, run in a pod, or set KUBECONFIG')
  if (!kc.getCurrentCluster()) throw new KubeConfigError(`kubeconfig ${path ?? env.KUBECONFIG ?? ''} has no current cluster`)
  return kc
}
