import { spawn } from 'node:child_process'
import { closeSync, openSync, readFileSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { setTimeout as sleep } from 'node:timers/promises'

export interface Started {
  pid: number
  log: string
}

/**
 * Starts a long-running component detached from this process (its own process group, output to a log
 * file), so a dev cluster outlives the `drover dev-cluster up` that started it.
 */
export function startDetached(bin: string, args: string[], log: string, env: NodeJS.ProcessEnv): Started {
  const fd = openSync(log, 'a')
  try {
    const child = spawn(bin, args, { detached: true, stdio: ['ignore', fd, fd], env })
    if (child.pid === undefined) throw new Error(`could not start ${bin}`)
    child.unref()
    return { pid: child.pid, log }
  } finally {
    closeSync(fd)
  }
}

/** True when `pid` is alive and is still the program we started (not a recycled pid). */
export function isRunning(pid: number, bin: string): boolean {
  try {
    process.kill(pid, 0)
  } catch {
    return false
  }
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8')
    return cmdline.split('\0')[0] === bin
  } catch {
    return false
  }
}

/** SIGTERM the process group, then SIGKILL whatever is left after `graceMs`. */
export async function stopProcess(pid: number, bin: string, graceMs = 10_000): Promise<void> {
  if (!isRunning(pid, bin)) return
  const signal = (s: NodeJS.Signals) => {
    try {
      process.kill(-pid, s)
    } catch {
      try {
        process.kill(pid, s)
      } catch {
        /* already gone */
      }
    }
  }
  signal('SIGTERM')
  const deadline = Date.now() + graceMs
  while (Date.now() < deadline) {
    if (!isRunning(pid, bin) || isZombie(pid)) return
    await sleep(100)
  }
  signal('SIGKILL')
}

function isZombie(pid: number): boolean {
  try {
    return /^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'))
  } catch {
    return true
  }
}

export class StartupError extends Error {
  constructor(
    message: string,
    readonly portClash: boolean,
  ) {
    super(message)
  }
}

/**
 * Polls `ready` until it answers true. Fails early, with the tail of the component's log, when the
 * component exits; a bind failure is marked so the caller can retry on other ports.
 */
export async function waitReady(
  what: string,
  started: Started,
  bin: string,
  ready: () => Promise<boolean>,
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (await ready().catch(() => false)) return
    if (!isRunning(started.pid, bin) || isZombie(started.pid)) {
      const tail = (await readFile(started.log, 'utf8').catch(() => '')).trim().split('\n').slice(-15).join('\n')
      throw new StartupError(`${what} exited during start-up; its log (${started.log}) ends:\n${tail}`, /address already in use/i.test(tail))
    }
    await sleep(200)
  }
  throw new StartupError(`${what} was not ready after ${timeoutMs / 1000}s; see ${started.log}`, false)
}
