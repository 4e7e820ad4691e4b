import { usage, UsageError } from './usage.ts'

/** A command: its arguments after the command's name in, the process exit code out. */
export type Command = (argv: string[]) => Promise<number>

type ErrorClass = abstract new (...args: never[]) => Error

/**
 * Runs `drover <command> …` from `commands` and returns the exit code; the one place that maps outcomes
 * to exit codes, for the source `drover` (cli/main.ts) and the bundled one (cli/programs.ts) alike.
 * `--help`/`-h` (before any `--`) prints the usage; no command prints it and fails (2). A usage error
 * prints its message and the usage (2); an error of one of `userErrors` — a failure the user can act on —
 * its message only (1); anything else is an unexpected error (1; with its stack under DROVER_DEBUG).
 */
export async function runCommand(argv: string[], commands: Record<string, Command>, userErrors: ErrorClass[] = []): Promise<number> {
  const names = Object.keys(commands)
  const [name, ...rest] = argv
  const known = name !== undefined && Object.hasOwn(commands, name)
  try {
    if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
      process.stdout.write(usage(names))
      return name === undefined ? 2 : 0
    }
    if (!known) throw new UsageError(`unknown command "${name}"`)
    const end = rest.indexOf('--')
    if ((end < 0 ? rest : rest.slice(0, end)).some((a) => a === '--help' || a === '-h')) {
      process.stdout.write(usage([name]))
      return 0
    }
    return await commands[name]!(rest)
  } catch (e) {
    const shown = known ? [name] : names
    if (e instanceof UsageError || (e instanceof Error && 'code' in e && e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION')) {
      process.stderr.write(`drover: ${e.message}\n\n${usage(shown)}`)
      return 2
    }
    if (userErrors.some((c) => e instanceof c)) {
      process.stderr.write(`drover: ${(e as Error).message}\n`)
      return 1
    }
    process.stderr.write(`drover: unexpected error: ${e instanceof Error ? (process.env.DROVER_DEBUG ? e.stack : e.message) : String(e)}\n`)
    return 1
  }
}
