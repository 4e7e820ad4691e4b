// The access pages' routes and navigation entries (ui/src/routes.ts): users, global roles and
// authentication providers; clusters' members and projects; the caller's API keys; settings.
import type { NavEntry, Route } from '../../routes.ts'
import { ApiKeys } from './ApiKeys.tsx'
import { ClusterAccess, ClusterAccessIndex } from './ClusterAccess.tsx'
import { allowed, mgmtType } from './norman.ts'
import { Settings } from './Settings.tsx'
import { UsersAccess } from './UsersAccess.tsx'
import './access.css'

export const accessRoutes: Route[] = [
  { pattern: /^\/users\/?$/, render: () => <UsersAccess tab="users" /> },
  { pattern: /^\/users\/roles$/, render: () => <UsersAccess tab="roles" /> },
  { pattern: /^\/users\/auth$/, render: () => <UsersAccess tab="auth" /> },
  { pattern: /^\/access\/clusters\/?$/, render: () => <ClusterAccessIndex /> },
  { pattern: /^\/access\/clusters\/([^/]+)$/, render: ([id]) => <ClusterAccess key={id} clusterId={id!} /> },
  { pattern: /^\/account\/api-keys$/, render: () => <ApiKeys /> },
  { pattern: /^\/settings\/?$/, render: () => <Settings /> },
]

export const accessNav: NavEntry[] = [
  { href: '/access/clusters', label: 'Projects & members', shown: () => allowed(mgmtType('projects'), 'GET') || allowed(mgmtType('clusterroletemplatebindings'), 'GET') },
  { href: '/users', label: 'Users & access', shown: () => allowed(mgmtType('users'), 'GET') },
  { href: '/account/api-keys', label: 'API keys', shown: () => true },
  { href: '/settings', label: 'Settings', shown: () => allowed(mgmtType('settings'), 'GET') },
]
