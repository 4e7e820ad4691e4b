import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'

const ROOT = join(import.meta.dirname, '..')
// Docker is not available here, so the image is never built in tests: this only holds the basics.
const lines = readFileSync(join(ROOT, 'infra', 'docker', 'Dockerfile'), 'utf8')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l && !l.startsWith('#'))
const instructions = lines.map((l) => {
  const [op, ...rest] = l.split(/\s+/)
  return { op: op!.toUpperCase(), args: rest.join(' ') }
})

describe('the container build', () => {
  it('is multi-stage, with production dependencies built apart from a node:24-slim runtime', () => {
    const stages = instructions.filter((i) => i.op === 'FROM')
    expect(stages.length).toBeGreaterThanOrEqual(2)
    expect(stages.at(-1)!.args).toMatch(/^node:24-slim\b/)
    expect(instructions.some((i) => i.op === 'RUN' && /npm ci\b.*--omit=dev/.test(i.args))).toBe(true)
    expect(instructions.some((i) => i.op === 'COPY' && i.args.includes('--from='))).toBe(true)
  })

  it('runs as a non-root user, both commands through one entrypoint', () => {
    const lastFrom = instructions.map((i) => i.op).lastIndexOf('FROM')
    const users = instructions.slice(lastFrom).filter((i) => i.op === 'USER')
    expect(users.length).toBeGreaterThan(0)
    expect(users.at(-1)!.args).not.toMatch(/^(root|0)(:|$)/)
    expect(instructions.find((i) => i.op === 'ENTRYPOINT')?.args).toContain('bin/drover.js')
  })

  it('copies only paths that exist, and ignores local state', () => {
    for (const i of instructions.filter((x) => x.op === 'COPY' && !x.args.includes('--from='))) {
      for (const src of i.args.split(/\s+/).slice(0, -1)) expect(existsSync(join(ROOT, src)), src).toBe(true)
    }
    const ignore = readFileSync(join(ROOT, '.dockerignore'), 'utf8').split('\n')
    expect(ignore).toEqual(expect.arrayContaining(['node_modules', '.git', '.drover']))
  })
})
