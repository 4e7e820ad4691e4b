// One object: its YAML, read from the Kubernetes API through the edge as the caller (the object itself,
// not Steve's formatting of it), an editor that applies the whole object with PUT (the apiserver's refusal
// — a stale resourceVersion, an invalid field, RBAC — is shown as it says it), and delete behind a
// confirmation. Edit and delete are offered only when the type's schema allows PUT or DELETE. The YAML
// library is loaded on first use, so the initial bundle does not carry it.
import { useEffect, useRef, useState } from 'preact/hooks'
import { errorText, get, request } from '../../api/http.ts'
import { Link, navigate } from '../../router.tsx'
import { PodActions } from '../pod/PodActions.tsx'
import { canDelete, canUpdate, explorerPath, kubePath, type TypeSchema } from './cluster-api.ts'
import { typeLabel } from './TypeNav.tsx'

type Obj = Record<string, unknown> & { metadata?: Record<string, unknown> }

const yaml = () => import('yaml')

/** The object as people read it: managedFields are bookkeeping, hidden (an update without them keeps them). */
function forDisplay(o: Obj): Obj {
  const metadata = { ...o.metadata }
  delete metadata.managedFields
  return { ...o, metadata }
}

export function ResourceDetail(props: { cluster: string; schema: TypeSchema; namespace: string | undefined; name: string }) {
  const { cluster, schema, namespace, name } = props
  const path = kubePath(cluster, schema, namespace, name)
  const listPath = explorerPath(cluster, schema.id)
  const [text, setText] = useState<string | undefined>(undefined)
  const [draft, setDraft] = useState<string | undefined>(undefined)
  const [error, setError] = useState('')
  const [notice, setNotice] = useState('')
  const [confirming, setConfirming] = useState(false)
  const [busy, setBusy] = useState(false)
  const [reloads, setReloads] = useState(0)
  const confirmButton = useRef<HTMLButtonElement>(null)

  // The confirmation takes the focus, so a keyboard user answers it next (Escape cancels).
  useEffect(() => {
    if (confirming) confirmButton.current?.focus()
  }, [confirming])

  useEffect(() => {
    let current = true
    Promise.all([get<Obj>(path), yaml()])
      .then(([o, y]) => current && setText(y.stringify(forDisplay(o))))
      .catch((e) => current && setError(errorText(e)))
    return () => {
      current = false
    }
  }, [path, reloads])

  const save = async () => {
    if (draft === undefined) return
    setError('')
    setNotice('')
    let body: unknown
    try {
      body = (await yaml()).parse(draft)
    } catch (e) {
      setError(`The YAML does not parse: ${errorText(e)}`)
      return
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      setError('The YAML must be one object (a mapping), as the apiserver takes it.')
      return
    }
    setBusy(true)
    try {
      const saved = await request<Obj>('PUT', path, body)
      setText((await yaml()).stringify(forDisplay(saved)))
      setDraft(undefined)
      setNotice('Saved.')
    } catch (e) {
      setError(errorText(e))
    } finally {
      setBusy(false)
    }
  }

  const remove = async () => {
    setBusy(true)
    setError('')
    try {
      await request('DELETE', path, { apiVersion: 'v1', kind: 'DeleteOptions', propagationPolicy: 'Background' })
      navigate(listPath)
    } catch (e) {
      setError(errorText(e))
      setConfirming(false)
    } finally {
      setBusy(false)
    }
  }

  const title = namespace ? `${namespace}/${name}` : name
  return (
    <section aria-labelledby="detail-heading" class="explorer-detail">
      <p class="crumbs">
        <Link href={listPath}>{typeLabel(schema)}</Link>
      </p>
      <div class="page-head">
        <h1 id="detail-heading">
          {schema.attributes?.kind ?? schema.id} {title}
        </h1>
        <div class="actions">
          {schema.id === 'pod' && namespace && <PodActions cluster={cluster} namespace={namespace} name={name} />}
          {canUpdate(schema) && draft === undefined && text !== undefined && (
            <button type="button" onClick={() => { setDraft(text); setNotice(''); setError('') }}>Edit YAML</button>
          )}
          {canDelete(schema) && !confirming && (
            <button type="button" class="danger" onClick={() => setConfirming(true)}>Delete</button>
          )}
        </div>
      </div>
      {confirming && (
        <div role="alertdialog" aria-labelledby="confirm-text" class="confirm" onKeyDown={(e) => e.key === 'Escape' && setConfirming(false)}>
          <p id="confirm-text">
            Delete {schema.attributes?.kind ?? schema.id} <strong>{title}</strong>? This cannot be undone.
          </p>
          <button type="button" class="danger" ref={confirmButton} disabled={busy} onClick={() => void remove()}>Delete {name}</button>
          <button type="button" onClick={() => setConfirming(false)}>Cancel</button>
        </div>
      )}
      {error && <p role="alert" class="error">{error}</p>}
      {notice && <p role="status">{notice}</p>}
      {draft !== undefined ? (
        <div class="yaml-edit">
          <label for="yaml-editor">YAML</label>
          <textarea id="yaml-editor" spellcheck={false} value={draft} rows={Math.min(40, draft.split('\n').length + 2)} onInput={(e) => setDraft(e.currentTarget.value)} />
          <div class="actions">
            <button type="button" class="primary" disabled={busy} onClick={() => void save()}>Save</button>
            <button type="button" onClick={() => { setDraft(undefined); setError('') }}>Cancel</button>
            <button type="button" onClick={() => { setDraft(undefined); setError(''); setText(undefined); setReloads((n) => n + 1) }}>Reload</button>
          </div>
        </div>
      ) : text === undefined ? (
        !error && <p role="status">Loading…</p>
      ) : (
        <pre class="yaml" tabIndex={0} aria-label="YAML">{text}</pre>
      )}
    </section>
  )
}
