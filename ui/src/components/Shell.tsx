// The signed-in layout: a header with the live-connection state and the user menu, the navigation, and the
// page. Navigation entries appear only when the caller may use them (api/capabilities.ts); the pages still
// to come (explorer, logs and shell, kubeconfig, users, settings) hang off the same nav.
import type { ComponentChildren } from 'preact'
import { useState } from 'preact/hooks'
import { CLUSTER_TYPE, may } from '../api/capabilities.ts'
import { errorText } from '../api/http.ts'
import { liveState } from '../api/live.ts'
import { logout, me } from '../api/session.ts'
import { accessNav } from '../pages/access/routes.tsx'
import { explorerNav } from '../pages/explorer/routes.tsx'
import { podNav } from '../pages/pod/routes.tsx'
import { Link, navigate } from '../router.tsx'
import type { NavEntry } from '../routes.ts'

const NAV: NavEntry[] = [
  { href: '/clusters', label: 'Clusters', shown: () => may(CLUSTER_TYPE, 'GET') },
  { href: '/clusters/import', label: 'Import cluster', shown: () => may(CLUSTER_TYPE, 'POST') },
  ...explorerNav,
  ...podNav,
  ...accessNav,
]

const LIVE_TEXT = { idle: '', connecting: 'Connecting…', live: 'Live', reconnecting: 'Reconnecting…' } as const

function UserMenu() {
  const [open, setOpen] = useState(false)
  const [error, setError] = useState('')
  const user = me.value
  const name = user?.displayName || user?.username || user?.id || ''
  const signOut = async () => {
    try {
      await logout()
      navigate('/login', { replace: true })
    } catch (e) {
      setError(errorText(e))
    }
  }
  return (
    <div class="user-menu" onKeyDown={(e) => e.key === 'Escape' && setOpen(false)}>
      <button type="button" aria-haspopup="true" aria-expanded={open} aria-controls="user-menu-list" onClick={() => setOpen(!open)}>
        {name} <span aria-hidden="true">▾</span>
      </button>
      {open && (
        <ul id="user-menu-list" class="menu">
          <li>
            <Link href="/account/password" onClick={() => setOpen(false)}>Change password</Link>
          </li>
          <li>
            <button type="button" onClick={signOut}>Log out</button>
          </li>
        </ul>
      )}
      {error && <p role="alert" class="error">{error}</p>}
    </div>
  )
}

export function Shell(props: { children: ComponentChildren }) {
  return (
    <div class="shell">
      <a class="skip" href="#main">Skip to content</a>
      <header class="top">
        <Link href="/clusters" class="brand">drover</Link>
        <span class={`live live-${liveState.value}`} role="status" aria-label={liveState.value === 'idle' ? undefined : `Live updates: ${LIVE_TEXT[liveState.value]}`}>
          {LIVE_TEXT[liveState.value]}
        </span>
        <UserMenu />
      </header>
      <nav class="side" aria-label="Main">
        <ul>
          {NAV.filter((n) => n.shown()).map((n) => (
            <li key={n.href}>
              <Link href={n.href}>{n.label}</Link>
            </li>
          ))}
        </ul>
      </nav>
      <main id="main" tabIndex={-1}>{props.children}</main>
    </div>
  )
}
