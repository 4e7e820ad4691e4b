/**
 * Per-process CPU and memory from /proc (Linux only), for the benches' per-hop figures: a hop is a named set
 * of processes in a request's path, and its cost is the CPU those processes spent over a phase divided by the
 * requests the phase made.
 */
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'

export interface Hop {
  name: string
  pids: number[]
}

let ticksPerSecond: number | undefined
function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100
    } catch {
      ticksPerSecond = 100
    }
  }
  return ticksPerSecond
}

/** User plus system CPU the process has used so far, in µs; 0 once it has exited. */
export function cpuMicros(pid: number): number {
  try {
    // Fields after the parenthesised command name, which may itself hold spaces: utime and stime are 14 and 15.
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
    return ((Number(f[11]) + Number(f[12])) / clockTicks()) * 1e6
  } catch {
    return 0
  }
}

export function rssMiB(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return m ? Number(m[1]) / 1024 : 0
  } catch {
    return 0
  }
}

export function descendants(pid: number): number[] {
  try {
    const kids = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number)
    return kids.flatMap((k) => [k, ...descendants(k)])
  } catch {
    return []
  }
}

export function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ')
  } catch {
    return ''
  }
}

/** Each hop's CPU per second of wall time while `ms` pass with no load: the background to subtract from a phase. */
export async function idleRates(hops: Hop[], ms: number): Promise<Map<string, number>> {
  const sum = (h: Hop) => h.pids.reduce((s, pid) => s + cpuMicros(pid), 0)
  const before = hops.map(sum)
  const start = performance.now()
  await new Promise((resolve) => setTimeout(resolve, ms))
  const seconds = (performance.now() - start) / 1000
  return new Map(hops.map((h, i) => [h.name, (sum(h) - before[i]!) / seconds]))
}

/**
 * Runs `phase`, which resolves to the number of requests it made, and returns each hop's CPU per request in µs,
 * less the hop's `idle` rate (µs per s, from idleRates) over the phase's duration. Resolution is one clock tick
 * (10 ms at 100 Hz) per process, so phases should spend well above that.
 */
export async function cpuPerRequest(
  hops: Hop[],
  phase: () => Promise<number>,
  idle: Map<string, number> = new Map(),
): Promise<{ requests: number; perRequest: Map<string, number> }> {
  const sum = (h: Hop) => h.pids.reduce((s, pid) => s + cpuMicros(pid), 0)
  const before = hops.map(sum)
  const start = performance.now()
  const requests = await phase()
  const seconds = (performance.now() - start) / 1000
  const perRequest = new Map(
    hops.map((h, i) => [h.name, Math.max(0, sum(h) - before[i]! - (idle.get(h.name) ?? 0) * seconds) / Math.max(1, requests)]),
  )
  return { requests, perRequest }
}
