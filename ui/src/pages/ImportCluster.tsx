// Import a cluster: name it, create it (`POST /v3/clusters`), then the registration commands and the
// cluster's state, followed live until it is Active.
import { useState } from 'preact/hooks'
import { CLUSTER_TYPE, may } from '../api/capabilities.ts'
import { errorText, post } from '../api/http.ts'
import { ClusterStatus } from './ClusterStatus.tsx'

const NAME = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/

export function ImportCluster() {
  const [name, setName] = useState('')
  const [description, setDescription] = useState('')
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState('')
  const [created, setCreated] = useState<{ id: string; name: string } | undefined>(undefined)

  const submit = async (e: Event) => {
    e.preventDefault()
    if (!NAME.test(name)) return setError('The name must be lower-case letters, digits and dashes (at most 63), starting and ending with a letter or digit.')
    setBusy(true)
    setError('')
    try {
      const cluster = await post<{ id: string }>('/v3/clusters', { name, ...(description ? { description } : {}) })
      setCreated({ id: cluster.id, name })
    } catch (err) {
      setError(errorText(err))
    } finally {
      setBusy(false)
    }
  }

  return (
    <section aria-labelledby="import-heading">
      <h1 id="import-heading">Import a cluster</h1>
      {!created && !may(CLUSTER_TYPE, 'POST') ? (
        <p>You may not create clusters.</p>
      ) : !created ? (
        <form onSubmit={submit} class="card narrow">
          <label>
            Cluster name
            <input required value={name} onInput={(e) => setName(e.currentTarget.value)} aria-describedby="name-rule" autoComplete="off" />
          </label>
          <p id="name-rule" class="hint">Lower-case letters, digits and dashes.</p>
          <label>
            Description (optional)
            <input value={description} onInput={(e) => setDescription(e.currentTarget.value)} autoComplete="off" />
          </label>
          <button type="submit" class="primary" disabled={busy}>{busy ? 'Creating…' : 'Create'}</button>
          {error && <p role="alert" class="error">{error}</p>}
        </form>
      ) : (
        <ClusterStatus id={created.id} showRegistration />
      )}
    </section>
  )
}
