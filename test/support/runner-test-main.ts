/**
 * Test-only: `drover runner` with a tiny controller instead of the real reconcilers, so the runtime's
 * leader election, queues, informers and write guard are tested through the same code path (flag
 * parsing, Manager, signals) as the real command. Run as `node --import tsx test/support/runner-test-main.ts
 * <drover runner flags>`.
 *
 * The controller, `configmap-annotator`, copies data key `value` of every ConfigMap labelled
 * `drover.test/annotate=true` into annotation `drover.test/copied` and signs the write with annotation
 * `drover.test/writer` = its identity, so a write by a stale leader would be visible. Data key `delayMs`
 * makes it wait that long between reading and writing, deliberately ignoring the abort signal, so a
 * test can pause a leader mid-reconcile and check that its late write does not land. It writes through
 * `ctx.client`, the leader-guarded client every reconciler gets: the stale-write path under test is the
 * production one.
 */
import { parseRunnerArgs, runRunner } from '../../cli/runner.ts'
import type { ControllerContext, ControllerSpec } from '../../controller-runner/runtime/types.ts'
import { CONFIG_MAP, type KubeObject } from '../../protocol/kube/index.ts'

interface ConfigMap extends KubeObject {
  data?: Record<string, string>
}
const LABEL = 'drover.test/annotate'
const COPIED = 'drover.test/copied'
const WRITER = 'drover.test/writer'

function annotator(ctx: ControllerContext): ControllerSpec {
  const cache = ctx.cache<ConfigMap>(CONFIG_MAP)
  const log = ctx.logger.child({ controller: 'configmap-annotator' })
  return {
    name: 'configmap-annotator',
    type: CONFIG_MAP,
    workers: 2,
    reconciler: {
      async reconcile({ namespace, name }) {
        const cm = cache.get(name, namespace)
        if (!cm || cm.metadata.labels?.[LABEL] !== 'true') return
        const value = cm.data?.value ?? ''
        if (cm.metadata.annotations?.[COPIED] === value) return
        const key = `${namespace}/${name}`
        log.info({ key, value }, 'reconcile start')
        const delay = Number(cm.data?.delayMs ?? 0)
        if (delay > 0) await new Promise((r) => setTimeout(r, delay))
        const body: ConfigMap = {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: {
            name,
            namespace: namespace!,
            resourceVersion: cm.metadata.resourceVersion!,
            labels: cm.metadata.labels,
            annotations: { ...cm.metadata.annotations, [COPIED]: value, [WRITER]: ctx.identity },
          },
          data: cm.data ?? {},
        }
        try {
          await ctx.client.update(CONFIG_MAP, body)
          log.info({ key, value }, 'annotator wrote')
        } catch (e) {
          log.warn({ key, value, err: e instanceof Error ? `${e.name}: ${e.message.slice(0, 200)}` : String(e) }, 'annotator write refused')
          throw e
        }
      },
    },
  }
}

process.exitCode = await runRunner(parseRunnerArgs(process.argv.slice(2)), (ctx) => ({ controllers: [annotator(ctx)] }))
