// One directory operation as the service account: connect and bind, run, close; any failure on the way
// is a refusal (refusal.ts), never a throw.
import type { Client } from 'ldapts'
import type { DirectoryConfig } from './ad-config.ts'
import { close, connectAsServiceAccount } from './connection.ts'
import { fromError, type LdapRefusal } from './refusal.ts'

export async function withServiceAccount<T>(config: DirectoryConfig, step: string, work: (client: Client) => Promise<T | LdapRefusal>): Promise<T | LdapRefusal> {
  let client: Client
  try {
    client = await connectAsServiceAccount(config)
  } catch (err) {
    return fromError(err, 'service account bind')
  }
  try {
    return await work(client)
  } catch (err) {
    return fromError(err, step)
  } finally {
    await close(client)
  }
}
