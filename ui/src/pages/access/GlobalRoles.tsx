// Global roles and who holds them: the bindings (`/v3/globalrolebindings`), a new one for a user or a
// group principal found through `/v3/principals?action=search`, and removal. The edge refuses a binding
// that would grant more than the caller holds; that refusal is shown as it comes.
import { useState } from 'preact/hooks'
import { allowed, create, list, mgmtType, remove, type Principal, type Resource } from './norman.ts'
import { ConfirmButton, ErrorText, PrincipalPicker, useAction, useLoad } from './parts.tsx'

interface GlobalRole extends Resource {
  displayName?: string
  description?: string
  builtin?: boolean
  newUserDefault?: boolean
}
interface Grb extends Resource {
  globalRoleId?: string
  userId?: string
  groupPrincipalId?: string
  userPrincipalId?: string
}

const GRB = mgmtType('globalrolebindings')

/** Whom a binding names: its principal (says the provider) before the user id drover made for it. */
export const subjectOf = (b: Resource) =>
  String(b.userPrincipalId || b.groupPrincipalId || b.userId || b.groupId || '—')

export function GlobalRoles() {
  const roles = useLoad(() => list<GlobalRole>('globalroles', { limit: 1000 }), [])
  const grbs = useLoad(() => list<Grb>('globalrolebindings', { limit: 1000 }), [])
  const [principal, setPrincipal] = useState<Principal | undefined>(undefined)
  const [role, setRole] = useState('')
  const act = useAction(grbs.reload)
  const roleName = (id?: string) => roles.data?.data.find((r) => r.id === id)?.displayName ?? id ?? '—'
  const bind = (e: Event) => {
    e.preventDefault()
    if (!principal || !role) return act.setError('Choose a member and a role')
    const who = principal.principalType === 'group' ? { groupPrincipalId: principal.id } : principal.id.startsWith('local://') ? { userId: principal.id.slice('local://'.length) } : { userPrincipalId: principal.id }
    void act.run(() => create('globalrolebindings', { globalRoleId: role, ...who }))
  }
  return (
    <section aria-labelledby="gr-heading">
      <h2 id="gr-heading">Global roles</h2>
      <ErrorText text={roles.error} />
      <table class="plain">
        <caption class="visually-hidden">Global roles</caption>
        <thead><tr><th scope="col">Role</th><th scope="col">Id</th><th scope="col">Description</th><th scope="col">New users</th></tr></thead>
        <tbody>
          {(roles.data?.data ?? []).map((r) => (
            <tr key={r.id}><td>{r.displayName ?? r.id}</td><td><code>{r.id}</code></td><td>{r.description ?? ''}</td><td>{r.newUserDefault ? 'Given' : ''}</td></tr>
          ))}
        </tbody>
      </table>
      <h2 id="grb-heading">Global role bindings</h2>
      <ErrorText text={grbs.error || act.error} />
      <table class="plain" aria-labelledby="grb-heading">
        <thead><tr><th scope="col">Member</th><th scope="col">Role</th><th scope="col">Actions</th></tr></thead>
        <tbody>
          {(grbs.data?.data ?? []).map((b) => (
            <tr key={b.id}>
              <td><code>{subjectOf(b)}</code></td>
              <td>{roleName(b.globalRoleId)}</td>
              <td>{allowed(GRB, 'DELETE') && <ConfirmButton label="Remove" what={`${roleName(b.globalRoleId)} from ${subjectOf(b)}`} onConfirm={() => void act.run(() => remove('globalrolebindings', b.id))} />}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {allowed(GRB, 'POST') && (
        <form class="card inline-form" onSubmit={bind} aria-labelledby="grb-new-heading">
          <h3 id="grb-new-heading">Give a global role</h3>
          <PrincipalPicker idPrefix="grb" onPick={setPrincipal} />
          <label>Global role
            <select id="grb-role" value={role} onChange={(e) => setRole(e.currentTarget.value)}>
              <option value="">Choose…</option>
              {(roles.data?.data ?? []).map((r) => <option key={r.id} value={r.id}>{r.displayName ?? r.id}</option>)}
            </select>
          </label>
          <div><button class="primary" type="submit" disabled={act.busy}>Bind</button></div>
        </form>
      )}
    </section>
  )
}
