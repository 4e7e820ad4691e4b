// Real Chromium for the UI tests: Debian's `chromium` (installed by .ci/run; no browser download) driven by
// playwright-core. A page collects its console errors and the CSP violations the browser reports, takes
// screenshots into test-artifacts/ui/, and runs axe-core in the page.
import { existsSync } from 'node:fs'
import { mkdir, readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core'

const ROOT = join(import.meta.dirname, '..', '..')
export const CHROMIUM = process.env.DROVER_CHROMIUM ?? '/usr/bin/chromium'
export const SCREENSHOTS = join(ROOT, 'test-artifacts', 'ui')

export interface AxeViolation {
  id: string
  impact: string | null
  help: string
  nodes: { target: unknown[] }[]
}

export interface TestPage {
  page: Page
  /** `securitypolicyviolation` events and console messages naming the Content Security Policy. */
  cspViolations(): Promise<string[]>
  consoleErrors: string[]
  screenshot(name: string): Promise<string>
  /** axe-core's serious and critical violations on the page as it is now. */
  axe(): Promise<AxeViolation[]>
}

export interface TestBrowser extends AsyncDisposable {
  browser: Browser
  /** A page in a context of its own (its own cookies: one browser session per call). */
  open(url: string): Promise<TestPage>
}

let axeSource: string | undefined

/** Chromium headless against `origin`, trusting its certificate (the local edge's own CA). */
export async function launchBrowser(origin: string): Promise<TestBrowser> {
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: install Debian's chromium (.ci/run does) or set DROVER_CHROMIUM`)
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] })
  try {
    await mkdir(SCREENSHOTS, { recursive: true })
    const newContext = async (): Promise<BrowserContext> => {
      const context = await browser.newContext({ ignoreHTTPSErrors: true, baseURL: origin, viewport: { width: 1280, height: 800 } })
      await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin })
      // Through the DevTools protocol, so it runs despite the page's CSP (which allows no inline script).
      // (Browser code is passed as text: this file is type-checked for Node, without the DOM.)
      await context.addInitScript({
        content: "window.__csp = []; document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(e.violatedDirective + ' blocked ' + e.blockedURI))",
      })
      return context
    }
    const open = async (url: string): Promise<TestPage> => {
      const page = await (await newContext()).newPage()
      const consoleErrors: string[] = []
      const cspConsole: string[] = []
      page.on('console', (m) => {
        if (m.type() === 'error') consoleErrors.push(m.text())
        if (/Content Security Policy/i.test(m.text())) cspConsole.push(m.text())
      })
      page.on('pageerror', (e) => consoleErrors.push(e.message))
      await page.goto(url)
      return {
        page,
        consoleErrors,
        async cspViolations() {
          const events = (await page.evaluate('window.__csp || []')) as string[]
          return [...cspConsole, ...events]
        },
        async screenshot(name) {
          const file = join(SCREENSHOTS, `${name}.png`)
          await page.screenshot({ path: file, fullPage: true })
          return file
        },
        async axe() {
          axeSource ??= await readFile(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8')
          // evaluate() is not subject to the page's CSP; a <script> tag would be (and would be refused).
          await page.evaluate(axeSource)
          const result = (await page.evaluate("axe.run(document, { resultTypes: ['violations'] })")) as { violations: AxeViolation[] }
          return result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
        },
      }
    }
    return {
      browser,
      open,
      async [Symbol.asyncDispose]() {
        await browser.close()
      },
    }
  } catch (e) {
    await browser.close()
    throw e
  }
}
