/** Settings drover reads, with their defaults. The runner seeds these; the edge falls back to them. */
export const SETTING_DEFAULTS = {
  'server-url': '',
  /** PEM of the CA that signs the edge's certificate, when it is not publicly trusted; put into kubeconfigs. */
  cacerts: '',
  'agent-image': 'ghcr.io/drover-dev/drover:v0.1.0',
  'auth-user-session-ttl-minutes': '960',
  'auth-user-session-idle-ttl-minutes': '960',
  'kubeconfig-default-token-ttl-minutes': '43200',
  'auth-token-max-ttl-minutes': '0',
  'cluster-registration-token-ttl-minutes': '43200',
  'cluster-registration-token-grace-minutes': '60',
} as const

export type SettingName = keyof typeof SETTING_DEFAULTS
