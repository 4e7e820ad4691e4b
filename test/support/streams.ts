import type { ChildProcess } from 'node:child_process'
import { connect } from 'node:net'

/** Resolves with a child's output so far once it matches; rejects if the child exits first or time runs out. */
export function waitForOutput(child: ChildProcess, pattern: RegExp, timeoutMs = 60_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let seen = ''
    const timer = setTimeout(() => reject(new Error(`no ${pattern} within ${timeoutMs / 1000}s; output: ${seen}`)), timeoutMs)
    const onData = (d: Buffer) => {
      seen += d.toString()
      if (pattern.test(seen)) {
        clearTimeout(timer)
        resolve(seen)
      }
    }
    child.stdout?.on('data', onData)
    child.stderr?.on('data', onData)
    child.on('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`exited (${code}) before printing ${pattern}; output: ${seen}`))
    })
  })
}

/** Sends text to a loopback port and resolves with as many bytes as came back (the kwok port-forward echo). */
export function echoOver(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(text))
    let got = ''
    socket.on('data', (d) => {
      got += d.toString()
      if (got.length >= text.length) {
        socket.end()
        resolve(got)
      }
    })
    socket.on('error', reject)
  })
}

/** Polls a condition (for output that arrives asynchronously); not a timing assertion, only a bound. */
export async function until(cond: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await new Promise((r) => setTimeout(r, 50))
  }
}
