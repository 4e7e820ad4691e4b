import { spawn, type ChildProcess } from 'node:child_process'
import { createWriteStream } from 'node:fs'
import { join } from 'node:path'
import { PROGRAMS_DIR, PROGRAMS_ENTRY } from '../infra/build/programs.ts'

export interface Child {
  name: string
  process: ChildProcess
  stop(): Promise<void>
}

/**
 * A bundled `drover <command>` child (dist/drover.mjs: `ensurePrograms` first) whose output goes to a log
 * file; stopped with SIGTERM, then SIGKILL.
 */
export function spawnDrover(name: string, args: string[], env: NodeJS.ProcessEnv, logFile: string, onExit: (code: number | null) => void): Child {
  const log = createWriteStream(logFile, { flags: 'a' })
  const child = spawn(process.execPath, [join(PROGRAMS_DIR, PROGRAMS_ENTRY), ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  child.stdout!.pipe(log)
  child.stderr!.pipe(log)
  let stopping = false
  child.once('exit', (code) => {
    if (!stopping) onExit(code)
  })
  return {
    name,
    process: child,
    async stop() {
      stopping = true
      if (child.exitCode !== null || child.signalCode !== null) return
      const exited = new Promise((r) => child.once('exit', r))
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
      await exited
      clearTimeout(timer)
    },
  }
}
