// A kubeconfig whose user is the `drover token` credential plugin: kubectl asks drover for the session
// token each time it starts, so the file holds no secret and outlives any one session.
import { resolve } from 'node:path'
import { stringify } from 'yaml'
import type { ServerEntry } from './config.ts'

export interface PluginCommand {
  command: string
  /** Arguments before `token …`: the script to run, when `command` is an interpreter. */
  args: string[]
}

/**
 * How kubectl should start this very `drover`: the absolute path of the Node running now, then the
 * absolute path of the entry script. Not the bare script: its `#!/usr/bin/env node` picks whatever `node`
 * is first on kubectl's PATH, which may be older than drover needs (or absent); not `drover` by name:
 * it is seldom on PATH outside npm scripts.
 */
export function currentDrover(argv = process.argv, execPath = process.execPath): PluginCommand {
  const script = argv[1]
  return { command: execPath, args: script ? [resolve(script)] : [] }
}

export interface ExecKubeconfigOptions {
  /** The edge, as stored (`https://host[:port][/path]`). */
  server: string
  clusterId: string
  /** Context, cluster and user name; the cluster's display name when it has one. */
  name: string
  tls: Pick<ServerEntry, 'cacert' | 'insecureSkipTlsVerify'>
  plugin: PluginCommand
}

export function execKubeconfig(o: ExecKubeconfigOptions): string {
  const cluster: Record<string, unknown> = { server: `${o.server}/k8s/clusters/${encodeURIComponent(o.clusterId)}` }
  if (o.tls.cacert) cluster['certificate-authority-data'] = Buffer.from(o.tls.cacert).toString('base64')
  if (o.tls.insecureSkipTlsVerify) cluster['insecure-skip-tls-verify'] = true
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: o.name, cluster }],
    users: [
      {
        name: o.name,
        user: {
          exec: {
            apiVersion: 'client.authentication.k8s.io/v1',
            command: o.plugin.command,
            args: [...o.plugin.args, 'token', '--server', o.server, '--cluster', o.clusterId],
            interactiveMode: 'IfAvailable',
            provideClusterInfo: false,
            installHint: `This kubeconfig logs in with drover; run "drover login ${o.server}".`,
          },
        },
      },
    ],
    contexts: [{ name: o.name, context: { cluster: o.name, user: o.name } }],
    'current-context': o.name,
  })
}
