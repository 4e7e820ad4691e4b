import { appendFile } from 'node:fs/promises'
import { join } from 'node:path'

/** The file kwok serves for every container's `kubectl logs` and `kubectl attach`. */
export function podLogFile(clusterDir: string): string {
  return join(clusterDir, 'pod.log')
}

/** kwok reads log files in the CRI format the kubelet writes: time, stream, full/partial tag, text. */
export function criLogLine(text: string, stream: 'stdout' | 'stderr' = 'stdout'): string {
  return `${new Date().toISOString().replace('Z', '000000Z')} ${stream} F ${text}\n`
}

/** What every container "prints" next: followers (`logs -f`, `attach`) see it at once. */
export async function appendPodLog(clusterDir: string, text: string): Promise<void> {
  await appendFile(podLogFile(clusterDir), criLogLine(text))
}
