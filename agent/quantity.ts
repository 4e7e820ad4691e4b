/**
 * Kubernetes resource quantities as exact milli-units (bigint), enough to sum node capacities without
 * floating-point drift. Sub-milli values round up, as Quantity.MilliValue() does.
 */

const BINARY: Record<string, bigint> = { Ki: 1n << 10n, Mi: 1n << 20n, Gi: 1n << 30n, Ti: 1n << 40n, Pi: 1n << 50n, Ei: 1n << 60n }
const DECIMAL: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 }

/** Far past any real quantity (Kubernetes' own are int64-bounded), small enough to compute at once. */
const MAX_EXPONENT = 1000
const MAX_DIGITS = 10n ** BigInt(MAX_EXPONENT)

const QUANTITY = /^([+-]?)(\d+(?:\.\d*)?|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][+-]?\d+)?$/

/** Milli-units of `q`, or undefined when it is not a quantity. */
export function parseMilli(q: string): bigint | undefined {
  const m = QUANTITY.exec(q.trim())
  if (!m) return undefined
  const [, sign, num, suffix = ''] = m
  const [whole = '', frac = ''] = num!.split('.')
  let digits = BigInt(`${whole || '0'}${frac}`)
  let exp = -frac.length + 3 // to milli
  const binary = BINARY[suffix]
  if (binary !== undefined) digits *= binary
  else if (suffix in DECIMAL) exp += DECIMAL[suffix]!
  else exp += Number(suffix.slice(1))
  // An exponent like "1e999999999" would make 10n ** exp take unbounded time and memory.
  if (exp > MAX_EXPONENT) return undefined
  let value: bigint
  if (exp >= 0) value = digits * 10n ** BigInt(exp)
  else if (-exp <= MAX_EXPONENT) {
    const div = 10n ** BigInt(-exp)
    value = (digits + div - 1n) / div
  } else if (digits < MAX_DIGITS) value = digits === 0n ? 0n : 1n // under one milli-unit: rounds up to 1
  else return undefined
  return sign === '-' ? -value : value
}

const BINARY_DESC = Object.entries(BINARY).reverse()

/**
 * Canonical-looking text for a milli-unit total: binary suffixes (Ki…Ei) for byte amounts when exact,
 * whole numbers when exact, otherwise `m` (cpu: "3500m").
 */
export function formatMilli(milli: bigint, opts: { bytes?: boolean } = {}): string {
  if (milli % 1000n !== 0n) return `${milli}m`
  const whole = milli / 1000n
  if (opts.bytes && whole !== 0n) {
    for (const [suffix, factor] of BINARY_DESC) if (whole % factor === 0n) return `${whole / factor}${suffix}`
  }
  return String(whole)
}
