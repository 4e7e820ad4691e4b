// `npm run gen:crds`: renders the CRD manifests and protocol/crds from definitions.ts. Refuses to write a
// schema the API server would reject, and removes manifests of kinds that are no longer defined.
import { readdir, rm, writeFile } from 'node:fs/promises'
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

const outputs = await renderOutputs()
const wanted = new Set(outputs.map(({ path }) => path))
for (const file of (await readdir(crdsDir)).filter(isManifest)) {
  if (!wanted.has(`${crdsDir}${file}`)) await rm(`${crdsDir}${file}`)
}
for (const { path, text } of outputs) await writeFile(path, text)
console.log(`wrote ${outputs.length} files`)
