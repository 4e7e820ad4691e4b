/**
 * Kubernetes label selectors as `/v1/subscribe`'s `selector` and `labelSelector` carry them:
 * `a=b`, `a==b`, `a!=b`, `a in (x,y)`, `a notin (x,y)`, `a` (exists), `!a` (does not exist), joined by
 * commas (all must hold). Keys and values follow apimachinery's rules (a DNS-subdomain prefix and `/`,
 * then a name of ≤ 63 characters); anything else is refused with the reason, never matched loosely.
 */
import { SteveError } from './error.ts'

export type Requirement =
  | { key: string; op: '=' | '!='; value: string }
  | { key: string; op: 'in' | 'notin'; values: readonly string[] }
  | { key: string; op: 'exists' | '!' }

export type LabelSelector = readonly Requirement[]

const NAME = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)$/
const PREFIX = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/
const MAX_SELECTOR = 4096

function checkKey(key: string): string {
  const slash = key.indexOf('/')
  const [prefix, name] = slash < 0 ? [undefined, key] : [key.slice(0, slash), key.slice(slash + 1)]
  if (prefix !== undefined && (prefix.length > 253 || !PREFIX.test(prefix))) throw invalid(`label key "${key}" has an invalid prefix`)
  if (!NAME.test(name)) throw invalid(`label key "${key}" is not a valid label name`)
  return key
}

function checkValue(value: string): string {
  if (value !== '' && !NAME.test(value)) throw invalid(`label value "${value}" is not valid`)
  return value
}

function invalid(message: string): SteveError {
  return SteveError.of('BadRequest', `invalid label selector: ${message}`, 'selector')
}

/** Splits at commas outside parentheses. */
function terms(text: string): string[] {
  const out: string[] = []
  let depth = 0
  let start = 0
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]
    if (ch === '(') depth++
    else if (ch === ')') depth--
    else if (ch === ',' && depth === 0) {
      out.push(text.slice(start, i))
      start = i + 1
    }
    if (depth < 0 || depth > 1) throw invalid('unbalanced parentheses')
  }
  if (depth !== 0) throw invalid('unbalanced parentheses')
  out.push(text.slice(start))
  return out.map((t) => t.trim())
}

const SET = /^(\S+)\s+(in|notin)\s*\(([^()]*)\)$/
const EQUALITY = /^([^=!\s]+)\s*(==|=|!=)\s*(\S*)$/

export function parseLabelSelector(text: string): LabelSelector {
  if (text.length > MAX_SELECTOR) throw invalid(`longer than ${MAX_SELECTOR} characters`)
  if (text.trim() === '') return []
  return terms(text).map((term): Requirement => {
    if (term === '') throw invalid('an empty requirement')
    const set = SET.exec(term)
    if (set) {
      const values = set[3]!.split(',').map((v) => checkValue(v.trim()))
      return { key: checkKey(set[1]!), op: set[2] as 'in' | 'notin', values }
    }
    const eq = EQUALITY.exec(term)
    if (eq) return { key: checkKey(eq[1]!), op: eq[2] === '!=' ? '!=' : '=', value: checkValue(eq[3]!) }
    if (term.startsWith('!')) return { key: checkKey(term.slice(1).trim()), op: '!' }
    return { key: checkKey(term), op: 'exists' }
  })
}

/** Whether `labels` satisfy every requirement (apimachinery's semantics: `!=` and `notin` hold when the key is absent). */
export function selectorMatches(selector: LabelSelector, labels: Readonly<Record<string, string>> | undefined): boolean {
  const l = labels ?? {}
  return selector.every((r) => {
    const has = Object.hasOwn(l, r.key)
    const v = l[r.key]
    switch (r.op) {
      case '=':
        return has && v === r.value
      case '!=':
        return !has || v !== r.value
      case 'in':
        return has && r.values.includes(v!)
      case 'notin':
        return !has || !r.values.includes(v!)
      case 'exists':
        return has
      case '!':
        return !has
    }
  })
}
