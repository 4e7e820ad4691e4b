import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { clusterDir } from '../infra/dev-cluster/state.ts'
import { execCommand, kubectlBin } from './support/dev-cluster.ts'

const drover = (args: string[], env: NodeJS.ProcessEnv = process.env) =>
  execCommand(process.execPath, [join(import.meta.dirname, '..', 'bin', 'drover.js'), ...args], { env, timeoutMs: 300_000 })

const lastLine = (s: string) => s.trim().split('\n').at(-1) ?? ''

/** Processes whose command line mentions `needle` (the state directory of a test run). */
function processesMentioning(needle: string): string[] {
  return readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .flatMap((p) => {
      try {
        const cmd = readFileSync(`/proc/${p}/cmdline`, 'utf8').replace(/\0/g, ' ')
        return cmd.includes(needle) ? [cmd] : []
      } catch {
        return []
      }
    })
}

describe('drover dev-cluster', () => {
  it('up prints the kubeconfig path last; kubectl with it lists default and kube-system; list, kubeconfig and down work', async () => {
    const up = await drover(['dev-cluster', 'up', 'cli-x', '--lite'])
    expect(up.code, up.stderr).toBe(0)
    const kubeconfig = lastLine(up.stdout)
    expect(kubeconfig).toBe(join(clusterDir('cli-x'), 'admin.kubeconfig'))
    expect(up.stderr).toMatch(/kube-apiserver ready/)

    const ns = await execCommand(await kubectlBin(), ['--kubeconfig', kubeconfig, 'get', 'ns'])
    expect(ns.stdout).toMatch(/^default\s/m)
    expect(ns.stdout).toMatch(/^kube-system\s/m)

    const again = await drover(['dev-cluster', 'up', 'cli-x', '--lite'])
    expect(again.code).toBe(1)
    expect(again.stderr.trim()).toBe(
      `drover: dev cluster "cli-x" is already running (kubeconfig: ${kubeconfig}); use it, or "drover dev-cluster down cli-x" first`,
    )

    const list = await drover(['dev-cluster', 'list'])
    expect(list.stdout).toMatch(/^cli-x\trunning\tlite\thttps:\/\/127\.0\.0\.1:\d+\t/m)
    expect(lastLine((await drover(['dev-cluster', 'kubeconfig', 'cli-x'])).stdout)).toBe(kubeconfig)

    const down = await drover(['dev-cluster', 'down', 'cli-x'])
    expect(down.code, down.stderr).toBe(0)
    expect(existsSync(clusterDir('cli-x'))).toBe(false)
    expect(processesMentioning(clusterDir('cli-x'))).toEqual([])
    expect((await drover(['dev-cluster', 'list'])).stdout).not.toContain('cli-x')
  })

  it('names an unknown cluster and the fix', async () => {
    const r = await drover(['dev-cluster', 'down', 'no-such'])
    expect(r.code).toBe(1)
    expect(r.stderr.trim()).toBe('drover: no dev cluster named "no-such"; "drover dev-cluster list" shows the ones there are')
    const k = await drover(['dev-cluster', 'kubeconfig', 'no-such'])
    expect(k.code).toBe(1)
  })

  it('refuses an invalid name before starting anything', async () => {
    for (const bad of ['Bad_Name', 'x-', 'a'.repeat(41), '../etc']) {
      const r = await drover(['dev-cluster', 'up', bad])
      expect(r.code).toBe(1)
      expect(r.stderr).toMatch(/^drover: invalid dev cluster name ".*": use 1–40 lowercase letters/)
      expect(r.stderr.trim().split('\n')).toHaveLength(1)
    }
  })

  it('says what is missing when there is no Go toolchain and no built Kubernetes, and leaves nothing behind', async () => {
    const emptyCache = mkdtempSync(join(tmpdir(), 'drover-nocache-'))
    const env = { ...process.env, DROVER_CACHE_DIR: emptyCache, DROVER_GO: join(emptyCache, 'no-go-here') }
    const r = await drover(['dev-cluster', 'up', 'no-go'], env)
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/drover: Go is not installed .*Install it .* or point DROVER_GO at a go binary/)
    expect(r.stderr).not.toMatch(/\n\s+at /) // no stack trace
    expect(existsSync(clusterDir('no-go'))).toBe(false)
    expect(processesMentioning(clusterDir('no-go'))).toEqual([])
  })

  it('rejects unknown commands and options with usage', async () => {
    const r = await drover(['dev-cluster', 'explode'])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/unknown dev-cluster command "explode"/)
    const o = await drover(['dev-cluster', 'up', 'x', '--frobnicate'])
    expect(o.code).toBe(2)
    expect(o.stderr).toMatch(/--frobnicate/)
  })
})
