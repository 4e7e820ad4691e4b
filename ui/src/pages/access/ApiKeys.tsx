// API keys (`/v3/tokens`): the caller's own tokens, a new one (description, lifetime, optionally scoped to
// one cluster) whose value is shown once, with a copy button, and deletion. The edge keeps only a hash:
// once this page is left, the value is gone for good.
import { useState } from 'preact/hooks'
import { CopyButton } from '../../components/CopyButton.tsx'
import { create, list, remove, type Resource } from './norman.ts'
import { ConfirmButton, ErrorText, useAction, useLoad } from './parts.tsx'

interface Token extends Resource {
  description?: string
  expiresAt?: string
  expired?: boolean
  current?: boolean
  clusterId?: string | null
  kind?: string
}

const TTLS = [
  { label: 'The longest allowed', ms: 0 },
  { label: '1 hour', ms: 3_600_000 },
  { label: '1 day', ms: 86_400_000 },
  { label: '30 days', ms: 30 * 86_400_000 },
  { label: '90 days', ms: 90 * 86_400_000 },
]

export function ApiKeys() {
  const tokens = useLoad(() => list<Token>('tokens', { limit: 1000 }), [])
  const clusters = useLoad(() => list<Resource>('clusters', { limit: 1000 }), [])
  const [description, setDescription] = useState('')
  const [ttl, setTtl] = useState(0)
  const [cluster, setCluster] = useState('')
  const [issued, setIssued] = useState<{ name: string; token: string } | undefined>(undefined)
  const act = useAction(tokens.reload)
  const submit = (e: Event) => {
    e.preventDefault()
    void act.run(async () => {
      const t = await create<Token & { token: string }>('tokens', { description, ttl, ...(cluster ? { clusterId: cluster } : {}) })
      setIssued({ name: t.id, token: t.token })
      setDescription('')
    })
  }
  const keys = (tokens.data?.data ?? []).filter((t) => !t.current)
  return (
    <section aria-labelledby="keys-heading">
      <h1 id="keys-heading">API keys</h1>
      <p class="hint">Keys act as you on the API (Authorization: Bearer). A key scoped to a cluster reaches only that cluster’s Kubernetes API.</p>
      {issued && (
        <div class="card once" role="region" aria-labelledby="issued-heading">
          <h2 id="issued-heading">New key {issued.name}</h2>
          <p class="warn-text"><strong>Copy it now: you will not see this value again.</strong> drover keeps only a hash of it.</p>
          <pre id="issued-token">{issued.token}</pre>
          <div class="actions">
            <CopyButton text={issued.token} label={`Copy key ${issued.name}`} />
            <button type="button" onClick={() => setIssued(undefined)}>Done, hide it</button>
          </div>
        </div>
      )}
      <form class="card inline-form" onSubmit={submit} aria-labelledby="new-key-heading">
        <h2 id="new-key-heading">New API key</h2>
        <label>Description<input id="key-description" value={description} onInput={(e) => setDescription(e.currentTarget.value)} autoComplete="off" /></label>
        <label>Expires after
          <select id="key-ttl" value={String(ttl)} onChange={(e) => setTtl(Number(e.currentTarget.value))}>
            {TTLS.map((t) => <option key={t.ms} value={String(t.ms)}>{t.label}</option>)}
          </select>
        </label>
        <label>Scope
          <select id="key-cluster" value={cluster} onChange={(e) => setCluster(e.currentTarget.value)}>
            <option value="">No scope (the whole API)</option>
            {(clusters.data?.data ?? []).map((c) => <option key={c.id} value={c.id}>Cluster {c.name ?? c.id}</option>)}
          </select>
        </label>
        <div><button class="primary" type="submit" disabled={act.busy}>Create API key</button></div>
        <ErrorText text={act.error} />
      </form>
      <h2 id="key-list-heading">Your keys</h2>
      <ErrorText text={tokens.error} />
      <table class="plain" aria-labelledby="key-list-heading">
        <thead><tr><th scope="col">Name</th><th scope="col">Description</th><th scope="col">Scope</th><th scope="col">Expires</th><th scope="col">Actions</th></tr></thead>
        <tbody>
          {keys.map((t) => (
            <tr key={t.id}>
              <td><code>{t.id}</code></td>
              <td>{t.description || '—'}</td>
              <td>{t.clusterId ? `Cluster ${t.clusterId}` : 'Whole API'}</td>
              <td>{t.expired ? 'Expired' : t.expiresAt ? new Date(t.expiresAt).toLocaleString() : 'Never'}</td>
              <td><ConfirmButton label="Delete" what={`key ${t.id}`} onConfirm={() => void act.run(() => remove('tokens', t.id))} /></td>
            </tr>
          ))}
          {tokens.data && keys.length === 0 && <tr><td colSpan={5} class="empty">No keys yet.</td></tr>}
        </tbody>
      </table>
    </section>
  )
}
