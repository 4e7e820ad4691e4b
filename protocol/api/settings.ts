/** Settings drover reads, with their defaults. The runner seeds these; the edge falls back to them. */
export const SETTING_DEFAULTS = {
  'server-url': '',
  /** PEM of the CA that signs the edge's certificate, when it is not publicly trusted; put into kubeconfigs. */
  cacerts: '',
  'agent-image': 'ghcr.io/drover-dev/drover:v0.1.0',
  /**
   * How agents trust the edge (Rancher's setting of the same name): `strict` trusts only the CA in
   * `cacerts`, pinned by its checksum in the import manifest; `system-store` trusts the system store too.
   */
  'agent-tls-mode': 'strict',
  'auth-user-session-ttl-minutes': '960',
  'auth-user-session-idle-ttl-minutes': '960',
  /**
   * How old a directory session's groups may grow before they are checked against the directory again
   * (Rancher's setting of the same name): a group removed there stops granting access by then.
   */
  'auth-user-info-max-age-seconds': '3600',
  'kubeconfig-default-token-ttl-minutes': '43200',
  'auth-token-max-ttl-minutes': '0',
  'cluster-registration-token-ttl-minutes': '43200',
  'cluster-registration-token-grace-minutes': '60',
} as const

export type SettingName = keyof typeof SETTING_DEFAULTS

/** The values of `agent-tls-mode`, also the agent's `--tls-mode` / DROVER_AGENT_TLS_MODE. */
export const AGENT_TLS_MODES = ['strict', 'system-store'] as const
export type AgentTlsMode = (typeof AGENT_TLS_MODES)[number]

export function isAgentTlsMode(value: string): value is AgentTlsMode {
  return (AGENT_TLS_MODES as readonly string[]).includes(value)
}
