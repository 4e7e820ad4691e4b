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

/** Bytes and calls through read/write-family syscalls so far (sockets included), from /proc/<pid>/io. */
export interface IoCounters {
  rchar: number
  wchar: number
  syscr: number
  syscw: number
}

export function ioCounters(pid: number): IoCounters {
  const out = { rchar: 0, wchar: 0, syscr: 0, syscw: 0 }
  try {
    for (const m of readFileSync(`/proc/${pid}/io`, 'utf8').matchAll(/^(rchar|wchar|syscr|syscw): (\d+)$/gm)) out[m[1] as keyof IoCounters] = Number(m[2])
  } catch {
    // Exited, or not ours to read: no I/O counted.
  }
  return out
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
): Promise<{ requests: number; perRequest: Map<string, number>; ioPerRequest: Map<string, IoCounters> }> {
  const sum = (h: Hop) => h.pids.reduce((s, pid) => s + cpuMicros(pid), 0)
  const io = (h: Hop) =>
    h.pids.map(ioCounters).reduce((a, b) => ({ rchar: a.rchar + b.rchar, wchar: a.wchar + b.wchar, syscr: a.syscr + b.syscr, syscw: a.syscw + b.syscw }), {
      rchar: 0,
      wchar: 0,
      syscr: 0,
      syscw: 0,
    })
  const before = hops.map(sum)
  const ioBefore = hops.map(io)
  const start = performance.now()
  const requests = await phase()
  const seconds = (performance.now() - start) / 1000
  const n = Math.max(1, requests)
  const perRequest = new Map(hops.map((h, i) => [h.name, Math.max(0, sum(h) - before[i]! - (idle.get(h.name) ?? 0) * seconds) / n]))
  const ioPerRequest = new Map(
    hops.map((h, i) => {
      const [a, b] = [ioBefore[i]!, io(h)]
      return [h.name, { rchar: (b.rchar - a.rchar) / n, wchar: (b.wchar - a.wchar) / n, syscr: (b.syscr - a.syscr) / n, syscw: (b.syscw - a.syscw) / n }]
    }),
  )
  return { requests, perRequest, ioPerRequest }
}
