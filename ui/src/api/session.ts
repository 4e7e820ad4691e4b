// Who is signed in, through the R_SESS cookie only: nothing about the session is kept in browser storage,
// so a reload asks the edge again (`/v3/users?me=true`), and the cookie is HttpOnly, out of script's reach.
import { signal } from '@preact/signals'
import { get, HttpError, onUnauthorized, post, sameOriginPath } from './http.ts'

export interface Me {
  id: string
  username?: string
  displayName?: string
  mustChangePassword?: boolean
}

/** undefined until the first answer; null when nobody is signed in. */
export const me = signal<Me | null | undefined>(undefined)

onUnauthorized(() => {
  me.value = null
})

export async function loadMe(): Promise<void> {
  try {
    const list = await get<{ data?: Me[] }>('/v3/users?me=true', { quiet401: true })
    me.value = list.data?.[0] ?? null
  } catch (e) {
    if (e instanceof HttpError && e.status === 401) me.value = null
    else throw e
  }
}

/**
 * A username/password login at the provider's `?action=login` link, without `responseType`: the edge
 * answers with the R_SESS cookie rather than a token in the body, so script never sees the credential.
 */
export async function login(actionUrl: string, username: string, password: string): Promise<void> {
  await post(sameOriginPath(actionUrl), { username, password }, { quiet401: true })
  await loadMe()
}

export async function changePassword(currentPassword: string, newPassword: string): Promise<void> {
  await post('/v3/users?action=changepassword', { currentPassword, newPassword })
  await loadMe()
}

export async function logout(): Promise<void> {
  try {
    await post('/v3/tokens?action=logout', {}, { quiet401: true })
  } finally {
    me.value = null
  }
}
