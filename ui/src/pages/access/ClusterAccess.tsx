// A cluster's members and projects: cluster members (`/v3/clusterroletemplatebindings`: a user or group
// principal with a cluster role template), its projects (create, delete) and each project's members
// (`/v3/projectroletemplatebindings`). A project member sees the projects they belong to (the runner
// grants them `get` on each), and nothing they may not use is offered or fetched.
import { useState } from 'preact/hooks'
import { get } from '../../api/http.ts'
import { Link } from '../../router.tsx'
import { allowed, create, list, mgmtType, remove, type Principal, type Resource } from './norman.ts'
import { ConfirmButton, ErrorText, PrincipalPicker, subjectFields, useAction, useLoad } from './parts.tsx'
import { subjectOf } from './GlobalRoles.tsx'

interface RoleTemplate extends Resource {
  displayName?: string
  context?: string
  hidden?: boolean
  locked?: boolean
}
interface Binding extends Resource {
  roleTemplateId?: string
}
interface Project extends Resource {
  description?: string
  clusterId?: string
}

const CRTB = mgmtType('clusterroletemplatebindings')
const PRTB = mgmtType('projectroletemplatebindings')
const PROJECT = mgmtType('projects')

function useTemplates(context: 'cluster' | 'project') {
  return useLoad(async () => (await list<RoleTemplate>('roletemplates', { limit: 1000 })).data.filter((t) => (t.context ?? 'cluster') === context && !t.hidden && !t.locked), [context])
}

/** Members of a cluster or project: the bindings, a form to add one, removal. */
function Members(props: { collection: 'clusterroletemplatebindings' | 'projectroletemplatebindings'; scope: Record<string, string>; context: 'cluster' | 'project'; label: string; idPrefix: string }) {
  const type = props.context === 'cluster' ? CRTB : PRTB
  const bindings = useLoad(() => list<Binding>(props.collection, { ...props.scope, limit: 1000 }), [JSON.stringify(props.scope)])
  const templates = useTemplates(props.context)
  const [principal, setPrincipal] = useState<Principal | undefined>(undefined)
  const [role, setRole] = useState('')
  const act = useAction(bindings.reload)
  const roleName = (id?: string) => templates.data?.find((t) => t.id === id)?.displayName ?? id ?? '—'
  const add = (e: Event) => {
    e.preventDefault()
    if (!principal || !role) return act.setError('Choose a member and a role')
    void act.run(() => create(props.collection, { ...props.scope, roleTemplateId: role, ...subjectFields(principal) }))
  }
  const headingId = `${props.idPrefix}-members`
  return (
    <section aria-labelledby={headingId}>
      <h3 id={headingId}>{props.label}</h3>
      <ErrorText text={bindings.error || act.error} />
      {bindings.data && (
        <table class="plain" aria-labelledby={headingId}>
          <thead><tr><th scope="col">Member</th><th scope="col">Role</th><th scope="col">Actions</th></tr></thead>
          <tbody>
            {bindings.data.data.map((b) => (
              <tr key={b.id}>
                <td><code>{subjectOf(b)}</code></td>
                <td>{roleName(b.roleTemplateId)}</td>
                <td>{allowed(type, 'DELETE') && <ConfirmButton label="Remove" what={`member ${subjectOf(b)}`} onConfirm={() => void act.run(() => remove(props.collection, b.id))} />}</td>
              </tr>
            ))}
            {bindings.data.data.length === 0 && <tr><td colSpan={3} class="empty">No members yet.</td></tr>}
          </tbody>
        </table>
      )}
      {allowed(type, 'POST') && (
        <form class="card inline-form" onSubmit={add} aria-label={`Add a member to ${props.label.toLowerCase()}`}>
          <PrincipalPicker idPrefix={props.idPrefix} onPick={setPrincipal} />
          <label>Role
            <select id={`${props.idPrefix}-role`} value={role} onChange={(e) => setRole(e.currentTarget.value)}>
              <option value="">Choose…</option>
              {(templates.data ?? []).map((t) => <option key={t.id} value={t.id}>{t.displayName ?? t.id}</option>)}
            </select>
          </label>
          <div><button class="primary" type="submit" disabled={act.busy}>Add member</button></div>
          <ErrorText text={templates.error} />
        </form>
      )}
    </section>
  )
}

interface Namespace {
  id: string
  metadata?: { name?: string; annotations?: Record<string, string> }
}

