/** Close codes that may appear in a close frame; 1005 means "none", 1006/1015 and unknown become 1011. */
export function sendableCode(code: number | undefined): number | undefined {
  if (code === undefined || code === 1005) return undefined
  if ((code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999)) return code
  return 1011
}

/** Arguments for a `close` call carrying `code` and `reason`: none when the code may not be sent. */
export function closeArgs(code: number | undefined, reason: string): [code?: number, reason?: string] {
  const sendable = sendableCode(code)
  return sendable === undefined ? [] : [sendable, truncateReason(reason)]
}

/** Close reasons are limited to 123 bytes of UTF-8. */
export function truncateReason(reason: string): string {
  const bytes = Buffer.from(reason, 'utf8')
  return bytes.byteLength <= 123 ? reason : bytes.subarray(0, 123).toString('utf8').replace(/\uFFFD$/, '')
}
