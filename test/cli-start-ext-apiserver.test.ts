// `drover start` runs the extension API server: registered and Available before the URL is printed,
// unregistered again on Ctrl-C. Against a lite dev cluster given with --kubeconfig, which the stack does
// not stop, so what Ctrl-C leaves behind can be checked; the server then learns the front proxy's CA from
// kube-system/extension-apiserver-authentication, as in a pod.
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { EXT_APISERVICE } from '../protocol/api/ext.ts'
import { devCluster, type DevCluster } from './support/dev-cluster.ts'
import { waitForOutput } from './support/streams.ts'

const DROVER = join(import.meta.dirname, '..', 'bin', 'drover.js')

describe('drover start with the extension API server', () => {
  let c: DevCluster
  let work: string
  let stack: ChildProcess | undefined
  let output = ''

  beforeAll(async () => {
    c = await devCluster('start-ext', { mode: 'lite' })
    work = await mkdtemp(join(tmpdir(), 'drover-start-ext-'))
    stack = spawn(process.execPath, [DROVER, 'start', '--port', '0', '--kubeconfig', c.kubeconfigPath], { cwd: work, stdio: ['ignore', 'pipe', 'pipe'] })
    stack.stdout!.on('data', (d: Buffer) => (output += d.toString()))
    stack.stderr!.on('data', (d: Buffer) => (output += d.toString()))
    await waitForOutput(stack, /drover is ready/, 300_000)
  }, 600_000)
  afterAll(async () => {
    if (stack && stack.exitCode === null && stack.signalCode === null) {
      const exited = new Promise((r) => stack!.once('exit', r))
      stack.kill('SIGINT')
      await exited
    }
    await c?.[Symbol.asyncDispose]()
    if (work) await rm(work, { recursive: true, force: true })
  })

  it('prints it with the rest, and the aggregator already serves its group', async () => {
    expect(output).toMatch(/starting the extension API server/)
    expect(output).toMatch(new RegExp(`ext apiserver: +https://127\\.0\\.0\\.1:\\d+ +\\(APIService ${EXT_APISERVICE.replace(/\./g, '\\.')}, Available\\)`))
    // No retry: start waited for Available before printing.
    const group = await c.kubectl(['get', '--raw', '/apis/ext.cattle.io/v1'])
    expect(group.code, group.stderr).toBe(0)
    expect((JSON.parse(group.stdout) as { resources: { name: string }[] }).resources.map((r) => r.name)).toContain('directorybindreviews')
  })

  it('unregisters it on Ctrl-C, so discovery keeps working', async () => {
    const exited = new Promise<number | null>((r) => stack!.once('exit', (code) => r(code)))
    stack!.kill('SIGINT')
    expect(await exited).toBe(0)
    expect((await c.kubectl(['get', `apiservice/${EXT_APISERVICE}`])).stderr).toMatch(/NotFound/)
    const discovery = await c.kubectl(['api-resources', '-o', 'name'])
    expect(discovery.code, discovery.stderr).toBe(0)
  }, 60_000)
})
