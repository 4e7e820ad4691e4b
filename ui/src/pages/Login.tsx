// Log in: every enabled provider from `/v3-public/authProviders`. Username/password providers post to
// their own login action; browser providers (OIDC, GitHub, SAML) are links that leave for the identity
// provider and come back signed in.
import { useEffect, useState } from 'preact/hooks'
import { errorText } from '../api/http.ts'
import { loginChoices, type LoginChoice } from '../api/providers.ts'
import { login } from '../api/session.ts'

export function Login(props: { onSignedIn: () => void }) {
  const [choices, setChoices] = useState<LoginChoice[] | undefined>(undefined)
  const [chosen, setChosen] = useState('')
  const [username, setUsername] = useState('')
  const [password, setPassword] = useState('')
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState('')

  useEffect(() => {
    loginChoices('/')
      .then((c) => {
        setChoices(c)
        setChosen(c.find((x) => x.kind === 'password')?.id ?? '')
      })
      .catch((e) => setError(`Cannot list the login providers: ${errorText(e)}`))
  }, [])

  const passwordChoices = (choices ?? []).filter((c) => c.kind === 'password')
  const browserChoices = (choices ?? []).filter((c) => c.kind === 'browser')
  const provider = passwordChoices.find((c) => c.id === chosen)

  const submit = async (e: Event) => {
    e.preventDefault()
    if (!provider || provider.kind !== 'password') return
    setBusy(true)
    setError('')
    try {
      await login(provider.action, username, password)
      setPassword('')
      props.onSignedIn()
    } catch (err) {
      setError(errorText(err))
    } finally {
      setBusy(false)
    }
  }

  return (
    <main id="main" class="login" tabIndex={-1}>
      <h1>Log in to drover</h1>
      {choices === undefined && !error && <p role="status">Loading…</p>}
      {passwordChoices.length > 0 && (
        <form onSubmit={submit} class="card" aria-labelledby="login-heading">
          <h2 id="login-heading" class="visually-hidden">Username and password</h2>
          {passwordChoices.length > 1 && (
            <label>
              Provider
              <select value={chosen} onChange={(e) => setChosen(e.currentTarget.value)}>
                {passwordChoices.map((c) => (
                  <option key={c.id} value={c.id}>{c.label}</option>
                ))}
              </select>
            </label>
          )}
          <label>
            Username
            <input name="username" autoComplete="username" required value={username} onInput={(e) => setUsername(e.currentTarget.value)} />
          </label>
          <label>
            Password
            <input name="password" type="password" autoComplete="current-password" required value={password} onInput={(e) => setPassword(e.currentTarget.value)} />
          </label>
          <button type="submit" class="primary" disabled={busy}>{busy ? 'Logging in…' : 'Log in'}</button>
        </form>
      )}
      {browserChoices.length > 0 && (
        <section class="card" aria-labelledby="sso-heading">
          <h2 id="sso-heading">Or log in with</h2>
          <ul class="sso">
            {browserChoices.map((c) => (
              <li key={c.id}>
                <a class="button" href={c.href}>{c.label}</a>
              </li>
            ))}
          </ul>
        </section>
      )}
      {error && <p role="alert" class="error">{error}</p>}
    </main>
  )
}
