import { request } from 'node:https'
import { request as httpRequest } from 'node:http'

/** GET a URL on a server that trusts our CA; resolves with status and body, never rejects on HTTP errors. */
export function httpsGet(url: string, ca: string, timeoutMs = 5_000): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const u = new URL(url)
    const req = (u.protocol === 'https:' ? request : httpRequest)(u, { ca, timeout: timeoutMs }, (res) => {
      let body = ''
      res.on('data', (d: Buffer) => (body += d.toString()))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
      res.on('error', reject)
    })
    req.on('timeout', () => req.destroy(new Error(`timeout after ${timeoutMs}ms`)))
    req.on('error', reject)
    req.end()
  })
}
