// Rancher's OpenLDAP authconfig (`openLdapConfig`, the LdapFields of management.cattle.io/v3), parsed once
// from untrusted input into a config the directory client trusts. Field names and defaults are Rancher's,
// so a config written for Rancher works unchanged; every refusal names the field it is about.
//
// Parsed as Rancher has them but unused by the login path: `userSearchAttribute`, `groupSearchAttribute`
// (principal search) and `groupDNAttribute`. Kept so a Rancher config round-trips.
import { X509Certificate } from 'node:crypto'
import { FilterParser, type Filter } from 'ldapts'

export interface LdapConfig {
  servers: string[]
  port: number
  /** LDAPS from the first byte. */
  tls: boolean
  /** Plain LDAP upgraded with the StartTLS extended operation before any bind. */
  starttls: boolean
  /** PEM CA certificate(s) trusted in addition to the system roots (as Rancher adds it to its pool). */
  certificate: string
  serviceAccountDistinguishedName: string
  serviceAccountPassword: string
  userSearchBase: string
  userSearchAttribute: string
  /** An admin-written filter ANDed into the login search (trusted: it comes from the authconfig). */
  userSearchFilter?: Filter
  userLoginAttribute: string
  userObjectClass: string
  userNameAttribute: string
  userMemberAttribute: string
  /** Attribute holding an integer status; the user is disabled when all bits of the mask are set. */
  userEnabledAttribute: string
  userDisabledBitMask: number
  groupSearchBase: string
  groupSearchAttribute: string
  groupSearchFilter?: Filter
  groupObjectClass: string
  groupNameAttribute: string
  groupDNAttribute: string
  /** The user's attribute that groups list as members (`entryDN`/`dn`: the DN itself). */
  groupMemberUserAttribute: string
  /** The group's attribute listing its members (`member`, `uniqueMember`, `memberUid`). */
  groupMemberMappingAttribute: string
  /** Milliseconds for the TCP connect and for each LDAP operation. */
  connectionTimeout: number
  nestedGroupMembershipEnabled: boolean
}

