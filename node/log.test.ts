import { describe, expect, it } from 'vitest'
import { createLogger, errorText } from './log.ts'

function capture(): { lines: () => Record<string, unknown>[]; destination: { write(s: string): void } } {
  const out: string[] = []
  return { lines: () => out.map((l) => JSON.parse(l) as Record<string, unknown>), destination: { write: (s) => void out.push(s) } }
}

describe('createLogger', () => {
  it('names the program and redacts credentials wherever the known fields appear', () => {
    const { lines, destination } = capture()
    const log = createLogger('drover-test', { destination })
    log.info({ token: 't1', req: { token: 't2', authorization: 'Bearer a' }, headers: { authorization: 'Bearer b', cookie: 'R_SESS=c', 'x-api-tunnel-token': 'd' }, edgeToken: 'e', kept: 'visible' }, 'hello')
    const [line] = lines()
    expect(line).toMatchObject({ name: 'drover-test', msg: 'hello', kept: 'visible', token: '[redacted]', edgeToken: '[redacted]' })
    expect(line!.req).toEqual({ token: '[redacted]', authorization: '[redacted]' })
    expect(line!.headers).toEqual({ authorization: '[redacted]', cookie: '[redacted]', 'x-api-tunnel-token': '[redacted]' })
    expect(JSON.stringify(line)).not.toMatch(/t1|t2|Bearer|R_SESS|"d"|"e"/)
  })

  it('takes its level from the options, else DROVER_LOG_LEVEL', () => {
    const saved = process.env.DROVER_LOG_LEVEL
    try {
      process.env.DROVER_LOG_LEVEL = 'warn'
      expect(createLogger('x', { destination: capture().destination }).level).toBe('warn')
      expect(createLogger('x', { level: 'debug', destination: capture().destination }).level).toBe('debug')
    } finally {
      if (saved === undefined) delete process.env.DROVER_LOG_LEVEL
      else process.env.DROVER_LOG_LEVEL = saved
    }
  })
})

describe('errorText', () => {
  it('is the message of an error and the string of anything else', () => {
    expect(errorText(new Error('boom'))).toBe('boom')
    expect(errorText(42)).toBe('42')
  })
})
