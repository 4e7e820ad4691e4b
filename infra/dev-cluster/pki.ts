import 'reflect-metadata'
import { webcrypto } from 'node:crypto'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import * as x509 from '@peculiar/x509'

type CryptoKey = webcrypto.CryptoKey
type CryptoKeyPair = webcrypto.CryptoKeyPair

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0])

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const
const YEAR = 365 * 24 * 3600 * 1000

export interface KeyPairPem {
  certPem: string
  keyPem: string
}

export interface Pki {
  ca: KeyPairPem
  apiserver: KeyPairPem
  kwok: KeyPairPem
  /** Service-account token signing key (PKCS#8) and its public key (SPKI). */
  serviceAccount: { keyPem: string; publicPem: string }
  clients: Record<ClientName, KeyPairPem>
  /**
   * The front proxy's own CA (kube-apiserver `--requestheader-client-ca-file`) and the client certificate
   * the aggregator presents to extension API servers (`--proxy-client-cert-file`). Separate from `ca`: an
   * extension server trusts X-Remote-User only from this CA, so no ordinary client of the cluster can
   * claim to be the front proxy.
   */
  frontProxyCa: KeyPairPem
  frontProxyClient: KeyPairPem
}

/** The CN of the aggregator's client certificate; kube-apiserver `--requestheader-allowed-names`. */
export const FRONT_PROXY_CLIENT = 'front-proxy-client'

/** Client identities of a dev cluster: the admin is in system:masters; the others are the built-in users RBAC bootstraps. */
export const CLIENTS = {
  admin: { cn: 'admin', o: ['system:masters'] },
  'kube-controller-manager': { cn: 'system:kube-controller-manager', o: [] },
  'kube-scheduler': { cn: 'system:kube-scheduler', o: [] },
  kwok: { cn: 'kwok-controller', o: ['system:masters'] },
} as const
export type ClientName = keyof typeof CLIENTS

function pem(label: string, der: ArrayBuffer): string {
  return x509.PemConverter.encode(der, label) + '\n'
}

async function keyPair(): Promise<CryptoKeyPair> {
  return webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])
}

async function exportKey(key: CryptoKey): Promise<string> {
  return pem('PRIVATE KEY', await webcrypto.subtle.exportKey('pkcs8', key))
}

function serial(): string {
  return Buffer.from(webcrypto.getRandomValues(new Uint8Array(16))).toString('hex').replace(/^[89a-f]/, '1')
}

function escapeDn(v: string): string {
  return v.replace(/([,+"\\<>;=])/g, '\\$1')
}

async function leaf(
  ca: Ca,
  subject: string,
  usage: 'server' | 'client',
  san: { dns?: string[]; ip?: string[] } = {},
): Promise<KeyPairPem> {
  const keys = await keyPair()
  const now = Date.now()
  const names = [...(san.dns ?? []).map((v) => ({ type: 'dns' as const, value: v })), ...(san.ip ?? []).map((v) => ({ type: 'ip' as const, value: v }))]
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject,
    issuer: ca.cert.subject,
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + YEAR),
    signingAlgorithm: ALG,
    publicKey: keys.publicKey,
    signingKey: ca.keys.privateKey,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension([usage === 'server' ? x509.ExtendedKeyUsage.serverAuth : x509.ExtendedKeyUsage.clientAuth]),
      ...(names.length ? [new x509.SubjectAlternativeNameExtension(names)] : []),
    ],
  })
  return { certPem: cert.toString('pem') + '\n', keyPem: await exportKey(keys.privateKey) }
}

interface Ca {
  cert: x509.X509Certificate
  keys: { privateKey: CryptoKey }
}

async function createCa(commonName: string): Promise<Ca> {
  const keys = await keyPair()
  const now = Date.now()
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: `CN=${escapeDn(commonName)}`,
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + 10 * YEAR),
    signingAlgorithm: ALG,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature, true),
    ],
  })
  return { cert, keys }
}

/**
 * A throwaway CA and one loopback serving certificate (the local edge's HTTPS; the extension API server,
 * which also needs `<service>.<namespace>.svc` in `dns`: the aggregator verifies that name).
 */
export async function generateServingPki(name: string, opts: { dns?: string[] } = {}): Promise<{ caPem: string; certPem: string; keyPem: string }> {
  const ca = await createCa(`drover-${name}-ca`)
  const serving = await leaf(ca, `CN=${escapeDn(name)}`, 'server', { dns: ['localhost', ...(opts.dns ?? [])], ip: ['127.0.0.1'] })
  return { caPem: ca.cert.toString('pem') + '\n', ...serving }
}

