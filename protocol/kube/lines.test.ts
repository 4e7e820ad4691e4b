import { describe, expect, it } from 'vitest'
import { LineTooLongError, readLines } from './lines.ts'

function body(chunks: (string | Uint8Array)[]): ReadableStream<Uint8Array> {
  const enc = new TextEncoder()
  return new ReadableStream({
    start(ctrl) {
      for (const c of chunks) ctrl.enqueue(typeof c === 'string' ? enc.encode(c) : c)
      ctrl.close()
    },
  })
}

async function all(stream: ReadableStream<Uint8Array>, max = 1024): Promise<string[]> {
  const out: string[] = []
  for await (const line of readLines(stream, max)) out.push(line)
  return out
}

describe('readLines', () => {
  it('yields each line once, across chunk boundaries and several per chunk, skipping blank ones', async () => {
    expect(await all(body(['{"a":1}\n{"b"', ':2}\n\n{"c":3}\n{"d":', '4}']))).toEqual(['{"a":1}', '{"b":2}', '{"c":3}', '{"d":4}'])
  })

  it('decodes a UTF-8 character split between chunks', async () => {
    const bytes = new TextEncoder().encode('"é"\n')
    expect(await all(body([bytes.slice(0, 2), bytes.slice(2)]))).toEqual(['"é"'])
  })

  it('refuses a line longer than the cap instead of buffering it', async () => {
    await expect(all(body(['x'.repeat(600), 'y'.repeat(600)]), 1000)).rejects.toBeInstanceOf(LineTooLongError)
  })
})
