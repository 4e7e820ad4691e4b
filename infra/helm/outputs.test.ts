import { readFile, readdir } from 'node:fs/promises'
import { describe, expect, it } from 'vitest'
import { isManifest } from '../crds/outputs.ts'
import { chartCrdFiles, chartCrdsDir, renderChartOutputs } from './outputs.ts'

describe("the Helm chart's generated files", () => {
  it('match a fresh render byte for byte (run `npm run gen:crds` after changing CRDs or infra/management)', async () => {
    for (const { path, text } of renderChartOutputs()) {
      expect(await readFile(path, 'utf8'), path).toBe(text)
    }
  })

  it('include no CRD of a kind that is no longer defined', async () => {
    const onDisk = (await readdir(chartCrdsDir)).filter(isManifest).map((f) => `${chartCrdsDir}${f}`)
    expect(onDisk.sort()).toEqual(chartCrdFiles().sort())
  })
})
