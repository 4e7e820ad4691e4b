// Requests made with the stored session, for the commands that need one (clusters, kubeconfig).
import { StartError } from '../usage.ts'
import { chooseServer, readConfig, sessionState, type ServerEntry, type Session } from './config.ts'
import { EdgeClient, errorMessage, type EdgeResponse } from './edge-client.ts'

export interface LoggedIn {
  server: string
  entry: ServerEntry & { session: Session }
}

/** The server and its live session, or a StartError telling the user to log in. */
export async function loggedIn(given: string | undefined): Promise<LoggedIn> {
  const config = await readConfig()
  const server = chooseServer(config, given)
  const entry = config.servers[server]
  if (!entry?.session) throw new StartError(`not logged in to ${server}: run "drover login ${server}"`)
  if (sessionState(entry.session) === 'lapsed') throw new StartError(`the session for ${server} has expired: run "drover login ${server}"`)
  return { server, entry: { ...entry, session: entry.session } }
}

/** A GET or POST with the session; 401 means the edge no longer accepts it, which the user fixes by logging in. */
export async function sessionRequest(who: LoggedIn, method: string, path: string, body?: unknown): Promise<EdgeResponse> {
  await using edge = new EdgeClient(who.server, who.entry)
  const res = await edge.request(method, path, { token: who.entry.session.token, ...(body !== undefined ? { body } : {}) })
  if (res.status === 401) throw new StartError(`${who.server} no longer accepts the stored session (${errorMessage(res)}): run "drover login ${who.server}"`)
  return res
}
