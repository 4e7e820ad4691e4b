// Live change streams of the list index against a real kube-apiserver (cluster `local` is the relay of
// test/support/management-relay.ts): changes made through the apiserver arrive on an open stream, a
// resume replays exactly what changed after its revision, and a revision older than the log is "too old".
import { abortAllDurableObjects, env } from 'cloudflare:test'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseListQuery } from '../../protocol/api/steve/index.ts'
import { CONFIG_MAP, KubeClient, NAMESPACE, type KubeObject } from '../../protocol/kube/index.ts'
import { tunnelTransport } from '../tunnel/envelope.ts'
import { ChangeStreams, MAX_QUEUED_BYTES } from './change-streams.ts'

const ADMIN = { user: 'stream-test-admin', groups: ['system:masters'], extra: {} }
const admin = new KubeClient(tunnelTransport(env.MANAGEMENT, 'local', ADMIN))
const index = () => env.CACHE.get(env.CACHE.idFromName('local'))
const NS = 'stream-test'

type Line = { change?: { kind: string; revision: string; id: string; namespace: string | null; object: { data?: Record<string, string> } }; tooOld?: { oldest: string }; stopped?: { reason: string } }

/** Reads lines off a stream until `done(lines)` or the stream ends. */
async function readUntil(stream: ReadableStream<Uint8Array>, done: (lines: Line[]) => boolean): Promise<Line[]> {
  const reader = stream.pipeThrough(new TextDecoderStream()).getReader()
  const lines: Line[] = []
  let text = ''
  try {
    while (!done(lines)) {
      const { value, done: ended } = await reader.read()
      if (ended) break
      text += value
      let nl
      while ((nl = text.indexOf('\n')) >= 0) {
        lines.push(JSON.parse(text.slice(0, nl)) as Line)
        text = text.slice(nl + 1)
      }
    }
  } finally {
    await reader.cancel().catch(() => {})
  }
  return lines
}

const cm = (name: string, v: string): KubeObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: NS }, data: { v } }) as KubeObject
const ids = (lines: Line[]) => lines.filter((l) => l.change).map((l) => `${l.change!.kind} ${l.change!.id} ${l.change!.object.data?.v ?? ''}`)

describe('change streams of the list index, fed by a real apiserver', () => {
  beforeAll(async () => {
    await admin.create(NAMESPACE, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } } as KubeObject)
    await index().warm('local', CONFIG_MAP, 60_000)
  }, 180_000)
  afterAll(() => abortAllDurableObjects())

  it('streams creates, changes and removes made through the apiserver', async () => {
    const stream = await index().changeStream('local', CONFIG_MAP, undefined)
    const reading = readUntil(stream, (lines) => ids(lines).some((l) => l.startsWith(`remove ${NS}/live`)))
    await admin.create(CONFIG_MAP, cm('live', '1'))
    await admin.patch(CONFIG_MAP, 'live', { data: { v: '2' } }, { namespace: NS })
    await admin.delete(CONFIG_MAP, 'live', { namespace: NS })
    expect(ids(await reading).filter((l) => l.includes(`${NS}/live`))).toEqual([`create ${NS}/live 1`, `change ${NS}/live 2`, `remove ${NS}/live 2`])
  }, 60_000)

  it('replays exactly what changed after a revision, then goes on live', async () => {
    const created = await admin.create(CONFIG_MAP, cm('resume', 'a'))
    const since = created.metadata!.resourceVersion!
    await admin.patch(CONFIG_MAP, 'resume', { data: { v: 'b' } }, { namespace: NS })
    await admin.create(CONFIG_MAP, cm('resume-2', 'c'))
    // Until the index has stored the second create, a resume could not replay it.
    for (let i = 0; i < 100; i++) {
      const page = await index().list('local', CONFIG_MAP, parseListQuery(new URLSearchParams()), [NS])
      if (page.kind === 'list' && page.items.some((x) => x.id === `${NS}/resume-2`)) break
      await new Promise((r) => setTimeout(r, 100))
    }
    const stream = await index().changeStream('local', CONFIG_MAP, since)
    const reading = readUntil(stream, (lines) => ids(lines).some((l) => l.startsWith(`remove ${NS}/resume-2`)))
    await admin.delete(CONFIG_MAP, 'resume-2', { namespace: NS })
    expect(ids(await reading).filter((l) => l.includes(`${NS}/resume`))).toEqual([`change ${NS}/resume b`, `create ${NS}/resume-2 c`, `remove ${NS}/resume-2 c`])
  }, 60_000)

  it('answers a revision older than the change log with "too old" and ends', async () => {
    const lines = await readUntil(await index().changeStream('local', CONFIG_MAP, '1'), () => false)
    expect(lines).toHaveLength(1)
    expect(Number(lines[0]!.tooOld?.oldest)).toBeGreaterThan(1)
  }, 60_000)
})

describe('a resume whose replay is larger than a subscriber may hold', () => {
  it('is answered too old instead of being held', async () => {
    const streams = new ChangeStreams()
    const big = JSON.stringify({ data: { v: 'x'.repeat(64 * 1024) } })
    const changes = Array.from({ length: MAX_QUEUED_BYTES / (64 * 1024) + 1 }, (_, i) => ({ kind: 'change' as const, revision: String(i + 2), id: 'ns/big', namespace: 'ns', object: big, cells: null }))
    const lines = await readUntil(streams.open('v1/configmaps', () => ({ kind: 'changes', changes })), () => false)
    expect(lines).toEqual([{ tooOld: { oldest: changes.at(-1)!.revision } }])
    expect(streams.count('v1/configmaps')).toBe(0)
    // One change fewer fits, and is replayed whole.
    const fits = await readUntil(streams.open('v1/configmaps', () => ({ kind: 'changes', changes: changes.slice(0, -2) })), (l) => l.length === changes.length - 2)
    expect(fits.every((l) => l.change)).toBe(true)
  })
})

describe('a subscriber that does not read', () => {
  it('is cut off with "stopped" once it falls MAX_QUEUED_BYTES behind, and the others go on', async () => {
    const streams = new ChangeStreams()
    const slow = streams.open('v1/configmaps')
    const fast = streams.open('v1/configmaps')
    const fastReader = fast.getReader()
    const big = JSON.stringify({ data: { v: 'x'.repeat(64 * 1024) } })
    let read = 0
    for (let i = 0; i < (2 * MAX_QUEUED_BYTES) / (64 * 1024); i++) {
      streams.publish('v1/configmaps', { kind: 'change', revision: String(i + 2), id: 'ns/big', namespace: 'ns', object: big, cells: null })
      const r = await fastReader.read()
      read += r.value?.length ?? 0
    }
    expect(read).toBeGreaterThan(2 * MAX_QUEUED_BYTES - 64 * 1024)
    expect(streams.count('v1/configmaps')).toBe(1)
    const lines = await readUntil(slow, () => false)
    expect(lines.at(-1)?.stopped?.reason).toContain('behind')
    // What it was sent before the cut is bounded by the limit.
    expect(lines.length - 1).toBeLessThanOrEqual(MAX_QUEUED_BYTES / (64 * 1024))
  })
})
