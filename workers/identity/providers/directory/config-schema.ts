// The directory AuthConfig fields the edge accepts (Rancher's LDAP and Active Directory configs). The
// edge checks types and sizes; what the values mean (DNs, filters, certificates) is checked by the
// extension server when it binds with them, which `testAndApply` does before anything is saved.
import * as v from 'valibot'

const text = (max: number) => v.optional(v.pipe(v.string(), v.maxLength(max)))
const flag = v.optional(v.boolean())

export const directoryFields = {
  servers: v.optional(v.pipe(v.array(v.pipe(v.string(), v.maxLength(253))), v.maxLength(16))),
  port: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(65535))),
  tls: flag,
  starttls: flag,
  startTLS: flag,
  certificate: text(65536),
  serviceAccountDistinguishedName: text(1024),
  serviceAccountUsername: text(256),
  serviceAccountPassword: text(1024),
  defaultLoginDomain: text(253),
  userSearchBase: text(1024),
  userSearchAttribute: text(256),
  userSearchFilter: text(1024),
  userLoginAttribute: text(128),
  userObjectClass: text(128),
  userNameAttribute: text(128),
  userMemberAttribute: text(128),
  userEnabledAttribute: text(128),
  userDisabledBitMask: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0))),
  groupSearchBase: text(1024),
  groupSearchAttribute: text(256),
  groupSearchFilter: text(1024),
  groupObjectClass: text(128),
  groupNameAttribute: text(128),
  groupDNAttribute: text(128),
  groupMemberUserAttribute: text(128),
  groupMemberMappingAttribute: text(128),
  connectionTimeout: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(600_000))),
  nestedGroupMembershipEnabled: flag,
}

/** Fields that say how to reach and read the directory: changing them on an enabled provider needs a test. */
export const DIRECTORY_FIELDS = Object.keys(directoryFields).filter((k) => k !== 'serviceAccountPassword')

export const accessFields = {
  enabled: flag,
  accessMode: v.optional(v.picklist(['unrestricted', 'restricted', 'required'])),
  allowedPrincipalIds: v.optional(v.pipe(v.array(v.pipe(v.string(), v.maxLength(1024))), v.maxLength(1000))),
}

/** A whole config as clients send it back (id, links, … ignored). */
export const configSchema = v.looseObject({ ...directoryFields, ...accessFields })
export type ConfigBody = v.InferOutput<typeof configSchema>
