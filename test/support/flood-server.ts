import type { RequestListener } from 'node:http'
import { expect } from 'vitest'

const MiB = 1024 * 1024

/**
 * Answers every request with `total` bytes written as fast as the client takes them (waiting for
 * 'drain'). `written()` is what went out so far, negative once the client closed the connection early.
 */
export function floodResponses(total = 256 * MiB, chunk = Buffer.alloc(64 * 1024, 1)): { handler: RequestListener; written(): number } {
  let written = 0
  const handler: RequestListener = (_req, res) => {
    const pump = () => {
      while (written < total) {
        written += chunk.byteLength
        if (!res.write(chunk)) return void res.once('drain', pump)
      }
      res.end()
    }
    res.on('close', () => (written = written >= total ? written : -written))
    pump()
  }
  return { handler, written: () => written }
}

/**
 * `reader` reads a flood: the server must not get far ahead of it (kernel socket buffers hold a few MiB;
 * without backpressure all 256 MiB would flow), reading goes on, and cancelling closes the connection.
 */
export async function expectReadAsConsumed(reader: ReadableStreamDefaultReader<Uint8Array>, written: () => number): Promise<void> {
  await reader.read()
  await new Promise((r) => setTimeout(r, 300))
  expect(Math.abs(written())).toBeLessThan(32 * MiB)
  let read = 0
  for (let i = 0; i < 200; i++) read += (await reader.read()).value?.byteLength ?? 0
  expect(read).toBeGreaterThan(MiB)
  await reader.cancel()
  await expect.poll(written).toBeLessThan(0)
}
