// `npm run gen:crds`: renders the CRD manifests and protocol/crds from definitions.ts, and the Helm chart's
// generated files (its crds/ and RBAC template, infra/helm/outputs.ts). Refuses to write a schema the API
// server would reject, and removes manifests of kinds that are no longer defined.
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises'
import { chartCrdsDir, renderChartOutputs } from '../helm/outputs.ts'
import { definitions } from './definitions.ts'
import { crdsDir, isManifest, renderOutputs } from './outputs.ts'
import { renderCrd } from './render.ts'
import { crdProblems } from './structural.ts'

const problems = definitions.flatMap((definition) =>
  crdProblems(renderCrd(definition)).map((problem) => `${definition.kind}: ${problem}`))
if (problems.length > 0) {
  console.error(`not structural, nothing written:\n${problems.join('\n')}`)
  process.exit(1)
}

const outputs = [...(await renderOutputs()), ...renderChartOutputs()]
const wanted = new Set(outputs.map(({ path }) => path))
await mkdir(chartCrdsDir, { recursive: true })
for (const dir of [crdsDir, chartCrdsDir]) {
  for (const file of (await readdir(dir)).filter(isManifest)) {
    if (!wanted.has(`${dir}${file}`)) await rm(`${dir}${file}`)
  }
}
for (const { path, text } of outputs) await writeFile(path, text)
console.log(`wrote ${outputs.length} files`)
