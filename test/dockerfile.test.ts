import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'

const ROOT = join(import.meta.dirname, '..')
// Docker is not available here, so the image is never built in tests: this holds the shape, and
// test/cli-programs.test.ts runs the bundle the build stage makes (`drover build-programs`) from a
// directory with no node_modules, as the runtime stage does.
const lines = readFileSync(join(ROOT, 'infra', 'docker', 'Dockerfile'), 'utf8')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l && !l.startsWith('#'))
const instructions = lines.map((l) => {
  const [op, ...rest] = l.split(/\s+/)
  return { op: op!.toUpperCase(), args: rest.join(' ') }
})
const lastFrom = instructions.map((i) => i.op).lastIndexOf('FROM')
const runtime = instructions.slice(lastFrom)

describe('the container build', () => {
  it('is multi-stage: the programs bundled in a build stage, a node:24-slim runtime', () => {
    const stages = instructions.filter((i) => i.op === 'FROM')
    expect(stages.length).toBeGreaterThanOrEqual(2)
    expect(stages.at(-1)!.args).toMatch(/^node:24-slim\b/)
    const build = instructions.slice(0, lastFrom)
    expect(build.some((i) => i.op === 'RUN' && /\bnpm ci\b/.test(i.args))).toBe(true)
    expect(build.some((i) => i.op === 'RUN' && /\bbin\/drover\.js build-programs\b/.test(i.args))).toBe(true)
  })

  it('runs the bundle only: dist/ copied from the build stage, no node_modules, no TypeScript loader', () => {
    const copies = runtime.filter((i) => i.op === 'COPY')
    expect(copies.length).toBeGreaterThan(0)
    for (const c of copies) expect(c.args).toMatch(/--from=\S+ .*\/app\/dist \/app\/dist$/)
    expect(runtime.filter((i) => i.op === 'RUN')).toEqual([])
    expect(runtime.find((i) => i.op === 'ENTRYPOINT')?.args).toBe('["node", "/app/dist/drover.mjs"]')
  })

  it('runs as a non-root user, both commands through one entrypoint', () => {
    const users = runtime.filter((i) => i.op === 'USER')
    expect(users.length).toBeGreaterThan(0)
    expect(users.at(-1)!.args).not.toMatch(/^(root|0)(:|$)/)
  })

  it('copies only paths that exist, everything the bundle is built from, and ignores local state', () => {
    const sources = instructions.filter((x) => x.op === 'COPY' && !x.args.includes('--from=')).flatMap((i) => i.args.split(/\s+/).slice(0, -1))
    for (const src of sources) expect(existsSync(join(ROOT, src)), src).toBe(true)
    expect(sources).toEqual(expect.arrayContaining(['package.json', 'package-lock.json', 'bin', 'cli', 'node', 'agent', 'controller-runner', 'protocol', 'infra']))
    const ignore = readFileSync(join(ROOT, '.dockerignore'), 'utf8').split('\n')
    expect(ignore).toEqual(expect.arrayContaining(['node_modules', '.git', '.drover', 'dist']))
  })
})
