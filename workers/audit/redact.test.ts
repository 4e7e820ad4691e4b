// One test per thing the audit log must never hold: each fails if its redaction is removed.
import { describe, expect, it } from 'vitest'
import { REDACTED, redactBody, redactHeaders, redactUri } from './redact.ts'

const SECRET = 's3cr3t-value-do-not-log'
const has = (v: unknown) => JSON.stringify(v).includes(SECRET)

describe('audit redaction', () => {
  it.each(['Authorization', 'Cookie', 'X-API-Tunnel-Token', 'Proxy-Authorization', 'Set-Cookie'])('redacts the %s header', (name) => {
    const out = redactHeaders(new Headers({ [name]: `Bearer ${SECRET}`, accept: 'application/json' }))
    expect(out[name.toLowerCase()]).toBe(REDACTED)
    expect(out.accept).toBe('application/json')
  })

  it('redacts the headers the policy names', () => {
    const out = redactHeaders(new Headers({ 'x-vendor-key': SECRET, 'x-other': 'kept' }), [/^x-vendor-key$/i])
    expect(out).toEqual({ 'x-vendor-key': REDACTED, 'x-other': 'kept' })
  })

  it('redacts the registration token of an import URL, keeping the cluster', () => {
    expect(redactUri(`/v3/import/${SECRET}_c-abc12.yaml`)).toBe(`/v3/import/${REDACTED}_c-abc12.yaml`)
  })

  it('redacts credentials in the query (OIDC codes, tokens)', () => {
    const out = redactUri(`/v3-public/genericOIDCProviders/genericoidc/callback?code=${SECRET}&state=ok&token=${SECRET}`)
    expect(out).not.toContain(SECRET)
    expect(out).toContain('state=ok')
  })

  it("redacts a Secret's data and stringData", () => {
    const out = redactBody({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'x' }, data: { k: btoa(SECRET) }, stringData: { k: SECRET } })
    expect(has(out)).toBe(false)
    expect(out).toMatchObject({ metadata: { name: 'x' }, data: REDACTED, stringData: REDACTED })
  })

  it('redacts the data of every item of a SecretList, and of Steve secrets', () => {
    expect(has(redactBody({ kind: 'SecretList', items: [{ metadata: { name: 'a' }, data: { k: SECRET } }] }))).toBe(false)
    expect(has(redactBody({ type: 'collection', data: [{ type: 'secret', id: 'ns/a', data: { k: SECRET } }] }))).toBe(false)
  })

  it('keeps a ConfigMap’s data', () => {
    expect(redactBody({ kind: 'ConfigMap', data: { k: 'visible' } })).toEqual({ kind: 'ConfigMap', data: { k: 'visible' } })
  })

  it('redacts passwords (login, user creation, password change)', () => {
    const out = redactBody({ username: 'admin', password: SECRET, currentPassword: SECRET, newPassword: SECRET, mustChangePassword: false })
    expect(has(out)).toBe(false)
    expect(out).toMatchObject({ username: 'admin', mustChangePassword: false })
  })

  it('redacts tokens (a login answer, a registration token, bearer tokens)', () => {
    expect(has(redactBody({ type: 'token', token: `token-abcde:${SECRET}` }))).toBe(false)
    expect(has(redactBody({ type: 'clusterRegistrationToken', token: SECRET, manifestUrl: `https://edge/v3/import/${SECRET}_c-1.yaml`, command: `kubectl apply -f https://edge/v3/import/${SECRET}_c-1.yaml` }))).toBe(false)
  })

  it("redacts an ext Token's value", () => {
    const out = redactBody({ apiVersion: 'ext.cattle.io/v1', kind: 'Token', metadata: { name: 't' }, status: { value: SECRET } })
    expect(has(out)).toBe(false)
  })

  it("redacts a kubeconfig answer's config", () => {
    expect(has(redactBody({ type: 'generateKubeconfigOutput', config: `users:\n- user:\n    token: ${SECRET}\n` }))).toBe(false)
  })

  it('redacts the JSON paths the policy names', () => {
    const out = redactBody({ spec: { vendor: { apiKeyish: SECRET }, items: [{ pin: SECRET }, { pin: SECRET }] } }, [['spec', 'vendor', 'apiKeyish'], ['spec', 'items', '*', 'pin']])
    expect(has(out)).toBe(false)
  })
})
