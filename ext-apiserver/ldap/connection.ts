// One LDAP connection for one login, to the first of the configured servers that answers, over LDAPS or
// StartTLS when configured. Trust is the system roots plus the authconfig's `certificate` (as Rancher adds
// it to its pool); the host name or address is always checked against the server's certificate.
import { isIP } from 'node:net'
import { rootCertificates, type ConnectionOptions } from 'node:tls'
import { Client, ResultCodeError } from 'ldapts'
import { bindName, isAdConfig, type DirectoryConfig } from './ad-config.ts'

/** No server could be reached, or none proved its identity: the directory is out of reach, not the user wrong. */
export class DirectoryUnreachableError extends Error {}

function tlsOptions(config: DirectoryConfig, server: string): ConnectionOptions {
  return {
    ca: config.certificate ? [...rootCertificates, config.certificate] : [...rootCertificates],
    host: server,
    // SNI carries names only; an address is still checked against the certificate's IP SANs.
    ...(isIP(server) ? {} : { servername: server }),
    minVersion: 'TLSv1.2',
  }
}

function url(config: DirectoryConfig, server: string): string {
  const host = isIP(server) === 6 ? `[${server}]` : server
  return `${config.tls ? 'ldaps' : 'ldap'}://${host}:${config.port}`
}

/** Bounds a step that ldapts does not time itself (the StartTLS handshake). */
async function within<T>(ms: number, step: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms)
  })
  try {
    return await Promise.race([step, deadline])
  } finally {
    clearTimeout(timer)
  }
}

async function dial(config: DirectoryConfig, server: string): Promise<Client> {
  const tls = tlsOptions(config, server)
  // ldapts speaks TLS from the first byte whenever tlsOptions are given: only LDAPS gets them here.
  const client = new Client({
    url: url(config, server),
    timeout: config.connectionTimeout,
    connectTimeout: config.connectionTimeout,
    ...(config.tls ? { tlsOptions: tls } : {}),
  })
  try {
    if (config.starttls) await within(config.connectionTimeout, client.startTLS(tls), 'StartTLS')
    // Otherwise ldapts opens the socket with the first operation: the service account's bind, whose
    // transport failure counts as this server being unreachable.
    return client
  } catch (err) {
    await close(client)
    throw err
  }
}

/** Closes without waiting on a server that may be gone. */
export async function close(client: Client): Promise<void> {
  await client.unbind().catch(() => undefined)
}

/**
 * Connects to the first server that answers and binds as the service account there. A refused service
 * account is returned as the bind error (a misconfiguration); every transport or TLS failure of every
 * server becomes one DirectoryUnreachableError naming them all.
 */
export async function connectAsServiceAccount(config: DirectoryConfig): Promise<Client> {
  const failures: string[] = []
  for (const server of config.servers) {
    let client: Client | undefined
    try {
      client = await dial(config, server)
    } catch (err) {
      failures.push(`${server}:${config.port}: ${describe(err)}`)
      continue
    }
    try {
      await bindServiceAccount(client, config)
      return client
    } catch (err) {
      await close(client)
      if (isTransportError(err)) {
        failures.push(`${server}:${config.port}: ${describe(err)}`)
        continue
      }
      throw err
    }
  }
  throw new DirectoryUnreachableError(`no LDAP server reachable: ${failures.join('; ')}`)
}

/** Binds as the service account: its DN for LDAP, its username as Rancher binds it for AD. */
export async function bindServiceAccount(client: Client, config: DirectoryConfig): Promise<void> {
  const name = isAdConfig(config) ? bindName(config.serviceAccountUsername, config.defaultLoginDomain) : config.serviceAccountDistinguishedName
  await client.bind(name, config.serviceAccountPassword)
}

/** Errors of the socket, TLS or a timeout, as opposed to an LDAP result code from a server that answered. */
export function isTransportError(err: unknown): boolean {
  return err instanceof Error && !(err instanceof ResultCodeError)
}

function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err)
  const code = 'code' in err && typeof err.code === 'string' ? `${err.code}: ` : ''
  return `${code}${err.message.split('\n')[0]}`
}
