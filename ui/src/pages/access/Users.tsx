// Users: the list (searched and paged here: `/v3` filters only by exact field values), a new local user,
// enable/disable, a new password (`setpassword`) and delete, each offered only when the caller's RBAC
// allows it. Disabling or deleting a user ends every session of theirs at the edge.
import { useState } from 'preact/hooks'
import { me } from '../../api/session.ts'
import { action, allowed, create, list, mgmtType, remove, update, type Resource } from './norman.ts'
import { ConfirmButton, ErrorText, useAction, useLoad } from './parts.tsx'

interface User extends Resource {
  username?: string
  displayName?: string
  enabled?: boolean
  principalIds?: string[]
  mustChangePassword?: boolean
}

const TYPE = mgmtType('users')
const PAGE = 25

function CreateUser(props: { onDone: () => void }) {
  const [username, setUsername] = useState('')
  const [displayName, setDisplayName] = useState('')
  const [password, setPassword] = useState('')
  const [mustChange, setMustChange] = useState(true)
  const act = useAction(props.onDone)
  const submit = (e: Event) => {
    e.preventDefault()
    void act.run(() => create('users', { username, password, displayName: displayName || undefined, mustChangePassword: mustChange }))
  }
  return (
    <form class="card inline-form" onSubmit={submit} aria-labelledby="new-user-heading">
      <h2 id="new-user-heading">New local user</h2>
      <label>Username<input id="new-user-username" required value={username} onInput={(e) => setUsername(e.currentTarget.value)} autoComplete="off" /></label>
      <label>Display name<input id="new-user-display" value={displayName} onInput={(e) => setDisplayName(e.currentTarget.value)} autoComplete="off" /></label>
      <label>Password<input id="new-user-password" type="password" required value={password} onInput={(e) => setPassword(e.currentTarget.value)} autoComplete="new-password" /></label>
      <label class="check"><input type="checkbox" checked={mustChange} onChange={(e) => setMustChange(e.currentTarget.checked)} /> Must change the password at first login</label>
      <div><button class="primary" type="submit" disabled={act.busy}>Create user</button></div>
      <ErrorText text={act.error} />
    </form>
  )
}

function SetPassword(props: { user: User; onDone: () => void }) {
  const [open, setOpen] = useState(false)
  const [password, setPassword] = useState('')
  const act = useAction(() => {
    setOpen(false)
    setPassword('')
    props.onDone()
  })
  const name = props.user.username ?? props.user.id
  if (!open) return <button type="button" aria-label={`Set password of ${name}`} onClick={() => setOpen(true)}>Set password</button>
  return (
    <form class="row-form" onSubmit={(e) => { e.preventDefault(); void act.run(() => action('users', props.user.id, 'setpassword', { newPassword: password })) }}>
      <label>New password for {name}<input type="password" required autoFocus value={password} onInput={(e) => setPassword(e.currentTarget.value)} autoComplete="new-password" /></label>
      <button type="submit" class="primary" disabled={act.busy}>Save password</button>
      <button type="button" onClick={() => setOpen(false)}>Cancel</button>
      <ErrorText text={act.error} />
    </form>
  )
}

export function Users() {
  const users = useLoad(() => list<User>('users', { limit: 1000 }), [])
  const [search, setSearch] = useState('')
  const [page, setPage] = useState(0)
  const act = useAction(users.reload)
  const mayCreate = allowed(TYPE, 'POST')
  const mayUpdate = allowed(TYPE, 'PUT')
  const mayDelete = allowed(TYPE, 'DELETE')
  const term = search.trim().toLowerCase()
  const matched = (users.data?.data ?? []).filter((u) => !term || [u.username, u.displayName, u.id].some((f) => f?.toLowerCase().includes(term)))
  const pages = Math.max(1, Math.ceil(matched.length / PAGE))
  const shown = matched.slice(page * PAGE, page * PAGE + PAGE)
  return (
    <section aria-labelledby="users-heading">
      <h2 id="users-heading">Users</h2>
      <div class="toolbar">
        <label>Search users<input type="search" value={search} onInput={(e) => { setSearch(e.currentTarget.value); setPage(0) }} /></label>
        <span class="count" role="status">{users.data ? `${matched.length} user${matched.length === 1 ? '' : 's'}` : 'Loading…'}</span>
      </div>
      <ErrorText text={users.error || act.error} />
      <table class="plain">
        <caption class="visually-hidden">Users</caption>
        <thead><tr><th scope="col">Username</th><th scope="col">Display name</th><th scope="col">Id</th><th scope="col">State</th><th scope="col">Actions</th></tr></thead>
        <tbody>
          {shown.map((u) => {
            const name = u.username ?? u.id
            const self = u.id === me.value?.id
            return (
              <tr key={u.id}>
                <td>{u.username ?? '—'}</td>
                <td>{u.displayName ?? '—'}</td>
                <td><code>{u.id}</code></td>
                <td><span class={`badge ${u.enabled === false ? 'state-unavailable' : 'state-active'}`}>{u.enabled === false ? 'Disabled' : 'Active'}</span></td>
                <td class="actions">
                  {mayUpdate && !self && (
                    <button type="button" aria-label={`${u.enabled === false ? 'Enable' : 'Disable'} ${name}`} disabled={act.busy} onClick={() => void act.run(() => update('users', u.id, { enabled: u.enabled === false }))}>
                      {u.enabled === false ? 'Enable' : 'Disable'}
                    </button>
                  )}
                  {mayUpdate && u.username && <SetPassword user={u} onDone={users.reload} />}
                  {mayDelete && !self && <ConfirmButton label="Delete" what={name} onConfirm={() => void act.run(() => remove('users', u.id))} />}
                </td>
              </tr>
            )
          })}
        </tbody>
      </table>
      {pages > 1 && (
        <div class="pager">
          <button type="button" disabled={page === 0} onClick={() => setPage(page - 1)}>Previous</button>
          <span>Page {page + 1} of {pages}</span>
          <button type="button" disabled={page + 1 >= pages} onClick={() => setPage(page + 1)}>Next</button>
        </div>
      )}
      {mayCreate && <CreateUser onDone={users.reload} />}
    </section>
  )
}
