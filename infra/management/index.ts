export { isMutating, managementAdmission, MUTATING_POLICY_API, MUTATION_PROBE, mutationInEffect, type AdmissionObject, type AdmissionOptions } from './admission.ts'
export { EXT_CONTAINER_PORT, EXT_SERVICE, extApiServiceManifests, extServingNames, type ExtApiServiceOptions } from './ext-apiservice.ts'
export { builtinGlobalRoles, builtinRoleTemplates } from './builtins.ts'
export {
  CACHE_RULES, CLUSTER_NAMESPACE_ROLES, downstreamRbac, EDGE_USER, EXT_APISERVER_ACCOUNT, LOCAL_USER_PASSWORDS_NAMESPACE, managementRbac, RUNNER_DOWNSTREAM_USER,
  type ManagementRbacOptions, type RbacObject, type Subject,
} from './rbac.ts'
export { resolvedSettingDefaults, settingDefaults, type SettingDefault } from './settings.ts'
