/**
 * `npm run bench:ui-scale`: issue 15's scale bar for the web UI, measured in real Chromium. A management
 * stack (lite dev cluster, the edge in workerd serving dist/ui, cluster local's agent) holds 50,000 pods
 * (`DROVER_BENCH_UI_PODS` for another size) over 50 namespaces, seeded as bench/v1.ts does; once the
 * cluster's list index holds them all, Chromium opens the explorer's pod list and, while a bounded loop
 * churns pods in the background (label patches, plus creates and deletes), filters by typing, sorts
 * both ways (by name and by a table column), pages to the end and scrolls through 1,000-row pages.
 * Printed next to the goals (JS heap ≤ 150 MB, input responsive):
 * - the tab's JS heap (CDP `Runtime.getHeapUsage`, sampled every 250 ms: the peak, and after a GC),
 * - keypress → next frame in the filter box (a keydown listener to the frame after it; every key),
 * - Event Timing entries (`PerformanceObserver('event')`, durations ≥ 16 ms: the slow interactions),
 * - long tasks (`PerformanceObserver('longtask')`, > 50 ms on the main thread),
 * - how long each step took until the page showed its answer (these include the server's time).
 * Loopback only; every loop is bounded.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { ensureUi } from '../infra/build/ui.ts'
import { launchBrowser } from '../test/support/browser.ts'
import { mgmtStack } from '../test/support/mgmt-stack.ts'
import { podApi, podName, seedPods, seedPod, type PodApi } from '../test/support/pod-seed.ts'

const PODS = Number(process.env.DROVER_BENCH_UI_PODS ?? 50_000)
const NAMESPACES = Array.from({ length: 50 }, (_, i) => `ns-${i}`)
const PASSWORD = 'ui-scale-admin-password-1'
/** Churn: at most this many writes a second, for as long as the browser works. */
const CHURN_PER_SECOND = 40
const HEAP_GOAL = 150 * 1024 * 1024
const log = (s: string) => process.stderr.write(`[bench] ${s}\n`)
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))] ?? NaN
const mb = (n: number) => `${(n / 1048576).toFixed(1)} MB`
const ms = (n: number) => `${n.toFixed(0)} ms`

// Installed through CDP (page.evaluate is not governed by the page's CSP). Text, since this file is
// type-checked for Node without the DOM.
const PROBES = `(() => {
  window.__bench = { keys: [], events: [], longtasks: [] };
  new PerformanceObserver((l) => { for (const e of l.getEntries()) window.__bench.events.push({ name: e.name, duration: e.duration }) })
    .observe({ type: 'event', durationThreshold: 16, buffered: true });
  new PerformanceObserver((l) => { for (const e of l.getEntries()) window.__bench.longtasks.push(e.duration) })
    .observe({ type: 'longtask', buffered: true });
  document.addEventListener('keydown', (e) => {
    const t0 = e.timeStamp;
    requestAnimationFrame(() => setTimeout(() => window.__bench.keys.push(performance.now() - t0), 0));
  }, true);
})()`

/** Label patches on random pods, with a create and a delete every tenth write, until `stop` resolves. */
async function churn(api: PodApi, stop: { done: boolean }): Promise<number> {
  try {
    return await churnLoop(api, stop)
  } catch (e) {
    if (stop.done) return 0
    throw e
  }
}

async function churnLoop(api: PodApi, stop: { done: boolean }): Promise<number> {
  let writes = 0
  let created = 0
  const extra: string[] = []
  while (!stop.done) {
    const started = performance.now()
    const i = Math.floor(Math.random() * PODS)
    const ns = NAMESPACES[i % NAMESPACES.length]!
    if (writes % 10 === 0) {
      const p = seedPod(10_000_000 + created++, ns)
      p.metadata.name = `churn-${created}`
      const r = await api.call('POST', `/api/v1/namespaces/${ns}/pods`, p)
      if (r.status === 201) extra.push(`${ns}/${p.metadata.name}`)
      if (extra.length > 20) {
        const [dns, dname] = extra.shift()!.split('/')
        await api.call('DELETE', `/api/v1/namespaces/${dns}/pods/${dname}`)
      }
    } else {
      const name = seedPod(i, ns).metadata.name
      await api.call('PATCH', `/api/v1/namespaces/${ns}/pods/${name}`, { metadata: { labels: { churn: String(writes) } } }, 'application/merge-patch+json')
    }
    writes++
    await sleep(Math.max(0, 1000 / CHURN_PER_SECOND - (performance.now() - started)))
  }
  for (const e of extra) {
    const [dns, dname] = e.split('/')
    await api.call('DELETE', `/api/v1/namespaces/${dns}/pods/${dname}`)
  }
  return writes
}

