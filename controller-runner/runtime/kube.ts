import { request as httpRequest } from 'node:http'
import { request as httpsRequest, type RequestOptions } from 'node:https'
import { createConfiguration, KubeConfig, ServerConfiguration, type KubernetesListObject, type KubernetesObject, type Middleware } from '@kubernetes/client-node'
import type { ApiConstructor, Kind } from './types.ts'

export class KubeConfigError extends Error {}

/** `--kubeconfig PATH`, else the pod's service account (in-cluster), else `$KUBECONFIG`. */
export function loadKubeConfig(path?: string, env: NodeJS.ProcessEnv = process.env): KubeConfig {
  const kc = new KubeConfig()
  if (path) kc.loadFromFile(path)
  else if (env.KUBERNETES_SERVICE_HOST) kc.loadFromCluster()
  else if (env.KUBECONFIG) kc.loadFromDefault()
  else throw new KubeConfigError('no cluster to talk to: pass --kubeconfig PATH, run in a pod, or set KUBECONFIG')
  if (!kc.getCurrentCluster()) throw new KubeConfigError(`kubeconfig ${path ?? env.KUBECONFIG ?? ''} has no current cluster`)
  return kc
}

/** A client-node API client for `kc` with our middleware (leader guard, timeouts) in front of every request. */
export function makeApi<T>(kc: KubeConfig, type: ApiConstructor<T>, middleware: Middleware[]): T {
  const cluster = kc.getCurrentCluster()
  if (!cluster) throw new KubeConfigError('kubeconfig has no current cluster')
  return new type(createConfiguration({ baseServer: new ServerConfiguration(cluster.server, {}), authMethods: { default: kc }, promiseMiddleware: middleware }))
}

/** The collection path of a kind across all namespaces: `/api/v1/configmaps`, `/apis/g/v/plural`. */
export function kindPath(kind: Kind): string {
  return kind.group === '' ? `/api/${kind.version}/${kind.plural}` : `/apis/${kind.group}/${kind.version}/${kind.plural}`
}

export function apiVersion(kind: Kind): string {
  return kind.group === '' ? kind.version : `${kind.group}/${kind.version}`
}

export class KubeHttpError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message)
  }
}

/** GET a JSON document from the apiserver with the kubeconfig's credentials; `signal` bounds it. */
export async function getJson<T>(kc: KubeConfig, path: string, signal: AbortSignal): Promise<T> {
  const server = new URL(kc.getCurrentCluster()!.server)
  const url = new URL(server.pathname.replace(/\/+$/, '') + path, server)
  const opts: RequestOptions = { method: 'GET', headers: { accept: 'application/json' } }
  await kc.applyToHTTPSOptions(opts)
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest
  return new Promise<T>((resolve, reject) => {
    const req = send(url, { ...opts, signal }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (d: Buffer) => chunks.push(d))
      res.on('error', reject)
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString()
        if (res.statusCode !== 200) return reject(new KubeHttpError(res.statusCode ?? 0, `GET ${url.pathname}: ${res.statusCode} ${body.slice(0, 300)}`))
        try {
          resolve(JSON.parse(body) as T)
        } catch (e) {
          reject(e instanceof Error ? e : new Error(String(e)))
        }
      })
    })
    req.on('error', reject)
    req.end()
  })
}

/** Lists a kind in pages of 500 (a large list must not be one giant response); returns one list. */
export async function listAll<T extends KubernetesObject>(kc: KubeConfig, kind: Kind, signal: AbortSignal): Promise<KubernetesListObject<T>> {
  const items: T[] = []
  let cont = ''
  let resourceVersion = ''
  do {
    const q = new URLSearchParams({ limit: '500', ...(cont ? { continue: cont } : {}) })
    const page = await getJson<KubernetesListObject<T>>(kc, `${kindPath(kind)}?${q}`, signal)
    items.push(...page.items)
    cont = page.metadata?._continue ?? (page.metadata as { continue?: string } | undefined)?.continue ?? ''
    resourceVersion = page.metadata?.resourceVersion ?? ''
  } while (cont)
  return { apiVersion: apiVersion(kind), kind: 'List', metadata: { resourceVersion }, items }
}
