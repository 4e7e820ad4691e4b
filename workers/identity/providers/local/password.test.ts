import { describe, expect, it } from 'vitest'
import { hashPassword, parsePeppers, passwordProblem, PBKDF2_MAX_ITERATIONS, verifyPassword } from '../../../../protocol/api/password.ts'

const pepper = { id: 'p1', key: crypto.getRandomValues(new Uint8Array(32)) }
const other = { id: 'p0', key: crypto.getRandomValues(new Uint8Array(32)) }

describe('password hashing in workerd, under production limits', () => {
  it('hashes at the PBKDF2 cap and records its parameters', async () => {
    const hash = await hashPassword('a long enough password', pepper)
    expect(hash).toMatch(new RegExp(`^pbkdf2-sha256\\$${PBKDF2_MAX_ITERATIONS}\\$p1\\$[\\w-]{22}\\$[\\w-]{43}$`))
    expect(await verifyPassword('a long enough password', hash, [pepper])).toEqual({ ok: true, rehash: false })
    expect((await verifyPassword('a long enough passwore', hash, [pepper])).ok).toBe(false)
  })

  it('the limits the tests run under refuse what production refuses', async () => {
    const base = await crypto.subtle.importKey('raw', new Uint8Array(16), 'PBKDF2', false, ['deriveBits'])
    await expect(crypto.subtle.deriveBits({ name: 'PBKDF2', hash: 'SHA-256', salt: new Uint8Array(16), iterations: PBKDF2_MAX_ITERATIONS + 1 }, base, 256)).rejects.toThrow(/not supported/)
    // eslint-disable-next-line no-eval -- proving the test runtime refuses it, as production does
    expect(() => eval('1')).toThrow(/not allowed/)
    // eslint-disable-next-line no-new-func -- as above
    expect(() => new Function('return 1')).toThrow(/not allowed/)
    const wasm = WebAssembly as unknown as { compile(bytes: Uint8Array): Promise<unknown> }
    await expect(async () => wasm.compile(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]))).rejects.toThrow(/not allowed/)
  })

  it('needs the pepper: the same password under another pepper does not verify', async () => {
    const hash = await hashPassword('a long enough password', pepper)
    expect((await verifyPassword('a long enough password', hash, [other])).ok).toBe(false)
  })

  it('verifies an older pepper and asks for a re-hash with the current one', async () => {
    const hash = await hashPassword('a long enough password', other)
    expect(await verifyPassword('a long enough password', hash, [pepper, other])).toEqual({ ok: true, rehash: true })
  })

  it('refuses malformed records without throwing', async () => {
    for (const stored of ['', 'plain', 'bcrypt$10$x$y$z', 'pbkdf2-sha256$abc$p1$x$y', 'pbkdf2-sha256$1000000$p1$AAAA$AAAA', 'pbkdf2-sha256$100000$p1$!!!$@@@']) {
      expect(await verifyPassword('x', stored, [pepper])).toEqual({ ok: false, rehash: false })
    }
  })

  it('parses peppers and rejects weak ones', () => {
    expect(parsePeppers(`p1:${btoa('x'.repeat(32))},p0:${btoa('y'.repeat(40))}`).map((p) => p.id)).toEqual(['p1', 'p0'])
    expect(() => parsePeppers(`p1:${btoa('short')}`)).toThrow(/shorter than 32/)
  })

  it('names what is wrong with a new password', () => {
    expect(passwordProblem('short')).toMatch(/at least 12/)
    expect(passwordProblem('adminadminadmin', 'AdminAdminAdmin')).toMatch(/differ/)
    expect(passwordProblem('x'.repeat(2000))).toMatch(/longer than/)
    expect(passwordProblem('a perfectly fine one')).toBeNull()
  })
})
