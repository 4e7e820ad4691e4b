// Small pieces the access pages share: loading a `/v3` call into state with its error, a delete that asks
// once more, the apiserver's or edge's refusal shown where screen readers hear it, and a principal picker.
import { useCallback, useEffect, useState } from 'preact/hooks'
import { errorText } from '../../api/http.ts'
import { Link } from '../../router.tsx'
import { searchPrincipals, type Principal } from './norman.ts'

export interface Loaded<T> {
  data: T | undefined
  error: string
  reload: () => void
}

/** Runs `load` now and whenever `deps` change or `reload()` is called. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): Loaded<T> {
  const [data, setData] = useState<T | undefined>(undefined)
  const [error, setError] = useState('')
  const [n, setN] = useState(0)
  useEffect(() => {
    let live = true
    setError('')
    load().then(
      (d) => live && setData(d),
      (e) => live && setError(errorText(e)),
    )
    return () => {
      live = false
    }
  }, [...deps, n])
  return { data, error, reload: useCallback(() => setN((x) => x + 1), []) }
}

/** Wraps an action: busy while it runs, its error kept for display, `after` on success. */
export function useAction(after?: () => void) {
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState('')
  const run = async (fn: () => Promise<unknown>): Promise<boolean> => {
    setBusy(true)
    setError('')
    try {
      await fn()
      after?.()
      return true
    } catch (e) {
      setError(errorText(e))
      return false
    } finally {
      setBusy(false)
    }
  }
  return { busy, error, run, setError }
}

export function ErrorText(props: { text: string }) {
  return props.text ? <p role="alert" class="error">{props.text}</p> : null
}

/** A destructive button that asks once more (in place, keyboard-reachable) before it acts. */
export function ConfirmButton(props: { label: string; what: string; onConfirm: () => void; disabled?: boolean }) {
  const [asking, setAsking] = useState(false)
  if (!asking) return <button type="button" disabled={props.disabled} aria-label={`${props.label} ${props.what}`} onClick={() => setAsking(true)}>{props.label}</button>
  return (
    <span class="confirm">
      <button type="button" class="danger" autoFocus onClick={() => { setAsking(false); props.onConfirm() }}>Confirm: {props.label.toLowerCase()} {props.what}</button>
      <button type="button" onClick={() => setAsking(false)}>Cancel</button>
    </span>
  )
}

/**
 * A user or group principal from `/v3/principals?action=search` (every enabled provider), or a local
 * user typed as `local://u-…`. `onPick` gets the principal id.
 */
export function PrincipalPicker(props: { idPrefix: string; onPick: (p: Principal | undefined) => void }) {
  const [term, setTerm] = useState('')
  const [found, setFound] = useState<Principal[]>([])
  const [picked, setPicked] = useState('')
  const [error, setError] = useState('')
  useEffect(() => {
    const t = term.trim()
    if (t.length < 1) {
      setFound([])
      return
    }
    const timer = setTimeout(() => {
      searchPrincipals(t).then(
        (list) => {
          setFound(list)
          setError('')
        },
        (e) => setError(errorText(e)),
      )
    }, 250)
    return () => clearTimeout(timer)
  }, [term])
  const pick = (id: string) => {
    setPicked(id)
    props.onPick(found.find((p) => p.id === id))
  }
  return (
    <div class="picker">
      <label>
        Find a user or group
        <input id={`${props.idPrefix}-search`} type="search" value={term} onInput={(e) => setTerm(e.currentTarget.value)} autoComplete="off" />
      </label>
      <label>
        Member
        <select id={`${props.idPrefix}-principal`} value={picked} onChange={(e) => pick(e.currentTarget.value)}>
          <option value="">{found.length ? 'Choose…' : 'Search first'}</option>
          {found.map((p) => (
            <option key={p.id} value={p.id}>{`${p.name || p.loginName || p.id} (${p.principalType ?? 'user'}, ${p.provider ?? p.id.split(':')[0]})`}</option>
          ))}
        </select>
      </label>
      <ErrorText text={error} />
    </div>
  )
}

/** The Norman binding fields naming a principal: a user principal or a group principal. */
export function subjectFields(p: Principal): Record<string, string> {
  return p.principalType === 'group' ? { groupPrincipalId: p.id } : { userPrincipalId: p.id }
}

export function Tabs(props: { tabs: { href: string; label: string; shown: boolean }[] }) {
  return (
    <nav class="tabs" aria-label="Users and access sections">
      <ul>
        {props.tabs.filter((t) => t.shown).map((t) => (
          <li key={t.href}>
            <Link href={t.href}>{t.label}</Link>
          </li>
        ))}
      </ul>
    </nav>
  )
}
