import { Watch, type KubeConfig } from '@kubernetes/client-node'
import { setTimeout as sleep } from 'node:timers/promises'

/**
 * Starts a watch the way informers do: a 429 (the apiserver's watch cache for a just-created resource
 * is still warming up) is retried after a second. Resolves once the watch is established.
 */
export async function startWatch<T>(
  kc: KubeConfig,
  path: string,
  onEvent: (type: string, obj: T) => void,
  attempts = 30,
): Promise<{ abort(): void }> {
  for (let i = 1; ; i++) {
    let failed: unknown
    const req = await new Watch(kc).watch(path, {}, onEvent, (err) => (failed = err)).catch((e: unknown) => {
      failed = e
      return undefined
    })
    await sleep(50)
    const status = (failed as { statusCode?: number } | undefined)?.statusCode
    if (req && failed === undefined) return req
    if (status !== 429 || i >= attempts) throw failed
    await sleep(1000)
  }
}
