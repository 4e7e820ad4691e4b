import { writeFile } from 'node:fs/promises'
import { parseArgs } from 'node:util'
import { listClusters } from './clusters.ts'
import { loggedIn } from './session/authenticated.ts'
import { currentDrover, execKubeconfig } from './session/exec-kubeconfig.ts'
import { StartError, UsageError } from './usage.ts'

/**
 * `drover kubeconfig <cluster> [--server URL] [-o FILE]`: a kubeconfig for the cluster (by id or name)
 * whose credential is `drover token`, printed or written to FILE (0600).
 */
export async function kubeconfigCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { server: { type: 'string' }, output: { type: 'string', short: 'o' } },
  })
  const [wanted, ...extra] = positionals
  if (!wanted) throw new UsageError('kubeconfig needs a cluster id or name (see drover clusters)')
  if (extra.length) throw new UsageError(`unexpected arguments: ${extra.join(' ')}`)
  if (values.output === '') throw new UsageError('-o needs a file')
  const who = await loggedIn(values.server)
  // Listing (rather than GET /v3/clusters/<id>) finds a cluster by its name too, and tells apart
  // "no such cluster" from "not yours": both are simply absent from what the user sees.
  const clusters = await listClusters(who)
  const byId = clusters.find((c) => c.id === wanted)
  const byName = clusters.filter((c) => c.name === wanted)
  if (!byId && byName.length > 1) throw new StartError(`several clusters are named "${wanted}" (${byName.map((c) => c.id).join(', ')}): give the id`)
  const cluster = byId ?? byName[0]
  if (!cluster) throw new StartError(`no cluster "${wanted}" among those visible to you on ${who.server} (see drover clusters)`)
  const yaml = execKubeconfig({
    server: who.server,
    clusterId: cluster.id,
    name: cluster.name || cluster.id,
    tls: who.entry,
    plugin: currentDrover(),
  })
  if (values.output) {
    await writeFile(values.output, yaml, { mode: 0o600 })
    process.stderr.write(`wrote ${values.output}: kubectl --kubeconfig ${values.output} get namespaces\n`)
  } else process.stdout.write(yaml)
  return 0
}