/** A client certificate signed by a CA given as PEM (tests: a front-proxy cert with another CN). */
export async function generateClientCert(caPem: KeyPairPem, subject: { cn: string; o?: string[] }): Promise<KeyPairPem> {
  const ca: Ca = { cert: new x509.X509Certificate(caPem.certPem), keys: { privateKey: await importKey(caPem.keyPem) } }
  return leaf(ca, [`CN=${escapeDn(subject.cn)}`, ...(subject.o ?? []).map((o) => `O=${escapeDn(o)}`)].join(', '), 'client')
}

async function importKey(keyPem: string): Promise<CryptoKey> {
  return webcrypto.subtle.importKey('pkcs8', x509.PemConverter.decode(keyPem)[0]!, ALG, true, ['sign'])
}

/** A fresh CA and every certificate and key one dev cluster needs; nothing is shared between clusters. */
export async function generatePki(clusterName: string): Promise<Pki> {
  const ca = await createCa(`drover-dev-${clusterName}-ca`)
  const loopback = { dns: ['localhost'], ip: ['127.0.0.1'] }
  const apiserver = await leaf(ca, 'CN=kube-apiserver', 'server', {
    dns: ['localhost', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.cluster.local'],
    ip: ['127.0.0.1', '10.0.0.1'],
  })
  const kwok = await leaf(ca, 'CN=kwok', 'server', loopback)
  const clients = {} as Record<ClientName, KeyPairPem>
  for (const [name, id] of Object.entries(CLIENTS) as [ClientName, (typeof CLIENTS)[ClientName]][]) {
    const subject = [`CN=${escapeDn(id.cn)}`, ...id.o.map((o) => `O=${escapeDn(o)}`)].join(', ')
    clients[name] = await leaf(ca, subject, 'client')
  }
  const frontProxyCa = await createCa(`drover-dev-${clusterName}-front-proxy-ca`)
  const frontProxyClient = await leaf(frontProxyCa, `CN=${FRONT_PROXY_CLIENT}`, 'client')
  const sa = await keyPair()
  return {
    ca: { certPem: ca.cert.toString('pem') + '\n', keyPem: await exportKey(ca.keys.privateKey) },
    apiserver,
    kwok,
    clients,
    frontProxyCa: { certPem: frontProxyCa.cert.toString('pem') + '\n', keyPem: await exportKey(frontProxyCa.keys.privateKey) },
    frontProxyClient,
    serviceAccount: {
      keyPem: await exportKey(sa.privateKey),
      publicPem: pem('PUBLIC KEY', await webcrypto.subtle.exportKey('spki', sa.publicKey)),
    },
  }
}

export interface PkiFiles {
  caCert: string
  caKey: string
  apiserverCert: string
  apiserverKey: string
  kwokCert: string
  kwokKey: string
  saKey: string
  saPub: string
  frontProxyCaCert: string
  frontProxyCaKey: string
  frontProxyClientCert: string
  frontProxyClientKey: string
}

export async function writePki(dir: string, pki: Pki): Promise<PkiFiles> {
  await mkdir(dir, { recursive: true, mode: 0o700 })
  const files: PkiFiles = {
    caCert: join(dir, 'ca.crt'),
    caKey: join(dir, 'ca.key'),
    apiserverCert: join(dir, 'apiserver.crt'),
    apiserverKey: join(dir, 'apiserver.key'),
    kwokCert: join(dir, 'kwok.crt'),
    kwokKey: join(dir, 'kwok.key'),
    saKey: join(dir, 'sa.key'),
    saPub: join(dir, 'sa.pub'),
    frontProxyCaCert: join(dir, 'front-proxy-ca.crt'),
    frontProxyCaKey: join(dir, 'front-proxy-ca.key'),
    frontProxyClientCert: join(dir, 'front-proxy-client.crt'),
    frontProxyClientKey: join(dir, 'front-proxy-client.key'),
  }
  const contents: Record<keyof PkiFiles, string> = {
    caCert: pki.ca.certPem,
    caKey: pki.ca.keyPem,
    apiserverCert: pki.apiserver.certPem,
    apiserverKey: pki.apiserver.keyPem,
    kwokCert: pki.kwok.certPem,
    kwokKey: pki.kwok.keyPem,
    saKey: pki.serviceAccount.keyPem,
    saPub: pki.serviceAccount.publicPem,
    frontProxyCaCert: pki.frontProxyCa.certPem,
    frontProxyCaKey: pki.frontProxyCa.keyPem,
    frontProxyClientCert: pki.frontProxyClient.certPem,
    frontProxyClientKey: pki.frontProxyClient.keyPem,
  }
  for (const k of Object.keys(files) as (keyof PkiFiles)[]) {
    await writeFile(files[k], contents[k], { mode: 0o600 })
  }
  return files
}
