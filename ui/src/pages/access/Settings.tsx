// Settings (`/v3/settings`): each value with its default; an edited value is saved with PUT, and "Reset"
// clears it (an empty value means the default, as in Rancher). Editing is offered only when the caller's
// RBAC allows updating settings.
import { useState } from 'preact/hooks'
import { allowed, list, mgmtType, update, type Resource } from './norman.ts'
import { ErrorText, useAction, useLoad } from './parts.tsx'

interface Setting extends Resource {
  value?: string
  default?: string
  customized?: boolean
}

const TYPE = mgmtType('settings')

function SettingRow(props: { s: Setting; onDone: () => void }) {
  const { s } = props
  const [editing, setEditing] = useState(false)
  const [value, setValue] = useState(s.value ?? '')
  const act = useAction(() => {
    setEditing(false)
    props.onDone()
  })
  const mayEdit = allowed(TYPE, 'PUT')
  const inputId = `setting-${s.id}`
  return (
    <tr>
      <th scope="row"><code>{s.id}</code></th>
      <td>
        {editing ? (
          <form class="row-form" onSubmit={(e) => { e.preventDefault(); void act.run(() => update('settings', s.id, { value })) }}>
            <label for={inputId} class="visually-hidden">Value of {s.id}</label>
            <input id={inputId} autoFocus value={value} onInput={(e) => setValue(e.currentTarget.value)} />
            <button type="submit" class="primary" disabled={act.busy}>Save</button>
            <button type="button" onClick={() => setEditing(false)}>Cancel</button>
          </form>
        ) : (
          <span class="setting-value">{s.value ? s.value : <em>default</em>}</span>
        )}
        <ErrorText text={act.error} />
      </td>
      <td class="setting-default">{s.default || '—'}</td>
      <td class="actions">
        {mayEdit && !editing && <button type="button" aria-label={`Edit ${s.id}`} onClick={() => { setValue(s.value || s.default || ''); setEditing(true) }}>Edit</button>}
        {mayEdit && !editing && s.value !== undefined && s.value !== '' && (
          <button type="button" aria-label={`Reset ${s.id} to its default`} disabled={act.busy} onClick={() => void act.run(() => update('settings', s.id, { value: '' }))}>Reset</button>
        )}
      </td>
    </tr>
  )
}

export function Settings() {
  const settings = useLoad(() => list<Setting>('settings', { limit: 1000 }), [])
  const [search, setSearch] = useState('')
  const term = search.trim().toLowerCase()
  const shown = (settings.data?.data ?? []).filter((s) => !term || s.id.toLowerCase().includes(term))
  return (
    <section aria-labelledby="settings-heading">
      <h1 id="settings-heading">Settings</h1>
      <div class="toolbar">
        <label>Search settings<input type="search" value={search} onInput={(e) => setSearch(e.currentTarget.value)} /></label>
        <span class="count" role="status">{settings.data ? `${shown.length} setting${shown.length === 1 ? '' : 's'}` : 'Loading…'}</span>
      </div>
      <ErrorText text={settings.error} />
      <table class="plain settings">
        <caption class="visually-hidden">Settings</caption>
        <thead><tr><th scope="col">Setting</th><th scope="col">Value</th><th scope="col">Default</th><th scope="col">Actions</th></tr></thead>
        <tbody>
          {shown.map((s) => <SettingRow key={s.id} s={s} onDone={settings.reload} />)}
        </tbody>
      </table>
    </section>
  )
}
