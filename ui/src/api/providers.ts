// The login choices, from `GET /v3-public/authProviders`: each enabled provider's public entry.
import { get } from './http.ts'

interface ProviderEntry {
  id: string
  type: string
  redirectUrl?: string
  links?: { self?: string; login?: string }
  actions?: { login?: string }
}

export type LoginChoice =
  /** Username and password posted to the provider's login action (local, openldap, freeipa, activedirectory). */
  | { kind: 'password'; id: string; label: string; action: string }
  /** A browser redirect to the identity provider (genericoidc, github, SAML). */
  | { kind: 'browser'; id: string; label: string; href: string }

const LABELS: Record<string, string> = {
  local: 'Local user',
  openldap: 'OpenLDAP',
  freeipa: 'FreeIPA',
  activedirectory: 'Active Directory',
  genericoidc: 'OpenID Connect',
  github: 'GitHub',
  shibboleth: 'Shibboleth',
  keycloak: 'Keycloak',
  okta: 'Okta',
  ping: 'Ping Identity',
  adfs: 'AD FS',
}

/** Where the browser lands after an identity provider's login: the page it was on. */
function browserLogin(entry: ProviderEntry, after: string): string | undefined {
  const start = entry.redirectUrl ?? entry.links?.login
  if (!start) return undefined
  const u = new URL(start, location.origin)
  u.searchParams.set('redirect', after)
  return `${u.pathname}${u.search}`
}

export async function loginChoices(after: string): Promise<LoginChoice[]> {
  const list = await get<{ data?: ProviderEntry[] }>('/v3-public/authProviders', { quiet401: true })
  const choices: LoginChoice[] = []
  for (const entry of list.data ?? []) {
    const label = LABELS[entry.id] ?? entry.id
    const href = browserLogin(entry, after)
    if (href) choices.push({ kind: 'browser', id: entry.id, label, href })
    else if (entry.actions?.login) choices.push({ kind: 'password', id: entry.id, label, action: entry.actions.login })
  }
  // Local first, as users expect it; the rest in the edge's order.
  return choices.sort((a, b) => Number(b.id === 'local') - Number(a.id === 'local'))
}
