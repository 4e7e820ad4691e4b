import { spawn } from 'node:child_process'
import { expect } from 'vitest'
import { appendPodLog } from '../../infra/dev-cluster/pod-log.ts'
import { kubectlBin } from './dev-cluster.ts'
import { echoOver, waitForOutput } from './streams.ts'

/**
 * `kubectl attach` to a kwok pod shows what its container prints next: keep printing into the dev
 * cluster's pod log until the attached stream carries it (attach follows from the end).
 */
export async function expectAttachSees(kubeconfig: string, pod: string, clusterDir: string, text: string): Promise<void> {
  const attach = spawn(await kubectlBin(), ['--kubeconfig', kubeconfig, 'attach', pod])
  try {
    const seen = waitForOutput(attach, new RegExp(text))
    const printer = setInterval(() => void appendPodLog(clusterDir, text), 500)
    try {
      await seen
    } finally {
      clearInterval(printer)
    }
  } finally {
    attach.kill()
  }
}

/** `kubectl port-forward` to a kwok pod (an echo by default) carries each text there and back. */
export async function expectPortForwardEchoes(kubeconfig: string, pod: string, texts: string[]): Promise<void> {
  const forward = spawn(await kubectlBin(), ['--kubeconfig', kubeconfig, 'port-forward', pod, ':8080'])
  try {
    const line = await waitForOutput(forward, /Forwarding from 127\.0\.0\.1:(\d+)/)
    const port = Number(/127\.0\.0\.1:(\d+)/.exec(line)![1])
    for (const text of texts) expect(await echoOver(port, text)).toBe(text)
  } finally {
    forward.kill()
  }
}
