import { describe, expect, it } from 'vitest'
import { parseExtApiServerArgs } from './ext-apiserver.ts'
import { UsageError } from './usage.ts'

const FILES = ['--serving-cert', 's.crt', '--serving-key', 's.key', '--requestheader-client-ca', 'fp.crt']

describe('drover ext-apiserver flags', () => {
  it('takes the files, the listen address and the allowed names, with defaults', () => {
    expect(parseExtApiServerArgs(FILES, {})).toEqual({
      listen: { host: '0.0.0.0', port: 8443 },
      servingCertFile: 's.crt',
      servingKeyFile: 's.key',
      requestHeaderCaFile: 'fp.crt',
    })
    // Without a CA file the server reads the cluster's (and its allowed names) from the ConfigMap.
    expect(parseExtApiServerArgs(FILES.slice(0, 4), {})).not.toHaveProperty('requestHeaderCaFile')
    expect(parseExtApiServerArgs([...FILES, '--listen', '127.0.0.1:0', '--requestheader-allowed-names', 'a, b', '--kubeconfig', 'k'], {})).toMatchObject({
      listen: { host: '127.0.0.1', port: 0 },
      allowedNames: ['a', 'b'],
      kubeconfig: 'k',
    })
    // An empty list: any CN the request-header CA signed, as kube-apiserver reads an empty --requestheader-allowed-names.
    expect(parseExtApiServerArgs([...FILES, '--requestheader-allowed-names', ''], {}).allowedNames).toEqual([])
  })

  it('reads the environment when a flag is absent', () => {
    const env = { DROVER_EXT_SERVING_CERT: 'e.crt', DROVER_EXT_SERVING_KEY: 'e.key', DROVER_EXT_REQUESTHEADER_CA: 'e-fp.crt', DROVER_EXT_LISTEN: ':9443' }
    expect(parseExtApiServerArgs([], env)).toMatchObject({ listen: { host: '0.0.0.0', port: 9443 }, servingCertFile: 'e.crt', requestHeaderCaFile: 'e-fp.crt' })
  })

  it.each([
    [[], /--serving-cert is required/],
    [FILES.slice(2), /--serving-cert is required/],
    [[...FILES, '--requestheader-client-ca', ''], /--requestheader-client-ca needs a path/],
    [[...FILES, '--listen', 'nowhere'], /--listen: listen address must be host:port/],
    [[...FILES, '--kubeconfig', ''], /--kubeconfig needs a path/],
    [[...FILES, 'extra'], /unexpected arguments: extra/],
  ])('refuses %j', (argv, message) => {
    expect(() => parseExtApiServerArgs(argv, {})).toThrow(UsageError)
    expect(() => parseExtApiServerArgs(argv, {})).toThrow(message)
  })
})
