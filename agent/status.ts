import type { ResponseHead } from '../protocol/tunnel/index.ts'

/** A request the agent will not send upstream; answered with a Kubernetes Status of `status`. */
export class RefusedError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
  ) {
    super(message)
  }
}

export interface UpstreamResponse {
  head: ResponseHead
  body: ReadableStream<Uint8Array> | Uint8Array | null
}

/** A `kind: Status` failure body, the shape kubectl and client-go print for non-2xx answers. */
export function statusResponse(status: number, reason: string, message: string): UpstreamResponse {
  const bytes = new TextEncoder().encode(
    JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code: status }),
  )
  return {
    head: {
      status,
      headers: [
        ['content-type', 'application/json'],
        ['content-length', String(bytes.byteLength)],
      ],
    },
    body: bytesStream(bytes),
  }
}

function bytesStream(bytes: Uint8Array): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(bytes)
      controller.close()
    },
  })
}
