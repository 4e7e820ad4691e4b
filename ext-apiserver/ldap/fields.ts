// The authconfig fields Rancher's LDAP providers (OpenLDAP, FreeIPA) and Active Directory share, parsed once
// from untrusted input; each provider's config file adds its service-account identity and its defaults.
// Every refusal names the field it is about.
//
// Parsed as Rancher has them but unused by the login path: `groupDNAttribute` (kept so a Rancher config
// round-trips).
import { X509Certificate } from 'node:crypto'
import { FilterParser, type Filter } from 'ldapts'

export interface DirectoryFields {
  servers: string[]
  port: number
  /** LDAPS from the first byte. */
  tls: boolean
  /** Plain LDAP upgraded with the StartTLS extended operation before any bind. */
  starttls: boolean
  /** PEM CA certificate(s) trusted in addition to the system roots (as Rancher adds it to its pool). */
  certificate: string
  serviceAccountPassword: string
  userSearchBase: string
  /** Attributes the principal search matches by prefix, joined by `|`. */
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
  /** The attribute the principal search matches groups on. */
  groupSearchAttribute: string
  groupSearchFilter?: Filter
  groupObjectClass: string
  groupNameAttribute: string
  groupDNAttribute: string
  /** The user's attribute that groups list as members (`entryDN`/`dn`/`distinguishedName`: the DN itself). */
  groupMemberUserAttribute: string
  /** The group's attribute listing its members (`member`, `uniqueMember`, `memberUid`). */
  groupMemberMappingAttribute: string
  /** Milliseconds for the TCP connect and for each LDAP operation. */
  connectionTimeout: number
  nestedGroupMembershipEnabled: boolean
}

/** A provider's defaults (its norman `default=` tags); an empty `userEnabledAttribute` means "none". */
export interface FieldDefaults {
  port: number
  userSearchAttribute: string
  userLoginAttribute: string
  userObjectClass: string
  userNameAttribute: string
  userMemberAttribute: string
  userEnabledAttribute: string
  userDisabledBitMask: number
  groupSearchAttribute: string
  groupObjectClass: string
  groupNameAttribute: string
  groupDNAttribute: string
  groupMemberUserAttribute: string
  groupMemberMappingAttribute: string
  connectionTimeout: number
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

/** An attribute description (RFC 4512 `descr` or numeric OID), optionally with options (`;binary`). */
const ATTRIBUTE = /^(?:[A-Za-z][A-Za-z0-9-]*|\d+(?:\.\d+)+)(?:;[A-Za-z0-9-]+)*$/
const HOSTNAME = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?|[0-9A-Fa-f:]+)$/

export type Input = Record<string, unknown>

export function asInput(raw: unknown): Input {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new LdapConfigError('config', 'must be an object')
  return raw as Input
}

export function str(input: Input, field: string, fallback?: string): string {
  const v = input[field]
  if (v === undefined || v === null || v === '') {
    if (fallback !== undefined) return fallback
    throw new LdapConfigError(field, 'is required')
  }
  if (typeof v !== 'string') throw new LdapConfigError(field, 'must be a string')
  return v
}

export function bool(input: Input, field: string): boolean {
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

function optionalAttribute(input: Input, field: string, fallback: string): string {
  const v = input[field]
  if ((v === undefined || v === null || v === '') && fallback === '') return ''
  return attribute(input, field, fallback)
}

/** Attribute names joined by `|`, as Rancher's search attributes are. */
function attributeList(input: Input, field: string, fallback: string): string {
  const v = str(input, field, fallback)
  for (const a of v.split('|')) if (!ATTRIBUTE.test(a)) throw new LdapConfigError(field, `${JSON.stringify(a)} is not an LDAP attribute name`)
  return v
}

export function dn(input: Input, field: string, fallback?: string): string {
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

/** The shared fields of an authconfig, with the provider's defaults. */
export function parseDirectoryFields(input: Input, defaults: FieldDefaults): DirectoryFields {
  const tls = bool(input, 'tls')
  const starttls = bool(input, 'starttls')
  if (tls && starttls) throw new LdapConfigError('starttls', 'cannot be combined with tls: choose LDAPS (tls) or StartTLS')
  const userSearchBase = dn(input, 'userSearchBase')
  return {
    servers: servers(input),
    port: int(input, 'port', defaults.port, 1, 65535),
    tls,
    starttls,
    certificate: certificate(input),
    serviceAccountPassword: str(input, 'serviceAccountPassword'),
    userSearchBase,
    userSearchAttribute: attributeList(input, 'userSearchAttribute', defaults.userSearchAttribute),
    userSearchFilter: filter(input, 'userSearchFilter'),
    userLoginAttribute: attribute(input, 'userLoginAttribute', defaults.userLoginAttribute),
    userObjectClass: attribute(input, 'userObjectClass', defaults.userObjectClass),
    userNameAttribute: attribute(input, 'userNameAttribute', defaults.userNameAttribute),
    userMemberAttribute: attribute(input, 'userMemberAttribute', defaults.userMemberAttribute),
    userEnabledAttribute: optionalAttribute(input, 'userEnabledAttribute', defaults.userEnabledAttribute),
    userDisabledBitMask: int(input, 'userDisabledBitMask', defaults.userDisabledBitMask, 0, Number.MAX_SAFE_INTEGER),
    groupSearchBase: dn(input, 'groupSearchBase', userSearchBase),
    groupSearchAttribute: attributeList(input, 'groupSearchAttribute', defaults.groupSearchAttribute),
    groupSearchFilter: filter(input, 'groupSearchFilter'),
    groupObjectClass: attribute(input, 'groupObjectClass', defaults.groupObjectClass),
    groupNameAttribute: attribute(input, 'groupNameAttribute', defaults.groupNameAttribute),
    groupDNAttribute: attribute(input, 'groupDNAttribute', defaults.groupDNAttribute),
    groupMemberUserAttribute: attribute(input, 'groupMemberUserAttribute', defaults.groupMemberUserAttribute),
    groupMemberMappingAttribute: attribute(input, 'groupMemberMappingAttribute', defaults.groupMemberMappingAttribute),
    connectionTimeout: int(input, 'connectionTimeout', defaults.connectionTimeout, 1, 600_000),
    nestedGroupMembershipEnabled: bool(input, 'nestedGroupMembershipEnabled'),
  }
}
