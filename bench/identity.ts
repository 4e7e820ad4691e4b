/**
 * Identity figures for the closing note of the identity issue:
 * - the cost of one password hash (PBKDF2-SHA256 at the Workers cap, 100,000 iterations, plus the
 *   pepper HMAC) in ms of CPU, here on Node's WebCrypto (BoringSSL in workerd runs the same algorithm);
 * - a login through the local edge against a real management cluster, next to an authenticated
 *   `GET /v3/tokens` measured in the same run (the ratio is what the KDF adds to a request);
 * - the revocation delay: API key deleted → the same key refused, polled every 10 ms.
 * `npm run bench:identity`
 */
import { hashPassword } from '../protocol/api/password.ts'
import { mgmtStack } from '../test/support/mgmt-stack.ts'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'

process.env.DROVER_STATE_DIR ??= mkdtempSync(join(tmpdir(), 'drover-bench-'))
const log = (s: string) => process.stderr.write(`[bench] ${s}\n`)
const PASSWORD = 'bench-admin-password'
const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))]!

async function kdfCpu(): Promise<number> {
  const pepper = { id: 'p1', key: crypto.getRandomValues(new Uint8Array(32)) }
  await hashPassword('warm-up-password', pepper)
  const runs = 20
  const before = process.cpuUsage()
  for (let i = 0; i < runs; i++) await hashPassword(`password-${i}-long-enough`, pepper)
  const used = process.cpuUsage(before)
  return (used.user + used.system) / 1000 / runs
}

async function main(): Promise<void> {
  const cpu = await kdfCpu()
  process.stdout.write(`KDF one password hash: ${cpu.toFixed(1)} ms CPU (PBKDF2-SHA256, 100,000 iterations + pepper HMAC)\n`)

  log('starting a management stack (lite cluster, edge, local agent)')
  await using stack = await mgmtStack('bench-identity', { adminPassword: PASSWORD })
  const admin = await stack.login('admin', PASSWORD)
  const logins: number[] = []
  const gets: number[] = []
  for (let i = 0; i < 30; i++) {
    let t = performance.now()
    await stack.login('admin', PASSWORD)
    logins.push(performance.now() - t)
    t = performance.now()
    const res = await stack.api(admin).get('/v3/tokens?limit=1')
    if (res.status !== 200) throw new Error(`GET /v3/tokens: ${res.status}`)
    gets.push(performance.now() - t)
  }
  const lp = quantile(logins, 0.5)
  const gp = quantile(gets, 0.5)
  process.stdout.write(`LOGIN p50 ${lp.toFixed(1)} ms, p99 ${quantile(logins, 0.99).toFixed(1)} ms; authenticated GET /v3/tokens p50 ${gp.toFixed(1)} ms (same run); ratio ${(lp / gp).toFixed(1)}\n`)

  const delays: number[] = []
  for (let i = 0; i < 20; i++) {
    const key = await stack.api(admin).post<{ id: string; token: string }>('/v3/tokens', { description: `bench ${i}` })
    if ((await stack.api(key.body.token).get('/v3/tokens?limit=1')).status !== 200) throw new Error('new key refused')
    const del = await stack.api(admin).del(`/v3/tokens/${key.body.id}`)
    if (del.status !== 200) throw new Error(`delete: ${del.status}`)
    const t = performance.now()
    while ((await stack.api(key.body.token).get('/v3/tokens?limit=1')).status !== 401) {
      if (performance.now() - t > 15_000) throw new Error('key still accepted after 15 s')
      await sleep(10)
    }
    delays.push(performance.now() - t)
  }
  process.stdout.write(`REVOCATION API key deleted → refused: p50 ${quantile(delays, 0.5).toFixed(0)} ms, max ${Math.max(...delays).toFixed(0)} ms (one local isolate; across isolates the bound is the 5 s token-state cache)\n`)
}

await main()
