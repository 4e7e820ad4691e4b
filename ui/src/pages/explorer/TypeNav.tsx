// The explorer's list of types: the usual ones in Rancher's groups first, then every other type the
// caller may list (CRDs included). A type appears only when the cluster's schemas say the caller may list
// it, so a user without `list` on Secrets has no Secrets entry and the page never asks for them.
import { useState } from 'preact/hooks'
import { Link } from '../../router.tsx'
import { canList, explorerPath, type TypeSchema } from './cluster-api.ts'

const GROUPS: { label: string; types: [id: string, label: string][] }[] = [
  { label: 'Cluster', types: [['namespace', 'Namespaces'], ['node', 'Nodes'], ['event', 'Events']] },
  {
    label: 'Workloads',
    types: [['apps.deployment', 'Deployments'], ['apps.statefulset', 'StatefulSets'], ['apps.daemonset', 'DaemonSets'], ['batch.job', 'Jobs'], ['batch.cronjob', 'CronJobs'], ['pod', 'Pods']],
  },
  { label: 'Service discovery', types: [['service', 'Services'], ['networking.k8s.io.ingress', 'Ingresses']] },
  { label: 'Configuration', types: [['configmap', 'Config maps'], ['secret', 'Secrets']] },
]
const KNOWN = new Set(GROUPS.flatMap((g) => g.types.map(([id]) => id)))

export function typeLabel(s: TypeSchema): string {
  for (const g of GROUPS) for (const [id, label] of g.types) if (id === s.id) return label
  return s.attributes?.kind ?? s.id
}

export function TypeNav(props: { cluster: string; types: ReadonlyMap<string, TypeSchema>; current: string | undefined }) {
  const [term, setTerm] = useState('')
  const others = [...props.types.values()].filter((s) => !KNOWN.has(s.id) && canList(s)).sort((a, b) => a.id.localeCompare(b.id))
  const shown = term ? others.filter((s) => s.id.includes(term.toLowerCase())) : others
  const link = (id: string, label: string) => (
    <li key={id}>
      <Link href={explorerPath(props.cluster, id)}>{label}</Link>
    </li>
  )
  return (
    <nav class="explorer-types" aria-label="Resource types">
      {GROUPS.map((g) => {
        const present = g.types.filter(([id]) => canList(props.types.get(id)))
        if (present.length === 0) return null
        return (
          <div key={g.label}>
            <h2>{g.label}</h2>
            <ul>{present.map(([id, label]) => link(id, label))}</ul>
          </div>
        )
      })}
      <details open={others.some((s) => s.id === props.current) || undefined}>
        <summary>More types ({others.length})</summary>
        <label>
          Find a type
          <input type="search" value={term} onInput={(e) => setTerm(e.currentTarget.value)} />
        </label>
        <ul>{shown.map((s) => link(s.id, s.id))}</ul>
      </details>
    </nav>
  )
}
