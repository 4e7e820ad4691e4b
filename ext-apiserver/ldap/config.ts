// Rancher's OpenLDAP authconfig (`openLdapConfig`, the LdapFields of management.cattle.io/v3), parsed once
// from untrusted input into a config the directory client trusts. Field names and defaults are Rancher's,
// so a config written for Rancher works unchanged; every refusal names the field it is about. The fields
// Active Directory shares are parsed in fields.ts.
import { asInput, dn, parseDirectoryFields, type DirectoryFields, type FieldDefaults } from './fields.ts'

export { LdapConfigError } from './fields.ts'

export interface LdapConfig extends DirectoryFields {
  serviceAccountDistinguishedName: string
}

/** Rancher's defaults for OpenLDAP (its norman `default=` tags). */
const DEFAULTS: FieldDefaults = {
  port: 389,
  userSearchAttribute: 'uid|sn|givenName',
  userLoginAttribute: 'uid',
  userObjectClass: 'inetOrgPerson',
  userNameAttribute: 'cn',
  userMemberAttribute: 'memberOf',
  userEnabledAttribute: '',
  userDisabledBitMask: 0,
  groupSearchAttribute: 'cn',
  groupObjectClass: 'groupOfNames',
  groupNameAttribute: 'cn',
  groupDNAttribute: 'entryDN',
  groupMemberUserAttribute: 'entryDN',
  groupMemberMappingAttribute: 'member',
  connectionTimeout: 5000,
}

/** Parses an OpenLDAP authconfig (its JSON fields) into a config, applying Rancher's defaults. */
export function parseLdapConfig(raw: unknown): LdapConfig {
  const input = asInput(raw)
  const fields = parseDirectoryFields(input, DEFAULTS)
  return { ...fields, serviceAccountDistinguishedName: dn(input, 'serviceAccountDistinguishedName') }
}
