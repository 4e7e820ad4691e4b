import { createServer, type Server } from 'node:net'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { execCommand } from './support/dev-cluster.ts'

const DROVER = join(import.meta.dirname, '..', 'bin', 'drover.js')

describe('drover start refuses what it cannot do, with a message instead of a stack trace', () => {
  it('names a port that is in use, before starting anything', async () => {
    const server: Server = createServer()
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
    const port = (server.address() as { port: number }).port
    try {
      const r = await execCommand(process.execPath, [DROVER, 'start', '--port', String(port)])
      expect(r.code).toBe(1)
      expect(r.stderr).toContain(`drover: port ${port} is in use: stop what holds it, or pass --port <another port>`)
      expect(r.stderr).not.toMatch(/\n\s+at /)
    } finally {
      server.close()
    }
  })

  it('refuses bad options with usage (exit 2)', async () => {
    const bad = await execCommand(process.execPath, [DROVER, 'start', '--port', 'eighty'])
    expect(bad.code).toBe(2)
    expect(bad.stderr).toMatch(/--port must be a port number/)
    const short = await execCommand(process.execPath, [DROVER, 'start', '--admin-password', 'short'])
    expect(short.code).toBe(2)
    expect(short.stderr).toMatch(/at least 12 characters/)
  })
})
