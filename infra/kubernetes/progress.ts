import { spawn } from 'node:child_process'

export type Log = (line: string) => void

export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000)
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`
}

export class CommandError extends Error {
  constructor(message: string, readonly output: string) {
    super(message)
  }
}

export interface RunOptions {
  cwd?: string
  env?: NodeJS.ProcessEnv
  /** Printed before the command starts, then every `heartbeatMs` while it runs. */
  label?: string
  log?: Log
  heartbeatMs?: number
}

/**
 * Runs a command to completion and returns its stdout. Long steps show progress: a line when they start,
 * a heartbeat while they run and their duration at the end. On failure the error carries the tail of the
 * output, which is where Go and kubectl put the reason.
 */
export function run(cmd: string, args: string[], opts: RunOptions = {}): Promise<string> {
  const log = opts.log ?? (() => {})
  const started = Date.now()
  if (opts.label) log(`${opts.label}…`)
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let combined = ''
    const keep = (s: string) => {
      combined = (combined + s).slice(-64 * 1024)
    }
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString()
      keep(d.toString())
    })
    child.stderr.on('data', (d: Buffer) => keep(d.toString()))
    const heartbeat = opts.label
      ? setInterval(() => log(`${opts.label}: still running (${formatDuration(Date.now() - started)})`), opts.heartbeatMs ?? 30_000)
      : undefined
    const finish = (err?: Error) => {
      clearInterval(heartbeat)
      if (err) return reject(err)
      if (opts.label) log(`${opts.label}: done in ${formatDuration(Date.now() - started)}`)
      resolve(stdout)
    }
    child.on('error', (e) => finish(new CommandError(`could not run ${cmd}: ${e.message}`, combined)))
    child.on('close', (code, signal) => {
      if (code === 0) return finish()
      const tail = combined.trim().split('\n').slice(-25).join('\n')
      finish(new CommandError(`${cmd} ${args.slice(0, 3).join(' ')} failed (${signal ?? `exit ${code}`}):\n${tail}`, combined))
    })
  })
}
