import { run } from './progress.ts'

export class MissingToolchainError extends Error {}

export interface GoToolchain {
  go: string
  version: string
}

function newerOrEqual(have: string, want: string): boolean {
  const a = have.split('.').map(Number)
  const b = want.split('.').map(Number)
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0)
    if (d !== 0) return d > 0
  }
  return true
}

/** Finds the Go toolchain (`DROVER_GO` or `go` on PATH) and checks it is new enough for the pinned Kubernetes. */
export async function findGo(minimum: string, env: NodeJS.ProcessEnv = process.env): Promise<GoToolchain> {
  const go = env.DROVER_GO ?? 'go'
  let out: string
  try {
    out = await run(go, ['env', 'GOVERSION'], { env: { ...env, GOTOOLCHAIN: 'local' } })
  } catch {
    throw new MissingToolchainError(
      `Go is not installed (no "${go}" found): building Kubernetes needs Go ${minimum} or newer. ` +
        'Install it (https://go.dev/doc/install) or point DROVER_GO at a go binary, then run the command again.',
    )
  }
  const version = out.trim().replace(/^go/, '')
  if (!newerOrEqual(version, minimum)) {
    throw new MissingToolchainError(
      `Go ${version} is too old: the pinned Kubernetes needs Go ${minimum} or newer. Install a newer Go or point DROVER_GO at one.`,
    )
  }
  return { go, version }
}
