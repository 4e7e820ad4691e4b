// Reading a body stream whole, but never more than a limit: past it the rest is cancelled unread and the
// caller says what that means (a 413 to a client, an unreachable provider, an audit line without the body).

/** The stream's bytes, or undefined once more than `max` arrive (the stream is cancelled then). */
export async function readAtMost(stream: ReadableStream<Uint8Array>, max: number): Promise<Uint8Array | undefined> {
  const reader = stream.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    size += value.byteLength
    if (size > max) {
      await reader.cancel().catch(() => {})
      return undefined
    }
    chunks.push(value)
  }
  const all = new Uint8Array(size)
  let at = 0
  for (const c of chunks) {
    all.set(c, at)
    at += c.byteLength
  }
  return all
}
