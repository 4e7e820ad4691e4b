// The log page's pure parts (ui/src/pages/pod/log-stream.ts): the bounded buffer, timestamp parsing, and
// the resume filter that keeps a resumed stream (sinceTime has whole seconds) from repeating lines.
import { describe, expect, it } from 'vitest'
import { LogBuffer, logUrl, parseLine, resumeFilter, timeKey } from '../ui/src/pages/pod/log-stream.ts'

describe('the log buffer', () => {
  it('keeps the newest lines and counts what fell off', () => {
    const b = new LogBuffer(3)
    b.push([1, 2, 3, 4].map((n) => ({ ts: '', text: `l${n}` })))
    b.push([{ ts: '', text: 'l5' }])
    expect(b.lines.map((l) => l.text)).toEqual(['l3', 'l4', 'l5'])
    expect(b.dropped).toBe(2)
    expect(b.text(false)).toBe('l3\nl4\nl5\n')
  })

  it('splits the kubelet timestamp off, and leaves lines without one whole', () => {
    expect(parseLine('2026-12-05T11:00:00.123456789Z hello world')).toEqual({ ts: '2026-12-05T11:00:00.123456789Z', text: 'hello world' })
    expect(parseLine('2026-12-05T11:00:00Z ')).toEqual({ ts: '2026-12-05T11:00:00Z', text: '' })
    expect(parseLine('no stamp here')).toEqual({ ts: '', text: 'no stamp here' })
    const b = new LogBuffer(10)
    b.push([parseLine('2026-12-05T11:00:00.5Z a')])
    expect(b.text(true)).toBe('2026-12-05T11:00:00.5Z a\n')
  })

  it('orders timestamps with trimmed fractions as time does', () => {
    expect(timeKey('2026-12-05T11:00:00.5Z') > timeKey('2026-12-05T11:00:00.123Z')).toBe(true)
    expect(timeKey('2026-12-05T11:00:00Z') < timeKey('2026-12-05T11:00:00.000000001Z')).toBe(true)
  })

  it('drops what a resumed stream repeats, and keeps what is new in the same second', () => {
    const held = [parseLine('2026-12-05T11:00:00.1Z a'), parseLine('2026-12-05T11:00:00.2Z b')]
    const keep = resumeFilter(held)
    const again = ['2026-12-05T11:00:00.1Z a', '2026-12-05T11:00:00.2Z b', '2026-12-05T11:00:00.2Z c', '2026-12-05T11:00:00.7Z d', '2026-12-05T11:00:01Z a']
    expect(again.map(parseLine).filter(keep).map((l) => l.text)).toEqual(['c', 'd', 'a'])
    expect([parseLine('x')].filter(resumeFilter([]))).toHaveLength(1)
  })

  it('asks for timestamps always, and resumes from the second of the last line', () => {
    const u = new URL(logUrl('c-1', 'ns', 'p', { container: 'web', follow: true, sinceTime: '2026-12-05T11:00:00.25Z' }), 'https://x')
    expect(u.pathname).toBe('/k8s/clusters/c-1/api/v1/namespaces/ns/pods/p/log')
    expect(Object.fromEntries(u.searchParams)).toEqual({ container: 'web', timestamps: 'true', follow: 'true', sinceTime: '2026-12-05T11:00:00Z' })
  })
})
