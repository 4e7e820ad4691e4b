// Questions on the terminal: asked on stderr (stdout belongs to the command's output, for `drover token`
// the ExecCredential kubectl reads), answered on stdin.
import { createInterface } from 'node:readline/promises'
import { StartError } from '../usage.ts'

/** A password or a line from a pipe is short; more is a mistake (a file piped by accident). */
const MAX_INPUT_BYTES = 64 * 1024

/** Whether a person can answer questions: stdin is a terminal. */
export function canPrompt(): boolean {
  return Boolean(process.stdin.isTTY)
}

/** One line, echoed as typed. */
export async function promptLine(question: string): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: Boolean(process.stdin.isTTY) })
  try {
    return (await rl.question(question)).trim()
  } finally {
    rl.close()
  }
}

/** One line typed without echo (raw mode: each key arrives as typed, and nothing is written back). */
export async function promptHidden(question: string): Promise<string> {
  const stdin = process.stdin
  if (!stdin.isTTY) throw new StartError('cannot ask for a password: stdin is not a terminal (use --password-stdin)')
  // Raw before the question: whatever is typed once the question shows must not be echoed.
  stdin.setRawMode(true)
  process.stderr.write(question)
  stdin.resume()
  try {
    return await new Promise<string>((resolve, reject) => {
      let typed = ''
      const onData = (chunk: Buffer) => {
        for (const ch of chunk.toString('utf8')) {
          if (ch === '\r' || ch === '\n' || (ch === '\u0004' && !typed)) return finish(() => resolve(typed))
          if (ch === '\u0003') return finish(() => reject(new StartError('cancelled')))
          if (ch === '\u007f' || ch === '\b') typed = [...typed].slice(0, -1).join('')
          else if (ch >= ' ') typed += ch
          if (typed.length > MAX_INPUT_BYTES) return finish(() => reject(new StartError('the password is too long')))
        }
      }
      const finish = (done: () => void) => {
        stdin.off('data', onData)
        done()
      }
      stdin.on('data', onData)
    })
  } finally {
    stdin.setRawMode(false)
    stdin.pause()
    process.stderr.write('\n')
  }
}

/** All of stdin (`--password-stdin`), without the one line ending a pipe or here-string adds. */
export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of process.stdin as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > MAX_INPUT_BYTES) throw new StartError(`stdin holds more than ${MAX_INPUT_BYTES} bytes; expected just a password`)
    chunks.push(chunk)
  }
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '')
}
