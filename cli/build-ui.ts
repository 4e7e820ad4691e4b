import { buildUi, describeSize, INITIAL_JS_BUDGET } from '../infra/build/ui.ts'
import { stderrLog } from './progress.ts'
import { UsageError } from './usage.ts'

/**
 * `drover build-ui` (npm run build:ui): builds ui/ into dist/ui/ and prints the first visit's JavaScript
 * size gzipped. `--check-budget` (npm run bench:ui-bundle) fails when it is over the 300 KB.
 */
export async function buildUiCommand(argv: string[]): Promise<number> {
  const check = argv[0] === '--check-budget'
  if (argv.length > (check ? 1 : 0)) throw new UsageError('build-ui takes no arguments but --check-budget')
  const size = await buildUi({ log: stderrLog })
  for (const f of size.initialJs) process.stdout.write(`${f.file}\t${f.bytes} bytes\t${f.gzip} gzipped\n`)
  process.stdout.write(`${describeSize(size)}\n`)
  if (check && size.initialJsGzip > INITIAL_JS_BUDGET) {
    stderrLog(`the initial JavaScript is over budget: ${size.initialJsGzip} > ${INITIAL_JS_BUDGET} bytes gzipped`)
    return 1
  }
  return 0
}
