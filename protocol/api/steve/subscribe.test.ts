import { describe, expect, it } from 'vitest'
import { SteveError } from './error.ts'
import { parseLabelSelector, selectorMatches } from './label-selector.ts'
import type { Clock } from '../../tunnel/clock.ts'
import { ChangeNotifier, DEFAULT_DEBOUNCE_MS, errorEvent, eventMatches, parseClientMessage, resourceEvent, startEvent, subscriptionKey, tooOldMessage } from './subscribe.ts'

/** Timers that run only when the test moves time. */
function manualClock() {
  let now = 0
  let next = 1
  const timers = new Map<number, { at: number; fn: () => void }>()
  const clock: Clock = {
    now: () => now,
    setTimeout: (fn, ms) => (timers.set(next, { at: now + ms, fn }), next++),
    clearTimeout: (h) => void timers.delete(h as number),
  }
  const advance = (ms: number) => {
    const end = now + ms
    for (;;) {
      const due = [...timers.entries()].filter(([, t]) => t.at <= end).sort((a, b) => a[1].at - b[1].at)[0]
      if (!due) break
      timers.delete(due[0])
      now = due[1].at
      due[1].fn()
    }
    now = end
  }
  return { clock, advance, pending: () => timers.size }
}

describe('subscribe messages', () => {
  it('parses what the dashboard sends', () => {
    expect(parseClientMessage('{"resourceType":"pod","namespace":"default","mode":"resource.changes","debounceMs":4000,"resourceVersion":"123"}')).toEqual({
      stop: false,
      sub: { resourceType: 'pod', namespace: 'default', mode: 'resource.changes', debounceMs: 4000, resourceVersion: '123' },
    })
    expect(parseClientMessage('{"resourceType":"apps.deployment","stop":true,"selector":"app=web"}')).toEqual({
      stop: true,
      sub: { resourceType: 'apps.deployment', selector: 'app=web' },
    })
  })

  it.each([
    ['not json', 'must be a JSON object'],
    ['[1]', 'must be a JSON object'],
    ['{}', '"resourceType" is required'],
    ['{"resourceType":7}', '"resourceType" must be a string'],
    ['{"resourceType":"pod","mode":"everything"}', 'unknown mode'],
    ['{"resourceType":"pod","resourceVersion":"abc"}', '"resourceVersion" must be a revision'],
    ['{"resourceType":"pod","debounceMs":-1}', '"debounceMs" must be a whole number'],
    ['{"resourceType":"pod","selector":"a in (b"}', 'invalid label selector'],
    ['{"resourceType":"pod","stop":"yes"}', '"stop" must be true or false'],
    [`{"resourceType":"${'x'.repeat(9000)}"}`, 'at most'],
  ])('refuses %s with a 400 naming the problem', (text, message) => {
    let err: unknown
    try {
      parseClientMessage(text)
    } catch (e) {
      err = e
    }
    expect(err).toBeInstanceOf(SteveError)
    expect((err as SteveError).status).toBe(400)
    expect((err as SteveError).message).toContain(message)
  })

  it('keys subscriptions by type, namespace, id and selector only', () => {
    expect(subscriptionKey({ resourceType: 'pod', namespace: 'a' })).toBe(subscriptionKey({ resourceType: 'pod', namespace: 'a', mode: 'resource.changes', resourceVersion: '5' }))
    expect(subscriptionKey({ resourceType: 'pod', namespace: 'a' })).not.toBe(subscriptionKey({ resourceType: 'pod', id: 'a' }))
  })

  it('builds Steve-shaped events', () => {
    const sub = { resourceType: 'pod', namespace: 'default', mode: 'resource.changes' as const }
    expect(startEvent(sub)).toEqual({ name: 'resource.start', resourceType: 'pod', namespace: 'default', mode: 'resource.changes' })
    expect(resourceEvent('resource.change', { resourceType: 'pod' }, '42', { id: 'default/p' })).toEqual({
      name: 'resource.change',
      resourceType: 'pod',
      revision: '42',
      data: { id: 'default/p' },
    })
    expect(errorEvent(sub, tooOldMessage('5', '90')).data).toEqual({ error: 'too old resource version: 5 (oldest kept: 90)' })
  })
})

