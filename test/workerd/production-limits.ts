// Production Workers enforce limits the local workerd does not (DESIGN.md, security rules): PBKDF2 above
// 100,000 iterations is refused, Wasm cannot be compiled from bytes at run time, and code cannot be
// generated from strings. This setup file makes every workerd test run under the same limits, so code
// that would fail on a real deployment fails here first.
const PBKDF2_MAX = 100_000

function checkPbkdf2(algorithm: unknown): void {
  const a = algorithm as { name?: string; iterations?: number }
  if (typeof a === 'object' && a?.name?.toUpperCase() === 'PBKDF2' && (a.iterations ?? 0) > PBKDF2_MAX) {
    throw new DOMException(`PBKDF2 iterations above ${PBKDF2_MAX} are not supported`, 'NotSupportedError')
  }
}

const subtle = crypto.subtle
const deriveBits = subtle.deriveBits.bind(subtle)
const deriveKey = subtle.deriveKey.bind(subtle)
Object.defineProperty(subtle, 'deriveBits', {
  value: async (algorithm: Parameters<typeof deriveBits>[0], key: CryptoKey, length: number) => {
    checkPbkdf2(algorithm)
    return deriveBits(algorithm, key, length)
  },
})
Object.defineProperty(subtle, 'deriveKey', {
  value: async (...args: Parameters<typeof deriveKey>) => {
    checkPbkdf2(args[0])
    return deriveKey(...args)
  },
})

// A plain function, so that `new Function(…)` reaches it too.
const refuse = (what: string) =>
  function refused(): never {
    throw new EvalError(`${what} is not allowed on Cloudflare Workers`)
  }
const wasm = WebAssembly as unknown as Record<string, (...args: unknown[]) => unknown>
// Captured before `WebAssembly.Module` is replaced below, so a compiled module is still recognised.
const CompiledModule = WebAssembly.Module
for (const name of ['compile', 'instantiate', 'validate'] as const) {
  const original = wasm[name]!.bind(WebAssembly)
  Object.defineProperty(WebAssembly, name, {
    value: (source: unknown, ...rest: unknown[]) => {
      // Instantiating an already compiled module (imported at build time) is allowed; bytes are not.
      if (source instanceof CompiledModule) return original(source, ...rest)
      return refuse(`WebAssembly.${name} from bytes`)()
    },
  })
}
Object.defineProperty(WebAssembly, 'Module', { value: refuse('new WebAssembly.Module') })
// eslint-disable-next-line no-eval -- replacing it with a refusal is the point
globalThis.eval = refuse('eval') as typeof eval
globalThis.Function = refuse('new Function') as unknown as FunctionConstructor
