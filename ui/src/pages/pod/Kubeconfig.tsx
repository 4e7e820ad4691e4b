// Kubeconfig files: `POST /v3/clusters/<id>?action=generateKubeconfig` answers `{config}`, a kubeconfig
// for the cluster through this server holding a new token of the caller's (the edge revokes the previous
// one for the same cluster). `KubeconfigAction` offers it as a download or a copy, with a warning that the
// file is a credential; `KubeconfigPage` lists the clusters the caller may see (`/v3/clusters`, filtered
// by membership at the edge) with the action on each.
import { useEffect, useState } from 'preact/hooks'
import { errorText, get, post } from '../../api/http.ts'
import { CopyButton } from '../../components/CopyButton.tsx'
import { Link } from '../../router.tsx'
import { downloadText } from './download.ts'
import './pod.css'

export function KubeconfigAction(props: { clusterId: string; clusterName?: string }) {
  const { clusterId } = props
  const label = props.clusterName || clusterId
  const [config, setConfig] = useState('')
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState('')
  const generate = async () => {
    setBusy(true)
    setError('')
    try {
      const out = await post<{ config?: string }>(`/v3/clusters/${encodeURIComponent(clusterId)}?action=generateKubeconfig`)
      if (!out.config) throw new Error('the server answered without a kubeconfig')
      setConfig(out.config)
    } catch (e) {
      setError(`Could not generate a kubeconfig for ${label}: ${errorText(e)}`)
    } finally {
      setBusy(false)
    }
  }
  return (
    <div class="kubeconfig">
      {!config ? (
        <button type="button" onClick={generate} disabled={busy}>
          {busy ? 'Generating…' : 'Kubeconfig file'}
          <span class="visually-hidden"> for {label}</span>
        </button>
      ) : (
        <div class="kubeconfig-ready" role="group" aria-label={`Kubeconfig for ${label}`}>
          <p class="warning">
            This file holds a token that acts as you on {label}. Keep it private; generating another one revokes this one.
          </p>
          <div class="kubeconfig-actions">
            <button type="button" class="primary" onClick={() => downloadText(`${fileName(label)}.yaml`, config, 'application/yaml')}>
              Download
            </button>
            <CopyButton text={config} label={`Copy the kubeconfig for ${label}`} />
            <button type="button" onClick={() => setConfig('')}>Done</button>
          </div>
        </div>
      )}
      {error && <p role="alert" class="error">{error}</p>}
    </div>
  )
}

function fileName(s: string): string {
  return s.replace(/[^\w.-]+/g, '_') || 'kubeconfig'
}

interface V3Cluster {
  id: string
  name?: string
  state?: string
  actions?: Record<string, string>
}

export function KubeconfigPage() {
  const [clusters, setClusters] = useState<V3Cluster[]>()
  const [error, setError] = useState('')
  useEffect(() => {
    get<{ data?: V3Cluster[] }>('/v3/clusters?limit=1000')
      .then((r) => setClusters((r.data ?? []).slice().sort((a, b) => (a.name ?? a.id).localeCompare(b.name ?? b.id))))
      .catch((e: unknown) => setError(errorText(e)))
  }, [])
  return (
    <section aria-labelledby="kubeconfig-heading" class="pod-page">
      <h1 id="kubeconfig-heading">Kubeconfig files</h1>
      <p class="hint">
        A kubeconfig lets kubectl reach a cluster through this server as you. Each holds a token: keep the file private.
      </p>
      {error && <p role="alert" class="error">{error}</p>}
      {!clusters && !error && <p role="status">Loading…</p>}
      {clusters?.length === 0 && <p>You are not a member of any cluster.</p>}
      {clusters && clusters.length > 0 && (
        <table class="kubeconfig-table">
          <caption class="visually-hidden">Your clusters</caption>
          <thead>
            <tr>
              <th scope="col">Cluster</th>
              <th scope="col">State</th>
              <th scope="col">Kubeconfig</th>
            </tr>
          </thead>
          <tbody>
            {clusters.map((c) => (
              <tr key={c.id} data-cluster={c.id}>
                <td>
                  <Link href={`/clusters/${encodeURIComponent(c.id)}`}>{c.name || c.id}</Link>
                </td>
                <td>{c.state ?? '—'}</td>
                <td>{c.actions?.generateKubeconfig ? <KubeconfigAction clusterId={c.id} clusterName={c.name} /> : 'Not available'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  )
}
