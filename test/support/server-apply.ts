import { expect } from 'vitest'
import type { DevCluster } from './dev-cluster.ts'

/**
 * What a real API server makes of a manifest: a server-side dry run refuses nothing but the manifest's own
 * namespaces (a dry run cannot create them first) and prints `dryRunLine`; the manifest then applies, and a
 * second dry run passes outright.
 */
export async function expectServerAccepts(c: DevCluster, manifest: string, ownNamespaces: string[], dryRunLine: string): Promise<void> {
  const dry = await c.kubectl(['apply', '--dry-run=server', '-f', '-'], { input: manifest })
  // Objects the dev cluster already has (its admission policies) only draw kubectl's last-applied warning.
  const refused = dry.stderr
    .split('\n')
    .filter((l) => l.trim() && !ownNamespaces.some((ns) => l.includes(`namespaces "${ns}" not found`)) && !/^Warning: .* is missing the kubectl\.kubernetes\.io\/last-applied-configuration annotation/.test(l))
  expect(refused, dry.stderr).toEqual([])
  expect(dry.stdout).toContain(dryRunLine)

  const apply = await c.kubectl(['apply', '-f', '-'], { input: manifest })
  expect(apply.code, apply.stderr).toBe(0)
  const again = await c.kubectl(['apply', '--dry-run=server', '-f', '-'], { input: manifest })
  expect(again.code, again.stderr).toBe(0)
}
