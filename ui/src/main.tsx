// The web UI's entry: who is signed in decides between the login page, the forced password change and
// the shell with its pages. No token or session data is ever written to browser storage.
import { render } from 'preact'
import { useEffect } from 'preact/hooks'
import { loadSchemas, schemas } from './api/capabilities.ts'
import { loadMe, logout, me } from './api/session.ts'
import { Shell } from './components/Shell.tsx'
import { ChangePassword } from './pages/ChangePassword.tsx'
import { Clusters } from './pages/Clusters.tsx'
import { ClusterStatus } from './pages/ClusterStatus.tsx'
import { ImportCluster } from './pages/ImportCluster.tsx'
import { Login } from './pages/Login.tsx'
import { accessRoutes } from './pages/access/routes.tsx'
import { explorerRoutes } from './pages/explorer/routes.tsx'
import { KubeconfigAction } from './pages/pod/Kubeconfig.tsx'
import { podRoutes } from './pages/pod/routes.tsx'
import { Link, navigate, path } from './router.tsx'
import { matchRoute } from './routes.ts'

/** Each area's own routes (pages/<area>/routes.tsx) before the shell's fallbacks. */
const AREA_ROUTES = [...explorerRoutes, ...podRoutes, ...accessRoutes]

function Page() {
  const p = path.value
  const area = matchRoute(AREA_ROUTES, p)
  if (area) return area
  if (p === '/' || p === '/clusters') return <Clusters />
  if (p === '/clusters/import') return <ImportCluster />
  if (p === '/account/password') return <ChangePassword onDone={() => navigate('/clusters')} />
  const cluster = /^\/clusters\/([^/]+)$/.exec(p)
  if (cluster) {
    const id = decodeURIComponent(cluster[1]!)
    return (
      <section aria-labelledby="cluster-heading">
        <h1 id="cluster-heading">Cluster {id}</h1>
        <ClusterStatus id={id} showRegistration />
        <KubeconfigAction clusterId={id} />
        <p>
          <Link href={`/c/${encodeURIComponent(id)}/explorer`} class="button primary">Explore this cluster</Link>
        </p>
      </section>
    )
  }
  return (
    <section aria-labelledby="nf-heading">
      <h1 id="nf-heading">Not found</h1>
      <p>There is no page at {p}.</p>
    </section>
  )
}

function App() {
  const user = me.value
  useEffect(() => {
    if (user) void loadSchemas()
    else schemas.value = undefined
  }, [user?.id])
  useEffect(() => {
    document.title = user === null ? 'Log in · drover' : 'drover'
  }, [user])

  if (user === undefined) return <p role="status" class="boot">Loading…</p>
  if (user === null) return <Login onSignedIn={() => navigate(path.value === '/login' ? '/clusters' : path.value, { replace: true })} />
  if (user.mustChangePassword) {
    return (
      <main id="main" class="login" tabIndex={-1}>
        <ChangePassword onDone={() => navigate('/clusters', { replace: true })} />
        <button type="button" onClick={() => void logout().then(() => navigate('/login', { replace: true }))}>Log out instead</button>
      </main>
    )
  }
  if (path.value === '/login') navigate('/clusters', { replace: true })
  return (
    <Shell>
      {schemas.value === undefined ? <p role="status">Loading…</p> : <Page />}
    </Shell>
  )
}

loadMe().catch(() => {
  me.value = null
})
render(<App />, document.getElementById('app')!)