async function main() {
  await ensureUi({ log: (l) => log(`[ui] ${l}`) })
  log('starting a management stack (lite dev cluster, edge, agent)…')
  await using stack = await mgmtStack('ui-scale', { adminPassword: PASSWORD })
  const ns = await stack.cluster.kubectl(['apply', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: NAMESPACES.map((name) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } })) }) })
  if (ns.code !== 0) throw new Error(ns.stderr)
  using api = await podApi(stack.cluster)
  log(`seeding ${PODS} pods…`)
  const seedStart = performance.now()
  await seedPods(api, 0, PODS, NAMESPACES, (s) => log(`  ${s}`))
  log(`  seeded in ${((performance.now() - seedStart) / 1000).toFixed(0)} s`)

  // The explorer reads the list index; wait until it holds every pod (the first ask starts its feed).
  const token = await stack.login('admin', PASSWORD)
  const indexStart = performance.now()
  for (let last = -1; ; ) {
    const r = await stack.api(token).get<{ count?: number }>('/k8s/clusters/local/v1/pods?pagesize=1')
    const count = r.body.count ?? 0
    if (r.status === 200 && r.headers.get('x-drover-list') === 'index' && count >= PODS) break
    if (performance.now() - indexStart > 900_000) throw new Error(`the index holds ${count} of ${PODS} pods after 15 minutes`)
    if (count !== last) log(`  index: ${count} of ${PODS} (${r.headers.get('x-drover-list')})`)
    last = count
    await sleep(1000)
  }
  log(`  the index holds them all after ${((performance.now() - indexStart) / 1000).toFixed(0)} s`)

  await using browser = await launchBrowser(stack.edge.url.origin)
  const p = await browser.open('/c/local/explorer/pod')
  const { page } = p
  await page.getByLabel('Username', { exact: true }).fill('admin')
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD)
  await page.getByRole('button', { name: 'Log in' }).click()
  const cdp = await page.context().newCDPSession(page)
  await page.evaluate(PROBES)
  const heap: number[] = []
  const sampler = setInterval(() => {
    void cdp.send('Runtime.getHeapUsage').then((h) => heap.push(h.usedSize), () => {})
  }, 250)
  const steps: [string, number][] = []
  const step = async (name: string, fn: () => Promise<void>) => {
    const t = performance.now()
    await fn()
    steps.push([name, performance.now() - t])
    log(`  ${name}: ${ms(performance.now() - t)}`)
  }
  /** The count the page shows once its answer is in; NaN while it loads (no `data-count` then). */
  const count = async () => {
    const c = await page.locator('[data-count]').getAttribute('data-count', { timeout: 100 }).catch(() => null)
    return c === null ? NaN : Number(c)
  }
  const firstName = () => page.locator('tbody [data-col="name"]').first().textContent()
  const waitFor = async (what: string, ok: () => Promise<boolean>) => {
    const deadline = performance.now() + 60_000
    while (!(await ok())) {
      if (performance.now() > deadline) {
        const shown = await page.locator('main').innerText().catch(() => '')
        throw new Error(`timed out: ${what}; the page says: ${shown.slice(0, 600)}`)
      }
      await sleep(20)
    }
  }

  const stop = { done: false }
  await step('open the pod list (login to the count shown)', () => waitFor('the count', async () => (await count()) >= PODS))
  const churned = churn(api, stop)
  churned.catch(() => {})
  let filtered = NaN
  try {
    await sleep(2000)
    const filter = page.getByLabel('Filter')
    await step('filter: type "pod-0499" (8 keys, 60 ms apart) until the page narrows', async () => {
      await filter.click()
      await page.keyboard.type('pod-0499', { delay: 60 })
      await waitFor('the filtered count', async () => (await count()) < 1000)
    })
    filtered = await count()
    await step('clear the filter until the whole list is back', async () => {
      await filter.fill('')
      await waitFor('the full count', async () => (await count()) >= PODS)
    })
    await step('sort by name, descending', async () => {
      await page.getByRole('button', { name: 'Name', exact: true }).click()
      await waitFor('the last pod first', async () => (await firstName()) === podName(PODS - 1))
    })
    await step('sort by the Status column (a table cell, metadata.fields)', async () => {
      const before = await firstName()
      await page.getByRole('button', { name: 'Status', exact: true }).click()
      await waitFor('another first row', async () => (await firstName()) !== before)
    })
    await step('1,000 per page, then the last page', async () => {
      await page.getByLabel('Per page').selectOption('1000')
      await waitFor('1,000 rows', async () => (await page.getByText(/^Page 1 of \d+$/).count()) === 1)
      await waitFor('the first 1,000', async () => !Number.isNaN(await count()))
      // Churn's creates and deletes can add a page after the click: Last again until it is the last.
      const last = page.getByRole('button', { name: 'Last' })
      await waitFor('the last page', async () => {
        if (!(await last.isDisabled())) await last.click()
        return (await last.isDisabled()) && !Number.isNaN(await count())
      })
    })
    const region = page.getByRole('region', { name: 'Pods in local' })
    const next = page.getByRole('button', { name: 'Next' })
    await step('scroll through up to 10 pages of 1,000 rows (wheel, 1,200 px steps), each to its end', async () => {
      await page.getByRole('button', { name: 'First' }).click()
      await region.hover()
      for (let n = 0; n < 10; n++) {
        for (let i = 0; i < 30; i++) {
          await page.mouse.wheel(0, 1200)
          await sleep(16)
        }
        await region.focus()
        await page.keyboard.press('End')
        if (await next.isDisabled()) break
        await next.click()
        await sleep(200)
      }
    })
    await step('filter again while churning: type "ns-7" and clear', async () => {
      await filter.click()
      await page.keyboard.type('ns-7', { delay: 60 })
      await waitFor('the filtered count', async () => (await count()) < PODS)
      await filter.fill('')
      await waitFor('the full count', async () => (await count()) >= PODS)
    })
    await sleep(2000)
  } finally {
    stop.done = true
    clearInterval(sampler)
  }
  const writes = await churned

  await cdp.send('HeapProfiler.collectGarbage')
  const afterGc = (await cdp.send('Runtime.getHeapUsage')).usedSize
  const metrics = await cdp.send('Performance.enable').then(() => cdp.send('Performance.getMetrics'))
  const jsHeapTotal = metrics.metrics.find((m) => m.name === 'JSHeapTotalSize')?.value ?? NaN
  const probes = (await page.evaluate('window.__bench')) as { keys: number[]; events: { name: string; duration: number }[]; longtasks: number[] }
  const domNodes = Number(await page.evaluate('document.getElementsByTagName("*").length'))
  const peak = Math.max(...heap)

  console.log(`UI scale: ${PODS} pods in the explorer's pod list, real Chromium (${writes} churn writes at ≤ ${CHURN_PER_SECOND}/s during the run)`)
  console.log(`  JS heap: peak ${mb(peak)} (${heap.length} samples), ${mb(afterGc)} after a GC, heap allocated ${mb(jsHeapTotal)} — goal ≤ ${mb(HEAP_GOAL)}: ${peak <= HEAP_GOAL ? 'met' : 'NOT met'}`)
  console.log(`  keypress → next frame (n=${probes.keys.length}): p50 ${ms(pct(probes.keys, 50))} p95 ${ms(pct(probes.keys, 95))} max ${ms(Math.max(...probes.keys))} — goal: responsive (a frame, ~16–50 ms)`)
  // Event Timing by kind: typing (the filter box), clicks (sort, paging), pointer moves over the table.
  const kinds: [string, RegExp][] = [['typing', /^(key|input|beforeinput)/], ['clicks', /^(click|pointerdown|pointerup|mousedown|mouseup)$/], ['hover', /./]]
  const byKind = new Map<string, number[]>()
  for (const e of probes.events) {
    const kind = kinds.find(([, re]) => re.test(e.name))![0]
    byKind.set(kind, [...(byKind.get(kind) ?? []), e.duration])
  }
  const kindText = kinds.map(([k]) => {
    const xs = byKind.get(k) ?? []
    return `${k} ${xs.length}${xs.length ? ` (p95 ${ms(pct(xs, 95))}, max ${ms(Math.max(...xs))})` : ''}`
  })
  console.log(`  Event Timing entries ≥ 16 ms (event to next paint): ${kindText.join('; ')}`)
  console.log(`  long tasks (> 50 ms): ${probes.longtasks.length}${probes.longtasks.length ? `, max ${ms(Math.max(...probes.longtasks))}, total ${ms(probes.longtasks.reduce((a, b) => a + b, 0))}` : ''}`)
  console.log(`  DOM elements at the end: ${domNodes}; filter "pod-0499" matched ${filtered}`)
  for (const [name, t] of steps) console.log(`  ${name}: ${ms(t)}`)
  await p.screenshot('bench-ui-scale-pods')
}

await main()
