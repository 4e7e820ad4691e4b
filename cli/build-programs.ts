import { buildPrograms } from '../infra/build/programs.ts'
import { stderrLog } from './progress.ts'
import { UsageError } from './usage.ts'

/** `drover build-programs` (npm run build:programs): bundles the agent, the runner and the ext-apiserver into dist/; prints the entry. */
export async function buildProgramsCommand(argv: string[]): Promise<number> {
  if (argv.length) throw new UsageError('build-programs takes no arguments')
  const built = await buildPrograms({ log: stderrLog })
  process.stdout.write(`${built.entry}\n`)
  return 0
}
