// The password change, required on first login (`mustChangePassword`) and offered from the user menu.
import { useState } from 'preact/hooks'
import { errorText } from '../api/http.ts'
import { changePassword, me } from '../api/session.ts'

export function ChangePassword(props: { onDone: () => void }) {
  const [current, setCurrent] = useState('')
  const [next, setNext] = useState('')
  const [again, setAgain] = useState('')
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState('')
  const required = me.value?.mustChangePassword === true

  const submit = async (e: Event) => {
    e.preventDefault()
    if (next !== again) return setError('The new passwords do not match.')
    setBusy(true)
    setError('')
    try {
      await changePassword(current, next)
      props.onDone()
    } catch (err) {
      setError(errorText(err))
    } finally {
      setBusy(false)
    }
  }

  return (
    <section class="narrow" aria-labelledby="pw-heading">
      <h1 id="pw-heading">Change your password</h1>
      {required && <p>This account's password was generated for it: choose your own before going on.</p>}
      <form onSubmit={submit} class="card">
        <input type="text" name="username" autoComplete="username" value={me.value?.username ?? ''} hidden readOnly />
        <label>
          Current password
          <input type="password" autoComplete="current-password" required value={current} onInput={(e) => setCurrent(e.currentTarget.value)} />
        </label>
        <label>
          New password
          <input type="password" autoComplete="new-password" required value={next} onInput={(e) => setNext(e.currentTarget.value)} aria-describedby="pw-rule" />
        </label>
        <p id="pw-rule" class="hint">Long enough for the server’s rule (it says so if not), and not your username.</p>
        <label>
          New password again
          <input type="password" autoComplete="new-password" required value={again} onInput={(e) => setAgain(e.currentTarget.value)} />
        </label>
        <button type="submit" class="primary" disabled={busy}>{busy ? 'Saving…' : 'Change password'}</button>
      </form>
      {error && <p role="alert" class="error">{error}</p>}
    </section>
  )
}
