import { describe, expect, it } from 'vitest'
import { stagingReplaces } from './build.ts'
import { findGo, MissingToolchainError } from './go-toolchain.ts'
import { helmCacheDir, helmModule, kubernetesCacheDir, majorMinor, toxiproxyCacheDir, versions } from './versions.ts'

describe('the Kubernetes build recipe', () => {
  it('turns every ./staging replace of the upstream go.mod into a replace to the published module', () => {
    const upstream = [
      'module k8s.io/kubernetes',
      'replace (',
      '\tk8s.io/api => ./staging/src/k8s.io/api',
      '\tk8s.io/client-go => ./staging/src/k8s.io/client-go',
      '\tgithub.com/other/thing => github.com/fork/thing v1.0.0',
      ')',
    ].join('\n')
    expect(stagingReplaces(upstream, /^(k8s\.io\/[\w.-]+)\s+=>\s+\.\/staging\//, () => 'v0.37.2')).toEqual([
      '-replace=k8s.io/api=k8s.io/api@v0.37.2',
      '-replace=k8s.io/client-go=k8s.io/client-go@v0.37.2',
    ])
  })

  it('keys the cache by the pinned versions, so a new pin builds anew', () => {
    const env = { DROVER_CACHE_DIR: '/c' }
    expect(kubernetesCacheDir(env)).toMatch(new RegExp(`^/c/kubernetes/${versions.kubernetes}-[0-9a-f]{12}$`))
    expect(kubernetesCacheDir(env, { ...versions, etcd: 'v3.6.0' })).not.toBe(kubernetesCacheDir(env))
    expect(majorMinor('v1.37.2')).toEqual({ major: '1', minor: '37' })
    expect(() => majorMinor('1.37')).toThrow(/vMAJOR\.MINOR\.PATCH/)
  })

  it('gives helm its own cache entry, so a new helm pin leaves Kubernetes alone', () => {
    const env = { DROVER_CACHE_DIR: '/c' }
    expect(helmCacheDir(env)).toMatch(new RegExp(`^/c/helm/${versions.helm}-[0-9a-f]{12}$`))
    expect(kubernetesCacheDir(env, { ...versions, helm: 'v4.0.0' })).toBe(kubernetesCacheDir(env))
    expect(helmCacheDir(env, { ...versions, helm: 'v4.0.0' })).not.toBe(helmCacheDir(env))
    expect(helmModule('v4.3.1')).toBe('helm.sh/helm/v4')
    expect(helmModule('v3.22.0')).toBe('helm.sh/helm/v3')
    expect(() => helmModule('v2.17.0')).toThrow(/v3\.X\.Y or v4\.X\.Y/)
  })

  it('gives toxiproxy its own cache entry, keyed by its pin only', () => {
    const env = { DROVER_CACHE_DIR: '/c' }
    expect(toxiproxyCacheDir(env)).toMatch(new RegExp(`^/c/toxiproxy/${versions.toxiproxy}-[0-9a-f]{12}$`))
    expect(toxiproxyCacheDir(env, { ...versions, kubernetes: 'v1.36.0' })).toBe(toxiproxyCacheDir(env))
    expect(toxiproxyCacheDir(env, { ...versions, toxiproxy: 'v2.11.0' })).not.toBe(toxiproxyCacheDir(env))
  })

  it('names a missing or too old Go and the fix', async () => {
    await expect(findGo('1.26', { ...process.env, DROVER_GO: '/nonexistent/go' })).rejects.toThrow(MissingToolchainError)
    await expect(findGo('1.26', { ...process.env, DROVER_GO: '/nonexistent/go' })).rejects.toThrow(/point DROVER_GO at a go binary/)
    await expect(findGo('99.0', process.env)).rejects.toThrow(/is too old: the pinned Kubernetes needs Go 99\.0 or newer/)
    await expect(findGo('1.20', process.env)).resolves.toMatchObject({ go: 'go' })
  })
})
