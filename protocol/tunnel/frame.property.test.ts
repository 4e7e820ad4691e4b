import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { decodeFrame, encodeFrame, HEADER_BYTES } from './frame.ts'

const limits = { maxFrameBytes: 4096, maxHeadBytes: 1024 }

describe('decodeFrame on arbitrary bytes', () => {
  it('never throws, and what decodes re-encodes to a frame that decodes the same', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 5000 }), (bytes) => {
        const r = decodeFrame(bytes, limits)
        if (!r.ok) {
          expect(r.error.message).toBeTypeOf('string')
          if (bytes.byteLength > limits.maxFrameBytes) expect(r.error.code).toBe('FRAME_TOO_LARGE')
          return
        }
        const again = decodeFrame(encodeFrame(r.frame), limits)
        expect(again).toEqual(r)
      }),
      { numRuns: 5000 },
    )
  })

  it('finds frames among plausible headers', () => {
    const header = fc.tuple(fc.integer({ min: 1, max: 15 }), fc.constantFrom(0, 1, 2, 3), fc.uint8Array({ maxLength: 64 }))
    let decoded = 0
    fc.assert(
      fc.property(header, ([type, id, rest]) => {
        const r = decodeFrame(new Uint8Array([type, 0, 0, 0, id, ...rest]), limits)
        if (r.ok) decoded++
        else expect(['PROTOCOL_ERROR', 'HEAD_TOO_LARGE']).toContain(r.error.code)
      }),
      { numRuns: 3000 },
    )
    expect(decoded).toBeGreaterThan(100)
  })

  it('rejects every truncation of a frame with a fixed-size payload', () => {
    const window = new Uint8Array([8, 0, 0, 0, 1, 0, 0, 1, 0])
    for (let n = 0; n < window.length; n++) expect(decodeFrame(window.subarray(0, n), limits).ok).toBe(false)
    expect(decodeFrame(window, limits).ok).toBe(true)
    expect(HEADER_BYTES).toBe(5)
  })
})
