/**
 * One `filter=` parameter into its ORed requirements. The grammar is Steve's (a Kubernetes label
 * selector grown with `~`, `!~`, `<`, `>` and field paths as keys):
 *
 *   filter      := requirement ("," requirement)*
 *   requirement := "!" KEY                      label does not exist
 *                | KEY                          label exists
 *                | KEY ("=" | "==" | "!=" | "~" | "!~" | "<" | ">" | "lt" | "gt") VALUE
 *                | KEY ("in" | "notin") "(" [VALUE ("," VALUE)*] ")"
 *
 * Whitespace separates tokens; a bare word runs to the next space or one of `=!()<>~,`; a quoted
 * value (`'…'` or `"…"`, backslash escapes) may hold any of those.
 */
import { badQuery } from './error.ts'
import { labelKeyOf, queryFieldPath } from './field-path.ts'
import type { Filter, FilterGroup } from './query.ts'

type Token =
  | { kind: 'word'; text: string }
  | { kind: 'quoted'; text: string }
  | { kind: 'symbol'; text: string }
  | { kind: 'end'; text: '' }

const SYMBOLS = ['!=', '!~', '==', '=', '~', '<', '>', '!', '(', ')', ',']
const SPECIAL = new Set(['=', '!', '(', ')', ',', '<', '>', '~'])
const BINARY = new Map<string, '=' | '!=' | '~' | '!~' | '<' | '>'>([
  ['=', '='],
  ['==', '='],
  ['!=', '!='],
  ['~', '~'],
  ['!~', '!~'],
  ['<', '<'],
  ['>', '>'],
  ['lt', '<'],
  ['gt', '>'],
])
const OPERATORS = '=, ==, !=, ~, !~, <, >, in, notin'

export function parseFilter(text: string): FilterGroup {
  const tokens = lex(text)
  const group: Filter[] = []
  let at = 0
  const next = (): Token => tokens[at++] as Token
  const peek = (): Token => tokens[at] as Token
  const fail = (message: string): never => {
    throw badQuery('filter', `invalid filter '${text}': ${message}`)
  }

  for (;;) {
    let negated = false
    let token = next()
    if (token.kind === 'symbol' && token.text === '!') {
      negated = true
      token = next()
    }
    if (token.kind !== 'word') fail(`expected a field name, found ${describe(token)}`)
    const key = token.text
    const field = queryFieldPath('filter', key)
    const after = peek()
    if (after.kind === 'end' || (after.kind === 'symbol' && after.text === ',')) {
      if (labelKeyOf(field) === undefined) {
        fail(`existence tests are valid only for labels (metadata.labels[key]), not for '${key}'`)
      }
      group.push({ field, op: negated ? 'notexists' : 'exists' })
    } else {
      if (negated) fail(`'!' is only for label existence ('!metadata.labels[key]'), not before '${key} ${after.text}'`)
      group.push(parseComparison(field, next(), next, peek, fail))
    }
    const separator = next()
    if (separator.kind === 'end') return group
    if (!(separator.kind === 'symbol' && separator.text === ',')) {
      fail(`expected ',' or the end after a requirement, found ${describe(separator)}`)
    }
  }
}

function parseComparison(
  field: Filter['field'],
  operator: Token,
  next: () => Token,
  peek: () => Token,
  fail: (message: string) => never,
): Filter {
  const word = operator.kind === 'word' ? operator.text.toLowerCase() : undefined
  if (word === 'in' || word === 'notin') {
    return { field, op: word, values: parseSet(next, peek, fail) }
  }
  const op = operator.kind === 'symbol' || operator.kind === 'word' ? BINARY.get(word ?? operator.text) : undefined
  if (op === undefined) return fail(`unknown operator ${describe(operator)}; expected one of ${OPERATORS}`)
  const value = next()
  if (value.kind !== 'word' && value.kind !== 'quoted') return fail(`expected a value after '${operator.text}', found ${describe(value)}`)
  if (op === '<' || op === '>') {
    if (!/^[-+]?[0-9]{1,15}$/.test(value.text)) return fail(`'${operator.text}' compares with a whole number, got '${value.text}'`)
    return { field, op, value: Number(value.text) }
  }
  return { field, op, value: value.text }
}

/** `( a, b, … )`; empty members are the empty string, as in a label selector. */
function parseSet(next: () => Token, peek: () => Token, fail: (message: string) => never): string[] {
  const open = next()
  if (!(open.kind === 'symbol' && open.text === '(')) fail(`expected '(' after in/notin, found ${describe(open)}`)
  const values = new Set<string>()
  let expectValue = true
  for (;;) {
    const token = next()
    if (token.kind === 'symbol' && token.text === ')') {
      if (expectValue) values.add('')
      return [...values].sort()
    }
    if (token.kind === 'symbol' && token.text === ',') {
      if (expectValue) values.add('')
      expectValue = true
    } else if ((token.kind === 'word' || token.kind === 'quoted') && expectValue) {
      values.add(token.text)
      expectValue = false
    } else {
      fail(`expected a value, ',' or ')' in the set, found ${describe(token)}`)
    }
    if (peek().kind === 'end') fail(`unterminated set: missing ')'`)
  }
}

function lex(text: string): Token[] {
  const tokens: Token[] = []
  let i = 0
  while (i < text.length) {
    const ch = text[i] as string
    if (/\s/.test(ch)) {
      i++
    } else if (SPECIAL.has(ch)) {
      const symbol = SYMBOLS.find((candidate) => text.startsWith(candidate, i)) as string
      tokens.push({ kind: 'symbol', text: symbol })
      i += symbol.length
    } else if (ch === '"' || ch === "'") {
      let value = ''
      let j = i + 1
      for (; j < text.length && text[j] !== ch; j++) {
        if (text[j] === '\\' && j + 1 < text.length) j++
        value += text[j]
      }
      if (j >= text.length) throw badQuery('filter', `invalid filter '${text}': unterminated quoted value starting at ${i}`)
      tokens.push({ kind: 'quoted', text: value })
      i = j + 1
    } else {
      let j = i
      while (j < text.length && !SPECIAL.has(text[j] as string) && !/\s/.test(text[j] as string)) j++
      tokens.push({ kind: 'word', text: text.slice(i, j) })
      i = j
    }
  }
  tokens.push({ kind: 'end', text: '' })
  return tokens
}

function describe(token: Token): string {
  return token.kind === 'end' ? 'the end of the filter' : `'${token.text}'`
}
