// Rancher's Active Directory authconfig (`activeDirectoryConfig`, management.cattle.io/v3
// ActiveDirectoryConfig), parsed once from untrusted input. The LDAP fields are OpenLDAP's with AD's
// defaults (fields.ts); the service account is a username, bound the way Rancher binds it: `DOMAIN\name`
// when it carries no domain and `defaultLoginDomain` is set, as written otherwise.
import type { LdapConfig } from './config.ts'
import { asInput, LdapConfigError, parseDirectoryFields, str, type DirectoryFields, type FieldDefaults, type Input } from './fields.ts'

export interface AdConfig extends DirectoryFields {
  kind: 'activedirectory'
  /** `name`, `DOMAIN\name`, `name@domain` or a DN: whatever AD accepts in a simple bind. */
  serviceAccountUsername: string
  /** NetBIOS domain put before names typed without one (`alice` binds as `DOMAIN\alice`); empty: none. */
  defaultLoginDomain: string
}

/** Either kind of directory config; connection, groups and search code takes both. */
export type DirectoryConfig = LdapConfig | AdConfig

export function isAdConfig(config: DirectoryConfig): config is AdConfig {
  return 'kind' in config && config.kind === 'activedirectory'
}

/** Rancher's defaults for Active Directory (its norman `default=` tags); `memberOf` is its fixed member-of attribute. */
const DEFAULTS: FieldDefaults = {
  port: 389,
  userSearchAttribute: 'sAMAccountName|sn|givenName',
  userLoginAttribute: 'sAMAccountName',
  userObjectClass: 'person',
  userNameAttribute: 'name',
  userMemberAttribute: 'memberOf',
  userEnabledAttribute: 'userAccountControl',
  userDisabledBitMask: 2,
  groupSearchAttribute: 'sAMAccountName',
  groupObjectClass: 'group',
  groupNameAttribute: 'name',
  groupDNAttribute: 'distinguishedName',
  groupMemberUserAttribute: 'distinguishedName',
  groupMemberMappingAttribute: 'member',
  connectionTimeout: 5000,
}

/** Characters Windows forbids in a NetBIOS domain name, plus the separators of the other name forms. */
const DOMAIN = /^[^\\/:*?"<>|@\s,=]{1,255}$/

function username(input: Input, field: string): string {
  const v = str(input, field)
  if (/[\u0000-\u001f]/.test(v)) throw new LdapConfigError(field, 'contains control characters')
  return v
}

/** Parses an Active Directory authconfig (its JSON fields) into a config, applying Rancher's defaults. */
export function parseAdConfig(raw: unknown): AdConfig {
  const input = asInput(raw)
  const fields = parseDirectoryFields(input, DEFAULTS)
  const defaultLoginDomain = str(input, 'defaultLoginDomain', '')
  if (defaultLoginDomain && !DOMAIN.test(defaultLoginDomain)) throw new LdapConfigError('defaultLoginDomain', `${JSON.stringify(defaultLoginDomain)} is not a NetBIOS domain name`)
  return { ...fields, kind: 'activedirectory', serviceAccountUsername: username(input, 'serviceAccountUsername'), defaultLoginDomain }
}

/**
 * The name a user name binds as: Rancher's rule (`DOMAIN\name` kept, a bare name given the default login
 * domain) except that a UPN (`name@domain`) or a DN keeps its own domain instead of getting a second one.
 */
export function bindName(name: string, defaultLoginDomain: string): string {
  if (name.includes('\\') || name.includes('@') || name.includes('=') || !defaultLoginDomain) return name
  return `${defaultLoginDomain}\\${name}`
}

/** The principal id prefix a config's principals get unless the caller names another. */
export function defaultScope(config: DirectoryConfig): 'activedirectory' | 'openldap' {
  return isAdConfig(config) ? 'activedirectory' : 'openldap'
}
