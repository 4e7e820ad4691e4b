// Entries as Rancher's principals: id `<provider>_<kind>://<dn>`, display name from the name attribute,
// login name from the login attribute (falling back to the display name, then the DN).
import type { Entry } from 'ldapts'

/** Rancher's LDAP provider names, which prefix the principal ids (`activedirectory_user://<dn>`). */
export type PrincipalScope = 'openldap' | 'freeipa' | 'activedirectory'

/** A user or group as `/v3/principals` shows it. */
export interface LdapPrincipal {
  id: string
  principalType: 'user' | 'group'
  provider: PrincipalScope
  displayName: string
  loginName: string
}

/** An attribute's values, whatever case the server spelled its name in. */
export function attr(entry: Entry, name: string): string[] {
  const want = name.toLowerCase()
  for (const [key, value] of Object.entries(entry)) {
    if (key.toLowerCase() !== want || key === 'dn') continue
    const values = Array.isArray(value) ? value : [value]
    return values.map((v) => (typeof v === 'string' ? v : v.toString('utf8')))
  }
  return []
}

export function principal(entry: Entry, scope: PrincipalScope, kind: 'user' | 'group', nameAttribute: string, loginAttribute: string): LdapPrincipal {
  const displayName = attr(entry, nameAttribute)[0] || entry.dn
  const loginName = attr(entry, loginAttribute)[0] || displayName
  return { id: `${scope}_${kind}://${entry.dn}`, principalType: kind, provider: scope, displayName, loginName }
}
