export class UsageError extends Error {}

/** A command failed for a reason the user can act on; main prints the message without a stack. */
export class StartError extends Error {}

/** Each command's synopsis and what it does, as `drover --help` and `drover <command> --help` print it. */
export const COMMAND_USAGE: Record<string, string> = {
  start: `  start [--port N] [--kubeconfig PATH] [--admin-password P]
                                      start the local stack: management cluster, edge, runner, local agent;
                                      prints the URL and admin credentials and writes .drover/state.json
`,
  'dev-cluster': `  dev-cluster up NAME [--lite] [--nodes N]
                                      start a local Kubernetes cluster; prints its kubeconfig path last
  dev-cluster down NAME               stop it and delete its data
  dev-cluster list                    list dev clusters and whether they run
  dev-cluster kubeconfig NAME         print the path of a dev cluster's admin kubeconfig
`,
  agent: `  agent --server URL [--token T] [--kubeconfig PATH] [--service-account NS/NAME]
        [--ca-checksum SHA256] [--tls-mode strict|system-store] [--metrics-addr HOST:PORT]
                                      run a cluster agent as a local process (token also from DROVER_AGENT_TOKEN,
                                      the edge CA's checksum from DROVER_CA_CHECKSUM, the mode from DROVER_AGENT_TLS_MODE;
                                      --metrics-addr serves /healthz, /readyz and /metrics, off by default)
`,
  runner: `  runner [--kubeconfig PATH] [--namespace NS] [--lease-name NAME]
         [--lease-duration S] [--renew-deadline S] [--retry-period S] [--metrics-addr HOST:PORT]
         [--edge-url URL] [--edge-token T] [--edge-ca PEM] [--server-url URL]
                                      run the controller runner (leader-elected; token also from DROVER_EDGE_TOKEN)
`,
  'build-kubernetes': `  build-kubernetes                    build the pinned Kubernetes binaries into the cache (done on demand too)
`,
  'build-programs': `  build-programs                      bundle the agent and the runner into dist/ (drover start does it when stale)
`,
}

/** The usage of one command, or the list of the given ones. */
export function usage(commands: readonly string[]): string {
  if (commands.length === 1) return `usage: drover ${(COMMAND_USAGE[commands[0]!] ?? `${commands[0]}\n`).trimStart()}`
  return `usage: drover <command>\n\ncommands:\n${commands.map((c) => COMMAND_USAGE[c] ?? '').join('')}`
}
