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
  'ext-apiserver': `  ext-apiserver --serving-cert PEM --serving-key PEM [--requestheader-client-ca PEM]
         [--requestheader-allowed-names A,B] [--listen HOST:PORT] [--kubeconfig PATH]
                                      run the extension API server behind APIService v1.ext.cattle.io
                                      (flags also from DROVER_EXT_* variables; see cli/ext-apiserver.ts)
`,
  'build-kubernetes': `  build-kubernetes                    build the pinned Kubernetes binaries into the cache (done on demand too)
`,
  login: `  login URL [--provider ID] [--username NAME] [--password-stdin]
        [--cacert FILE | --insecure-skip-tls-verify]
                                      log in to a drover (or Rancher) server with a username and password and
                                      keep the session in $DROVER_CONFIG (default ~/.config/drover/config.json, 0600)
`,
  logout: `  logout [URL]                        end the session at the server and forget it
`,
  clusters: `  clusters [--server URL]             list the clusters you can see: id, name, state, Kubernetes version
`,
  kubeconfig: `  kubeconfig CLUSTER [--server URL] [-o FILE]
                                      a kubeconfig for CLUSTER (id or name) that asks \`drover token\` for
                                      credentials: it holds no token and keeps working across logins
`,
  token: `  token --server URL [--cluster ID]   kubectl's credential plugin: prints the session as an ExecCredential,
                                      logging in again on the terminal when it has expired
`,
  'build-programs': `  build-programs                      bundle the agent, the runner and the ext-apiserver into dist/ (drover start does it when stale)
`,
  'build-ui': `  build-ui [--check-budget]           build the web UI into dist/ui/ and print its initial JavaScript size
                                      gzipped (drover start does it when stale; --check-budget: fail over 300 KB)
`,
}

/** The usage of one command, or the list of the given ones. */
export function usage(commands: readonly string[]): string {
  if (commands.length === 1) return `usage: drover ${(COMMAND_USAGE[commands[0]!] ?? `${commands[0]}\n`).trimStart()}`
  return `usage: drover <command>\n\ncommands:\n${commands.map((c) => COMMAND_USAGE[c] ?? '').join('')}`
}