describe('event matching', () => {
  const obj = { id: 'team-a/web-1', namespace: 'team-a', labels: { app: 'web', tier: 'front' } }
  it('never passes an object outside the namespaces the caller may see, whatever the subscription asks', () => {
    expect(eventMatches({ resourceType: 'pod' }, [], obj, new Set(['team-b']))).toBe(false)
    expect(eventMatches({ resourceType: 'pod', namespace: 'team-a' }, [], obj, new Set(['team-b']))).toBe(false)
    expect(eventMatches({ resourceType: 'pod' }, [], { id: 'node-1' }, new Set(['team-a']))).toBe(false)
    expect(eventMatches({ resourceType: 'pod' }, [], obj, new Set(['team-a']))).toBe(true)
    expect(eventMatches({ resourceType: 'pod' }, [], obj, 'all')).toBe(true)
  })
  it('applies namespace, id and selector', () => {
    expect(eventMatches({ resourceType: 'pod', namespace: 'team-b' }, [], obj, 'all')).toBe(false)
    expect(eventMatches({ resourceType: 'pod', id: 'team-a/web-2' }, [], obj, 'all')).toBe(false)
    expect(eventMatches({ resourceType: 'pod' }, parseLabelSelector('app=web,tier in (front,back)'), obj, 'all')).toBe(true)
    expect(eventMatches({ resourceType: 'pod' }, parseLabelSelector('app=db'), obj, 'all')).toBe(false)
  })
})

describe('label selectors', () => {
  const labels = { app: 'web', 'example.com/team': 'a' }
  it.each([
    ['', true],
    ['app=web', true],
    ['app==web', true],
    ['app!=web', false],
    ['app!=db', true],
    ['missing!=x', true],
    ['app in (db, web)', true],
    ['app notin (db,web)', false],
    ['missing notin (x)', true],
    ['example.com/team', true],
    ['!example.com/team', false],
    ['!missing', true],
    ['app=web,!missing,example.com/team=a', true],
    ['app=web,example.com/team=b', false],
  ])('%s → %s', (text, expected) => {
    expect(selectorMatches(parseLabelSelector(text), labels)).toBe(expected)
  })
  it('takes an empty value, as Kubernetes does: `app=` selects the empty label', () => {
    expect(selectorMatches(parseLabelSelector('app='), { app: '' })).toBe(true)
    expect(selectorMatches(parseLabelSelector('app='), { app: 'web' })).toBe(false)
  })
  it.each(['a in (b', '=x', 'Bad_Prefix.com/x=y', `k=${'v'.repeat(64)}`, 'a,,b', 'a in (b,c'])('refuses %s', (text) => {
    expect(() => parseLabelSelector(text)).toThrow(/invalid label selector/)
  })
})

describe('resource.changes debouncing', () => {
  it('tells the first change at once and then one notice per window with the latest revision', () => {
    const { clock, advance } = manualClock()
    const told: string[] = []
    const n = new ChangeNotifier(1000, clock, (rv) => told.push(rv))
    n.changed('1')
    expect(told).toEqual(['1'])
    n.changed('2')
    n.changed('3')
    advance(999)
    expect(told).toEqual(['1'])
    advance(1)
    expect(told).toEqual(['1', '3'])
    n.changed('4')
    advance(1000)
    expect(told).toEqual(['1', '3', '4'])
  })

  it('tells at once again after a quiet window, and leaves no timer running when idle or stopped', () => {
    const { clock, advance, pending } = manualClock()
    const told: string[] = []
    const n = new ChangeNotifier(undefined, clock, (rv) => told.push(rv))
    n.changed('1')
    advance(DEFAULT_DEBOUNCE_MS)
    expect(pending()).toBe(0)
    n.changed('2')
    expect(told).toEqual(['1', '2'])
    n.changed('3')
    n.stop()
    expect(pending()).toBe(0)
    advance(DEFAULT_DEBOUNCE_MS * 2)
    expect(told).toEqual(['1', '2'])
  })
})
