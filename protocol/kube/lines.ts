// Newline-delimited JSON off a response body (a watch), with a cap on one line so a server that never
// sends a newline cannot grow memory without bound.

export class LineTooLongError extends Error {
  override name = 'LineTooLongError'
}

/** Each complete line of `body`, decoded as UTF-8; a line longer than `maxBytes` throws. */
export async function* readLines(body: ReadableStream<Uint8Array>, maxBytes: number): AsyncGenerator<string> {
  const reader = body.getReader()
  const decoder = new TextDecoder()
  let pending = ''
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      pending += decoder.decode(value, { stream: true })
      // One pass over the chunk and one slice of what is left: slicing the rest after every line would
      // copy a chunk of many small events once per event.
      let start = 0
      let nl: number
      while ((nl = pending.indexOf('\n', start)) >= 0) {
        const line = pending.slice(start, nl)
        start = nl + 1
        if (line.trim()) yield line
      }
      if (start > 0) pending = pending.slice(start)
      // Characters, not bytes: a UTF-8 character is at most 4 bytes, so this bounds bytes to 4× the cap.
      if (pending.length > maxBytes) throw new LineTooLongError(`a watch event is larger than ${maxBytes} bytes`)
    }
    pending += decoder.decode()
    if (pending.trim()) yield pending
  } finally {
    await reader.cancel().catch(() => undefined)
    reader.releaseLock()
  }
}
