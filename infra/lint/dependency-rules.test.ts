import { ESLint } from 'eslint'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'

const root = join(import.meta.dirname, '..', '..')
const eslint = new ESLint({ cwd: root })

async function restrictedImports(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: join(root, file) })
  return result!.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message)
}

describe('dependency direction (DESIGN.md) as lint rules', () => {
  it.each([
    ['protocol/tunnel/frame.ts', "import { x } from '../../workers/app.ts'", /may not import workers\//],
    ['protocol/crds/x.ts', "import { readFile } from 'node:fs'", /web-standard APIs/],
    ['protocol/x.ts', "import { DurableObject } from 'cloudflare:workers'", /may not import workerd modules/],
    ['agent/session.ts', "import { ClusterTunnel } from '../objects/cluster-tunnel.ts'", /may not import objects\//],
    ['controller-runner/main.ts', "import { app } from '../workers/app.ts'", /may not import workers\//],
    ['workers/app.ts', "import { run } from '../agent/main.ts'", /may not import agent\//],
    ['objects/tunnel.ts', "import { createApp } from '../workers/app.ts'", /may not import workers\//],
    ['infra/dev-cluster/x.ts', "import { a } from '../../controller-runner/a.ts'", /may not import controller-runner\//],
    ['node/kube/x.ts', "import { a } from '../../agent/a.ts'", /may not import agent\//],
    ['workers/identity/providers/local/x.ts', "import { a } from '../oidc/a.ts'", /may not import another provider/],
    ['workers/identity/providers/local/x.ts', "import { a } from '../../../../node/a.ts'", /may not import node\//],
    ['objects/auth/x.ts', "import { a } from '../tunnel/a.ts'", /rooms meet only in workers/],
    ['node/log.ts', "import { a } from '../controller-runner/a.ts'", /may not import controller-runner\//],
    ['protocol/kube/x.ts', "import { a } from '../../node/kube/a.ts'", /may not import node\//],
    ['workers/x.ts', "import { a } from '../node/kube/a.ts'", /may not import node\//],
    ['agent/x.ts', "import { a } from '../test/support/a.ts'", /may not import test\//],
    ['controller-runner/x.ts', "import { a } from '../test/support/a.ts'", /may not import test\//],
  ])('%s: %s is refused', async (file, code, message) => {
    const messages = await restrictedImports(file, `${code}\nexport const used = [${code.match(/\{ (\w+) \}/)![1]}]\n`)
    expect(messages).toHaveLength(1)
    expect(messages[0]).toMatch(message)
  })

  it.each([
    ['workers/app.ts', "import { frame } from '../protocol/tunnel/frame.ts'"],
    ['workers/index.ts', "import { ClusterTunnel } from '../objects/cluster-tunnel.ts'"],
    ['agent/session.ts', "import { frame } from '../protocol/tunnel/frame.ts'"],
    ['controller-runner/x.ts', "import { readFile } from 'node:fs'"],
    ['objects/tunnel.ts', "import { DurableObject } from 'cloudflare:workers'"],
    ['workers/x.ts', "import { Hono } from 'hono'"],
    ['agent/x.ts', "import { a } from '../node/kube/a.ts'"],
    ['controller-runner/x.ts', "import { a } from '../node/log.ts'"],
    ['node/kube/x.ts', "import { a } from '../../protocol/kube/a.ts'"],
    ['workers/identity/providers/local/x.ts', "import { a } from '../../provider.ts'"],
    ['workers/identity/providers/oidc/x.ts', "import { a } from './client.ts'"],
    ['objects/auth/x.ts', "import { a } from '../env.ts'"],
  ])('%s: %s is allowed', async (file, code) => {
    expect(await restrictedImports(file, `${code}\nexport const used = [${code.match(/\{ (\w+) \}/)![1]}]\n`)).toEqual([])
  })
})
