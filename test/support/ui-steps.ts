// Steps the browser tests share: log in through the page, and check a page (screenshot, axe-core, CSP).
import { expect } from 'vitest'
import type { TestPage } from './browser.ts'

const WAIT = { timeout: 60_000 }

/** Screenshot into test-artifacts/ui/, then axe-core (no serious or critical) and the CSP record. */
export async function checkPage(p: TestPage, name: string): Promise<void> {
  await p.screenshot(name)
  expect(await p.axe(), `axe-core on ${name}`).toEqual([])
  expect(await p.cspViolations(), `CSP violations on ${name}`).toEqual([])
}

/** Waits for the login form; if it never comes, says what the page holds instead. */
export async function loginForm(p: TestPage): Promise<void> {
  await p.page.getByLabel('Username', { exact: true }).waitFor(WAIT).catch(async (e: unknown) => {
    throw new Error(`no login form at ${p.page.url()}: ${JSON.stringify(p.consoleErrors)} ${(await p.page.content()).slice(0, 2000)}`, { cause: e })
  })
}

/** Fills the login form the page shows and submits it. */
export async function logInThroughPage(p: TestPage, username: string, password: string): Promise<void> {
  await loginForm(p)
  await p.page.getByLabel('Username', { exact: true }).fill(username)
  await p.page.getByLabel('Password', { exact: true }).fill(password)
  await p.page.getByRole('button', { name: 'Log in' }).click()
}

/** The first-login password change the page requires. */
export async function changePasswordThroughPage(p: TestPage, current: string, next: string): Promise<void> {
  await p.page.getByRole('heading', { name: 'Change your password' }).waitFor(WAIT)
  await p.page.getByLabel('Current password').fill(current)
  await p.page.getByLabel('New password', { exact: true }).fill(next)
  await p.page.getByLabel('New password again').fill(next)
  await p.page.getByRole('button', { name: 'Change password' }).click()
}
