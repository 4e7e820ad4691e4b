import { parseArgs } from 'node:util'
import * as v from 'valibot'
import { loggedIn, sessionRequest, type LoggedIn } from './session/authenticated.ts'
import { errorMessage } from './session/edge-client.ts'
import { StartError, UsageError } from './usage.ts'

const clusterSchema = v.object({
  id: v.string(),
  name: v.optional(v.nullable(v.string())),
  state: v.optional(v.nullable(v.string())),
  version: v.optional(v.nullable(v.object({ gitVersion: v.optional(v.string()) }))),
})
const listSchema = v.object({ data: v.array(clusterSchema) })

export type ClusterRow = v.InferOutput<typeof clusterSchema>

/** The clusters the logged-in user may see, as `/v3/clusters` lists them. */
export async function listClusters(who: LoggedIn): Promise<ClusterRow[]> {
  const res = await sessionRequest(who, 'GET', '/v3/clusters')
  if (res.status !== 200) throw new StartError(`${who.server} did not list clusters: ${errorMessage(res)}`)
  const parsed = v.safeParse(listSchema, res.body)
  if (!parsed.success) throw new StartError(`${who.server} answered /v3/clusters with something other than a cluster list`)
  return parsed.output.data
}

/** Left-aligned columns, two spaces apart, as kubectl prints them. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)))
  return [header, ...rows].map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ').trimEnd()).join('\n') + '\n'
}

/** `drover clusters [--server URL]`: id, name, state and Kubernetes version of each visible cluster. */
export async function clustersCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { server: { type: 'string' } } })
  if (positionals.length) throw new UsageError(`unexpected arguments: ${positionals.join(' ')}`)
  const clusters = await listClusters(await loggedIn(values.server))
  if (!clusters.length) {
    process.stderr.write('no clusters visible to you\n')
    return 0
  }
  const rows = clusters.map((c) => [c.id, c.name || c.id, c.state || '', c.version?.gitVersion || ''])
  process.stdout.write(table(['ID', 'NAME', 'STATE', 'VERSION'], rows))
  return 0
}
