// The chart files generated from data (written by `npm run gen:crds`, checked by outputs.test.ts): the
// CRDs (Helm installs crds/ before templates) and the management cluster's RBAC from infra/management, so
// the chart applies the same objects as `drover start` and the tests.
import { fileURLToPath } from 'node:url'
import { stringify } from 'yaml'
import { definitions } from '../crds/definitions.ts'
import { crdName, renderCrdYaml } from '../crds/render.ts'
import { downstreamRbac, isMutating, managementAdmission, managementRbac, MUTATING_POLICY_API } from '../management/index.ts'
import type { Output } from '../crds/outputs.ts'

export const chartDir = fileURLToPath(new URL('./drover/', import.meta.url))
export const chartCrdsDir = `${chartDir}crds/`
export const chartRbacFile = `${chartDir}templates/rbac.yaml`
export const chartAdmissionFile = `${chartDir}templates/admission.yaml`

/** Where the runner's service account lives: whatever namespace the chart is installed into. */
const RELEASE_NAMESPACE = '{{ .Release.Namespace }}'

export function chartCrdFiles(): string[] {
  return definitions.map((d) => `${chartCrdsDir}${crdName(d)}.yaml`)
}

/**
 * The release namespace is Helm's (`helm install -n cattle-system --create-namespace`), so its Namespace
 * object is left out; other namespaces (local users' password Secrets) survive `helm uninstall`.
 */
export function renderRbacTemplate(): string {
  const objects = [...managementRbac({
    runner: { namespace: RELEASE_NAMESPACE, name: 'drover-controller-runner' },
    extApiServer: { kind: 'ServiceAccount', namespace: RELEASE_NAMESPACE, name: 'drover-ext-apiserver' },
  }), ...downstreamRbac()]
    .filter((o) => !(o.kind === 'Namespace' && o.metadata.name === 'cattle-system'))
    .map((o) => (o.kind === 'Namespace' ? { ...o, metadata: { ...o.metadata, annotations: { 'helm.sh/resource-policy': 'keep' } } } : o))
  const header = '# Generated from infra/management/rbac.ts by `npm run gen:crds`; do not edit.\n'
  return header + objects.map((o) => `---\n${stringify(o, { lineWidth: 0 })}`).join('')
}

/**
 * The management cluster's admission policies (infra/management/admission.ts), for the release's runner.
 * The mutating one only where the cluster serves its API (the chart supports Kubernetes from 1.34; without
 * it the runner adds the finalizer itself). `helm template` knows only group/versions offline: pass
 * `--api-versions admissionregistration.k8s.io/v1/MutatingAdmissionPolicy` to include it.
 */
export function renderAdmissionTemplate(): string {
  const objects = managementAdmission({ runner: { namespace: RELEASE_NAMESPACE, name: 'drover-controller-runner' }, extApiServer: { namespace: RELEASE_NAMESPACE, name: 'drover-ext-apiserver' } })
  const header = '# Generated from infra/management/admission.ts by `npm run gen:crds`; do not edit.\n'
  const doc = (o: object) => `---\n${stringify(o, { lineWidth: 0 })}`
  const mutating = objects.filter(isMutating)
  const gated = mutating.length ? `{{- if .Capabilities.APIVersions.Has ${JSON.stringify(MUTATING_POLICY_API)} }}\n${mutating.map(doc).join('')}{{- end }}\n` : ''
  return header + gated + objects.filter((o) => !isMutating(o)).map(doc).join('')
}

export function renderChartOutputs(): Output[] {
  return [
    ...definitions.map((d) => ({ path: `${chartCrdsDir}${crdName(d)}.yaml`, text: renderCrdYaml(d) })),
    { path: chartRbacFile, text: renderRbacTemplate() },
    { path: chartAdmissionFile, text: renderAdmissionTemplate() },
  ]
}
