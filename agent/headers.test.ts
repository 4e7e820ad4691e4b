import { describe, expect, it } from 'vitest'
import type { RequestHead } from '../protocol/tunnel/index.ts'
import { escapeExtraKey, responseHeaders, upstreamHeaders, websocketSubprotocols } from './headers.ts'
import { RefusedError } from './status.ts'

const head = (headers: [string, string][], identity = { user: 'alice', groups: ['dev', 'a,b'], extra: {} }): RequestHead => ({
  method: 'GET',
  path: '/api',
  headers,
  identity,
})

describe('upstreamHeaders', () => {
  it('keeps allowlisted headers and drops identity, credential and hop-by-hop headers', () => {
    const out = upstreamHeaders(
      head([
        ['Accept', 'application/json;as=Table;v=v1;g=meta.k8s.io'],
        ['Content-Type', 'application/apply-patch+yaml'],
        ['Audit-ID', 'abc'],
        ['Kubectl-Command', 'kubectl get'],
        ['Authorization', 'Bearer stolen'],
        ['Cookie', 'R_SESS=x'],
        ['Impersonate-User', 'system:admin'],
        ['Impersonate-Group', 'system:masters'],
        ['Impersonate-Extra-scopes', 'all'],
        ['Impersonate-Uid', '0'],
        ['X-Remote-User', 'root'],
        ['X-Remote-Group', 'system:masters'],
        ['Connection', 'keep-alive, X-Foo'],
        ['Transfer-Encoding', 'chunked'],
        ['Host', 'evil.example'],
        ['X-Forwarded-For', '1.2.3.4'],
      ]),
      { upgrade: false },
    )
    expect(out).toEqual({
      accept: 'application/json;as=Table;v=v1;g=meta.k8s.io',
      'content-type': 'application/apply-patch+yaml',
      'audit-id': 'abc',
      'kubectl-command': 'kubectl get',
      'impersonate-user': 'alice',
      'impersonate-group': ['dev', 'a,b'],
    })
  })

  it('drops content-length on upgrades', () => {
    expect(upstreamHeaders(head([['Content-Length', '3']]), { upgrade: true })['content-length']).toBeUndefined()
    expect(upstreamHeaders(head([['Content-Length', '3']]), { upgrade: false })['content-length']).toBe('3')
  })

  it('sends one Impersonate-Extra header per value with the key escaped', () => {
    const out = upstreamHeaders(head([], { user: 'u', groups: [], extra: { 'example.com/Team': ['x', 'y, z'], 'a%b': ['1'], empty: [] } }), { upgrade: false })
    expect(out['impersonate-extra-example.com%2FTeam']).toEqual(['x', 'y, z'])
    expect(out['impersonate-extra-a%25b']).toEqual(['1'])
    expect(out['impersonate-group']).toBeUndefined()
    expect(Object.keys(out).some((k) => k.includes('empty'))).toBe(false)
  })

  it('refuses an identity without a user, and control characters', () => {
    expect(() => upstreamHeaders(head([], { user: '', groups: [], extra: {} }), { upgrade: false })).toThrow(RefusedError)
    expect(() => upstreamHeaders(head([], { user: 'a\r\nImpersonate-Group: system:masters', groups: [], extra: {} }), { upgrade: false })).toThrow(RefusedError)
  })

  it('sends non-ASCII names as their UTF-8 bytes', () => {
    const out = upstreamHeaders(head([], { user: 'zoë', groups: [], extra: {} }), { upgrade: false })
    expect(Buffer.from(out['impersonate-user'] as string, 'latin1').toString('utf8')).toBe('zoë')
  })
})

describe('escapeExtraKey', () => {
  it('matches client-go headerKeyEscape', () => {
    expect(escapeExtraKey('scopes')).toBe('scopes')
    expect(escapeExtraKey('example.com/team')).toBe('example.com%2Fteam')
    expect(escapeExtraKey('100%')).toBe('100%25')
    expect(escapeExtraKey('ä b')).toBe('%C3%A4%20b')
  })
})

describe('responseHeaders', () => {
  it('drops hop-by-hop headers and those named in Connection', () => {
    const raw = ['Content-Type', 'application/json', 'Connection', 'close, X-Private', 'X-Private', '1', 'Transfer-Encoding', 'chunked', 'Keep-Alive', 'timeout=5', 'Audit-Id', 'x', 'X-Kubernetes-Pf-Flowschema-Uid', 'f']
    expect(responseHeaders(raw)).toEqual([
      ['Content-Type', 'application/json'],
      ['Audit-Id', 'x'],
      ['X-Kubernetes-Pf-Flowschema-Uid', 'f'],
    ])
  })
})

describe('websocketSubprotocols', () => {
  it('keeps only allowlisted subprotocols, in order', () => {
    expect(websocketSubprotocols(['evil', 'v5.channel.k8s.io', 'SPDY/3.1+portforward.k8s.io', 'v4.channel.k8s.io'])).toEqual([
      'v5.channel.k8s.io',
      'SPDY/3.1+portforward.k8s.io',
      'v4.channel.k8s.io',
    ])
    expect(websocketSubprotocols(['drover.tunnel.v1'])).toEqual([])
  })
})