/** The project's namespaces downstream: those annotated `field.cattle.io/projectId: <C>:<P>` that the caller can see. */
function ProjectNamespaces(props: { clusterId: string; projectId: string }) {
  const namespaces = useLoad(async () => {
    const res = await get<{ data?: Namespace[] }>(`/k8s/clusters/${encodeURIComponent(props.clusterId)}/v1/namespaces?exclude=metadata.managedFields&pagesize=1000`)
    return (res.data ?? []).filter((n) => n.metadata?.annotations?.['field.cattle.io/projectId'] === props.projectId)
  }, [props.clusterId, props.projectId])
  return (
    <div class="namespaces">
      <h4>Namespaces</h4>
      <ErrorText text={namespaces.error} />
      {namespaces.data && (namespaces.data.length ? (
        <ul class="inline-list">{namespaces.data.map((n) => <li key={n.id}><code>{n.metadata?.name ?? n.id}</code></li>)}</ul>
      ) : <p class="hint">No namespaces in this project yet.</p>)}
    </div>
  )
}

function Projects(props: { clusterId: string }) {
  const projects = useLoad(() => list<Project>('projects', { clusterId: props.clusterId, limit: 1000 }), [props.clusterId])
  const [name, setName] = useState('')
  const [open, setOpen] = useState<string | undefined>(undefined)
  const act = useAction(() => {
    setName('')
    projects.reload()
  })
  return (
    <section aria-labelledby="projects-heading">
      <h2 id="projects-heading">Projects</h2>
      <ErrorText text={projects.error || act.error} />
      <ul class="project-list">
        {(projects.data?.data ?? []).map((p) => (
          <li key={p.id} class="card">
            <div class="project-head">
              <strong>{p.name ?? p.id}</strong> <code>{p.id}</code>
              <button type="button" aria-expanded={open === p.id} onClick={() => setOpen(open === p.id ? undefined : p.id)}>{open === p.id ? 'Hide members' : `Members of ${p.name ?? p.id}`}</button>
              {allowed(PROJECT, 'DELETE') && <ConfirmButton label="Delete" what={`project ${p.name ?? p.id}`} onConfirm={() => void act.run(() => remove('projects', p.id))} />}
            </div>
            <ProjectNamespaces clusterId={props.clusterId} projectId={p.id} />
            {open === p.id && allowed(PRTB, 'GET') && <Members collection="projectroletemplatebindings" scope={{ projectId: p.id }} context="project" label={`Members of project ${p.name ?? p.id}`} idPrefix={`prtb-${p.id.replace(/[^a-z0-9-]/g, '-')}`} />}
          </li>
        ))}
        {projects.data?.data.length === 0 && <li class="empty">No projects you can see.</li>}
      </ul>
      {allowed(PROJECT, 'POST') && (
        <form class="card inline-form" onSubmit={(e) => { e.preventDefault(); void act.run(() => create('projects', { name, clusterId: props.clusterId })) }} aria-labelledby="new-project-heading">
          <h3 id="new-project-heading">New project</h3>
          <label>Project name<input id="new-project-name" required value={name} onInput={(e) => setName(e.currentTarget.value)} autoComplete="off" /></label>
          <div><button class="primary" type="submit" disabled={act.busy}>Create project</button></div>
        </form>
      )}
    </section>
  )
}

/** `/access/clusters/<id>`: one cluster's members and projects. */
export function ClusterAccess(props: { clusterId: string }) {
  return (
    <section aria-labelledby="ca-heading">
      <h1 id="ca-heading">Members and projects of {props.clusterId}</h1>
      <p><Link href="/access/clusters">All clusters</Link></p>
      {allowed(CRTB, 'GET') && <Members collection="clusterroletemplatebindings" scope={{ clusterId: props.clusterId }} context="cluster" label="Cluster members" idPrefix="crtb" />}
      <Projects clusterId={props.clusterId} />
    </section>
  )
}

/** `/access/clusters`: the clusters the caller can see, each linking to its members and projects. */
export function ClusterAccessIndex() {
  const clusters = useLoad(() => list<Resource>('clusters', { limit: 1000 }), [])
  return (
    <section aria-labelledby="cai-heading">
      <h1 id="cai-heading">Projects and members</h1>
      <ErrorText text={clusters.error} />
      {clusters.data && clusters.data.data.length === 0 && <p class="empty">You are not a member of any cluster.</p>}
      <ul class="link-list">
        {(clusters.data?.data ?? []).map((c) => (
          <li key={c.id}><Link href={`/access/clusters/${encodeURIComponent(c.id)}`}>{c.name ?? c.id}</Link> <code>{c.id}</code></li>
        ))}
      </ul>
    </section>
  )
}
