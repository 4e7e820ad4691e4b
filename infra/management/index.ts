export { isMutating, managementAdmission, MUTATING_POLICY_API, MUTATION_PROBE, mutationInEffect, type AdmissionObject, type AdmissionOptions } from './admission.ts'
export { builtinGlobalRoles, builtinRoleTemplates } from './builtins.ts'
export {
  CACHE_RULES, CLUSTER_NAMESPACE_ROLES, downstreamRbac, EDGE_USER, LOCAL_USER_PASSWORDS_NAMESPACE, managementRbac, RUNNER_DOWNSTREAM_USER,
  type ManagementRbacOptions, type RbacObject,
} from './rbac.ts'
export { resolvedSettingDefaults, settingDefaults, type SettingDefault } from './settings.ts'
