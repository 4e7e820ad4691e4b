// `/users…`: users, global roles and authentication providers, each a tab shown only to callers who may
// read it.
import { allowed, mgmtType } from './norman.ts'
import { AuthProviders } from './AuthProviders.tsx'
import { GlobalRoles } from './GlobalRoles.tsx'
import { Tabs } from './parts.tsx'
import { Users } from './Users.tsx'

export type AccessTab = 'users' | 'roles' | 'auth'

export function UsersAccess(props: { tab: AccessTab }) {
  const tabs = [
    { href: '/users', label: 'Users', shown: allowed(mgmtType('users'), 'GET') },
    { href: '/users/roles', label: 'Global roles', shown: allowed(mgmtType('globalroles'), 'GET') },
    { href: '/users/auth', label: 'Authentication', shown: allowed(mgmtType('authconfigs'), 'GET') },
  ]
  const here = tabs[['users', 'roles', 'auth'].indexOf(props.tab)]!
  return (
    <section aria-labelledby="ua-heading" class="access">
      <h1 id="ua-heading">Users &amp; access</h1>
      <Tabs tabs={tabs} />
      {!here.shown ? (
        <p role="alert">You may not see {here.label.toLowerCase()}.</p>
      ) : props.tab === 'users' ? (
        <Users />
      ) : props.tab === 'roles' ? (
        <GlobalRoles />
      ) : (
        <AuthProviders />
      )}
    </section>
  )
}
