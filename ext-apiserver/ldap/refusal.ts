// What a directory operation answers when it does not succeed: a reason for logs and the one outward
// answer per reason, which says the same for an unknown user, a wrong password and a disabled account so
// the login endpoint tells an attacker nothing about which names exist.
import { DirectoryUnreachableError, isTransportError } from './connection.ts'
import type { LdapPrincipal } from './principal.ts'

export type RefusalReason =
  /** The password is empty or does not match (an empty one is refused before any bind: LDAP would treat it as an unauthenticated bind and "succeed"). */
  | 'invalid-credentials'
  /** No entry of the user object class has this login name under the search base. */
  | 'not-found'
  /** More than one entry has this login name: the directory is ambiguous, nobody is logged in. */
  | 'ambiguous'
  /** The enabled attribute has all bits of the disabled mask set (for AD, which refuses such a bind itself, the password is not verified). */
  | 'disabled'
  /** No configured server could be reached or proved its certificate, or an operation timed out. */
  | 'unreachable'
  /** The directory answered but refused the service account or a search: the authconfig is wrong. */
  | 'misconfigured'

export interface LdapRefusal {
  ok: false
  reason: RefusalReason
  /** What happened, for logs only (never sent to the one logging in). */
  detail: string
}

export interface LdapLogin {
  ok: true
  user: LdapPrincipal
  groups: LdapPrincipal[]
}

/** What a login endpoint answers for a refusal: one message for every reason that concerns the user. */
export function outward(refusal: LdapRefusal): { status: 401 | 503 | 500; message: string } {
  switch (refusal.reason) {
    case 'invalid-credentials':
    case 'not-found':
    case 'ambiguous':
    case 'disabled':
      return { status: 401, message: 'authentication failed' }
    case 'unreachable':
      return { status: 503, message: 'the directory server cannot be reached' }
    case 'misconfigured':
      return { status: 500, message: 'the directory refused the configured service account or search' }
  }
}

export function refuse(reason: RefusalReason, detail: string): LdapRefusal {
  return { ok: false, reason, detail }
}

/** A thrown error as a refusal: transport failures are `unreachable`, anything the server answered `misconfigured`. */
export function fromError(err: unknown, step: string): LdapRefusal {
  const message = err instanceof Error ? err.message.split('\n')[0] : String(err)
  if (err instanceof DirectoryUnreachableError || isTransportError(err)) return refuse('unreachable', `${step}: ${message}`)
  return refuse('misconfigured', `${step}: ${message}`)
}