/** A field of the authconfig is missing or malformed; `field` is its JSON name. */
export class LdapConfigError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`)
  }
}

/** Rancher's defaults for OpenLDAP (its norman `default=` tags). */
const DEFAULTS = {
  port: 389,
  userSearchAttribute: 'uid|sn|givenName',
  userLoginAttribute: 'uid',
  userObjectClass: 'inetOrgPerson',
  userNameAttribute: 'cn',
  userMemberAttribute: 'memberOf',
  groupSearchAttribute: 'cn',
  groupObjectClass: 'groupOfNames',
  groupNameAttribute: 'cn',
  groupDNAttribute: 'entryDN',
  groupMemberUserAttribute: 'entryDN',
  groupMemberMappingAttribute: 'member',
  connectionTimeout: 5000,
} as const

/** An attribute description (RFC 4512 `descr` or numeric OID), optionally with options (`;binary`). */
const ATTRIBUTE = /^(?:[A-Za-z][A-Za-z0-9-]*|\d+(?:\.\d+)+)(?:;[A-Za-z0-9-]+)*$/
const HOSTNAME = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?|[0-9A-Fa-f:]+)$/

type Input = Record<string, unknown>

function str(input: Input, field: string, fallback?: string): string {
  const v = input[field]
  if (v === undefined || v === null || v === '') {
    if (fallback !== undefined) return fallback
    throw new LdapConfigError(field, 'is required')
  }
  if (typeof v !== 'string') throw new LdapConfigError(field, 'must be a string')
  return v
}

function bool(input: Input, field: string): boolean {
  const v = input[field]
  if (v === undefined || v === null) return false
  if (typeof v !== 'boolean') throw new LdapConfigError(field, 'must be true or false')
  return v
}

function int(input: Input, field: string, fallback: number, min: number, max: number): number {
  const v = input[field]
  if (v === undefined || v === null) return fallback
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw new LdapConfigError(field, `must be an integer from ${min} to ${max}`)
  return v
}

function attribute(input: Input, field: string, fallback?: string): string {
  const v = str(input, field, fallback)
  if (!ATTRIBUTE.test(v)) throw new LdapConfigError(field, `${JSON.stringify(v)} is not an LDAP attribute name`)
  return v
}

function optionalAttribute(input: Input, field: string): string {
  return input[field] === undefined || input[field] === null || input[field] === '' ? '' : attribute(input, field)
}

/** Attribute names joined by `|`, as Rancher's search attributes are. */
function attributeList(input: Input, field: string, fallback: string): string {
  const v = str(input, field, fallback)
  for (const a of v.split('|')) if (!ATTRIBUTE.test(a)) throw new LdapConfigError(field, `${JSON.stringify(a)} is not an LDAP attribute name`)
  return v
}

function dn(input: Input, field: string, fallback?: string): string {
  const v = str(input, field, fallback)
  if (!v.includes('=')) throw new LdapConfigError(field, `${JSON.stringify(v)} is not a distinguished name`)
  return v
}

function filter(input: Input, field: string): Filter | undefined {
  const v = str(input, field, '')
  if (!v) return undefined
  // Parentheses inside values are escaped (\28, \29) in a filter string, so every raw one is structure;
  // ldapts' parser lets an unclosed group through.
  let depth = 0
  for (const ch of v) {
    depth += ch === '(' ? 1 : ch === ')' ? -1 : 0
    if (depth < 0) break
  }
  if (depth !== 0) throw new LdapConfigError(field, 'is not an LDAP filter (unbalanced parentheses)')
  try {
    return FilterParser.parseString(v.startsWith('(') ? v : `(${v})`)
  } catch (err) {
    throw new LdapConfigError(field, `is not an LDAP filter (${err instanceof Error ? err.message : String(err)})`)
  }
}

function servers(input: Input): string[] {
  const v = input.servers
  if (!Array.isArray(v) || v.length === 0) throw new LdapConfigError('servers', 'needs at least one host name or address')
  return v.map((s: unknown, i) => {
    if (typeof s !== 'string' || !HOSTNAME.test(s)) throw new LdapConfigError(`servers[${i}]`, `${JSON.stringify(s)} is not a host name or address (no scheme, no port: the port is its own field)`)
    return s
  })
}

function certificate(input: Input): string {
  const v = str(input, 'certificate', '')
  if (!v) return ''
  const blocks = v.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g)
  if (!blocks) throw new LdapConfigError('certificate', 'must be one or more PEM certificates')
  for (const b of blocks) {
    try {
      new X509Certificate(b)
    } catch {
      throw new LdapConfigError('certificate', 'holds a PEM block that is not a certificate')
    }
  }
  return blocks.join('\n') + '\n'
}

/** Parses an OpenLDAP authconfig (its JSON fields) into a config, applying Rancher's defaults. */
export function parseLdapConfig(raw: unknown): LdapConfig {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new LdapConfigError('config', 'must be an object')
  const input = raw as Input
  const tls = bool(input, 'tls')
  const starttls = bool(input, 'starttls')
  if (tls && starttls) throw new LdapConfigError('starttls', 'cannot be combined with tls: choose LDAPS (tls) or StartTLS')
  const userSearchBase = dn(input, 'userSearchBase')
  return {
    servers: servers(input),
    port: int(input, 'port', DEFAULTS.port, 1, 65535),
    tls,
    starttls,
    certificate: certificate(input),
    serviceAccountDistinguishedName: dn(input, 'serviceAccountDistinguishedName'),
    serviceAccountPassword: str(input, 'serviceAccountPassword'),
    userSearchBase,
    userSearchAttribute: attributeList(input, 'userSearchAttribute', DEFAULTS.userSearchAttribute),
    userSearchFilter: filter(input, 'userSearchFilter'),
    userLoginAttribute: attribute(input, 'userLoginAttribute', DEFAULTS.userLoginAttribute),
    userObjectClass: attribute(input, 'userObjectClass', DEFAULTS.userObjectClass),
    userNameAttribute: attribute(input, 'userNameAttribute', DEFAULTS.userNameAttribute),
    userMemberAttribute: attribute(input, 'userMemberAttribute', DEFAULTS.userMemberAttribute),
    userEnabledAttribute: optionalAttribute(input, 'userEnabledAttribute'),
    userDisabledBitMask: int(input, 'userDisabledBitMask', 0, 0, Number.MAX_SAFE_INTEGER),
    groupSearchBase: dn(input, 'groupSearchBase', userSearchBase),
    groupSearchAttribute: attributeList(input, 'groupSearchAttribute', DEFAULTS.groupSearchAttribute),
    groupSearchFilter: filter(input, 'groupSearchFilter'),
    groupObjectClass: attribute(input, 'groupObjectClass', DEFAULTS.groupObjectClass),
    groupNameAttribute: attribute(input, 'groupNameAttribute', DEFAULTS.groupNameAttribute),
    groupDNAttribute: attribute(input, 'groupDNAttribute', DEFAULTS.groupDNAttribute),
    groupMemberUserAttribute: attribute(input, 'groupMemberUserAttribute', DEFAULTS.groupMemberUserAttribute),
    groupMemberMappingAttribute: attribute(input, 'groupMemberMappingAttribute', DEFAULTS.groupMemberMappingAttribute),
    connectionTimeout: int(input, 'connectionTimeout', DEFAULTS.connectionTimeout, 1, 600_000),
    nestedGroupMembershipEnabled: bool(input, 'nestedGroupMembershipEnabled'),
  }
}
