import { readdirSync, readFileSync, readlinkSync } from 'node:fs'

function children(pid: number): number[] {
  try {
    const kids = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number)
    return kids.flatMap((k) => [k, ...children(k)])
  } catch {
    return []
  }
}

/** The workerd process that runs the edge this test started: a descendant of this test process. */
export function workerdPid(): number | undefined {
  return children(process.pid).find((p) => {
    try {
      return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes('workerd')
    } catch {
      return false
    }
  })
}

/** The paths of the files a process holds open (sockets and pipes left out). */
export function openFilePaths(pid: number): string[] {
  const out: string[] = []
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const target = readlinkSync(`/proc/${pid}/fd/${fd}`)
      if (target.startsWith('/')) out.push(target)
    } catch {
      // closed meanwhile
    }
  }
  return out
}
